"""lift_pot: grasp both handles of the pot, one arm each, and lift it while keeping it upright."""

from __future__ import annotations

import numpy as np

from envs.tasks.base import Task, register_task

LIFT_HEIGHT = 0.08  # RoboTwin: pot z > 0.82 with the table top at 0.74
HANDLE_TOLERANCE = 0.03
MIN_UPRIGHT = 0.8


@register_task
class LiftPot(Task):
    name = "lift_pot"
    step_limit = 400
    arms = "dual"
    seen_templates = (
        "lift {A} with both arms",
        "grab both handles of {A} and raise it",
        "pick up {A} by its handles",
        "use both grippers to lift {A}",
        "hold {A} by the two handles and lift it up",
        "raise {A} off the table, keeping it level",
        "take {A} by the handles and pick it up",
        "lift {A} straight up using both hands",
        "grasp {A}'s handles and lift",
        "pick {A} up with the left and right arms together",
    )
    unseen_templates = (
        "get {A} off the table with two hands",
        "could you hoist {A} by its handles?",
        "raise {A} upright using both handles",
    )

    def build(self, rng):
        x, y = rng.uniform(-0.05, 0.05), rng.uniform(-0.12, 0.0)
        color = tuple(rng.uniform(0.2, 0.8, 3))
        self.pot = self.add(self.factory.pot("pot", self.on_table(x, y, rng.uniform(-0.25, 0.25)), color))

    def on_reset(self):
        self.start_z = float(self.pot.pose.p[2])

    def success(self):
        lifted = self.pot.pose.p[2] > self.start_z + LIFT_HEIGHT
        near = all(
            np.linalg.norm(self.robot.ee_pose(arm).p - self.pot.world_point(f"{arm}_handle")) < HANDLE_TOLERANCE
            for arm in ("left", "right")
        )
        return bool(lifted and near and self.pot.up_alignment() > MIN_UPRIGHT)

    def expert(self, skills):
        left, right = self.pot.grasps
        skills.grasp({"left": (self.pot, left), "right": (self.pot, right)})
        skills.lift(["left", "right"], 0.15)

    def slots(self):
        return {"A": "the pot"}
