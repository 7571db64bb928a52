"""open_laptop: push the laptop lid open (it starts 20 % open) and keep the gripper near the lid."""

from __future__ import annotations

import numpy as np
import sapien

from envs.skills import hand_pose
from envs.tasks.base import Task, register_task

START_FRACTION = 0.2
OPEN_FRACTION = 0.4  # success: hinge at or above lower + 40 % of its range
TCP_TOLERANCE = 0.10
PUSH_RADIUS = 0.17  # where along the lid (from the hinge) the fingers push
FINAL_ANGLE = 1.25


@register_task
class OpenLaptop(Task):
    name = "open_laptop"
    step_limit = 700
    arms = "single"
    seen_templates = (
        "open {A}",
        "lift the lid of {A}",
        "open up {A} with {a}",
        "push the screen of {A} open",
        "flip open the lid of {A}",
        "raise the screen of {A}",
        "use {a} to open {A}",
        "swing the lid of {A} up",
        "open the half-closed {A}",
        "push up the display of {A} until it is open",
    )
    unseen_templates = (
        "get {A} open",
        "could you open the lid on {A}?",
        "tilt the screen of {A} back",
    )

    def build(self, rng):
        x, y = rng.choice([-1, 1]) * rng.uniform(0.12, 0.22), rng.uniform(-0.02, 0.06)
        self.laptop = self.add(
            self.factory.laptop("laptop", self.on_table(x, y, rng.uniform(-0.2, 0.2)), START_FRACTION)
        )
        self.arm = self.side_arm(x)
        low, high = self.laptop.articulation.get_qlimits()[0]
        self.open_threshold = low + OPEN_FRACTION * (high - low)

    def hinge_angle(self) -> float:
        return float(self.laptop.articulation.get_qpos()[0])

    def success(self):
        edge = self.laptop.world_point("edge")
        near = any(np.linalg.norm(self.robot.ee_pose(arm).p - edge) < TCP_TOLERANCE for arm in ("left", "right"))
        return self.hinge_angle() >= self.open_threshold and near

    def expert(self, skills):
        base = self.laptop.articulation.get_root_pose()
        hinge = base * sapien.Pose([0.0, 0.1, 0.02])

        def under_lid(angle: float, depth: float) -> np.ndarray:
            local = [0.0, -PUSH_RADIUS * np.cos(angle) - depth, PUSH_RADIUS * np.sin(angle) - 0.022]
            return (hinge * sapien.Pose(local)).p

        forward = base.to_transformation_matrix()[:3, 1]
        q = hand_pose([0, 0, 0], forward, np.cross([0, 0, 1], forward)).q
        skills.gripper({self.arm: 0.0}, steps=4)
        start = self.hinge_angle()
        skills.move({self.arm: sapien.Pose(under_lid(start, 0.1), q)})
        skills.move({self.arm: sapien.Pose(under_lid(start, 0.0), q)})
        angles = np.linspace(start + 0.1, FINAL_ANGLE, 8)
        skills.follow(self.arm, [sapien.Pose(under_lid(a, 0.0), q) for a in angles])

    def slots(self):
        return {"A": "the laptop", "a": f"the {self.arm} arm"}
