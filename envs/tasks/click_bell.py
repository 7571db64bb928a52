"""click_bell: press the top centre of a bell with a closed gripper (latched on first valid contact)."""

from __future__ import annotations

import numpy as np

from envs.tasks.base import Task, register_task

XY_TOLERANCE = 0.025
Z_TOLERANCE = 0.03


def pressed(task: Task, arm: str, obj, point: np.ndarray, xy_tol: float, z_tol: float) -> bool:
    """A contact between ``arm``'s gripper and ``obj`` lies within the tolerances of ``point``."""
    hand = task.robot.gripper_entities(arm)
    for contact in task.contact_points(hand, {obj.entity}):
        if np.hypot(*(contact[:2] - point[:2])) < xy_tol and abs(contact[2] - point[2]) < z_tol:
            return True
    return False


@register_task
class ClickBell(Task):
    name = "click_bell"
    step_limit = 400
    arms = "single"
    latched = True
    seen_templates = (
        "press the top of {A}",
        "ring {A} by pushing its button",
        "tap {A} on top with the closed gripper",
        "use {a} to press {A}",
        "push down on the button of {A}",
        "click {A}",
        "give {A} a press from above",
        "hit the top centre of {A}",
        "ring {A}",
        "close the gripper and press {A}",
    )
    unseen_templates = (
        "make {A} ring",
        "bring the gripper down onto {A}",
        "could you press {A} with {a}?",
    )

    def build(self, rng):
        x, y = self.sample_xy(rng, (-0.25, 0.25), (-0.15, 0.05))
        self.bell = self.add(self.factory.bell("bell", self.on_table(x, y)))
        self.arm = self.side_arm(x)

    def success(self):
        return any(
            self.gripper_closed(arm)
            and pressed(self, arm, self.bell, self.bell.world_point("top"), XY_TOLERANCE, Z_TOLERANCE)
            for arm in ("left", "right")
        )

    def expert(self, skills):
        skills.press(self.arm, self.bell.world_point("top"), depth=0.005)
        skills.retract([self.arm])

    def slots(self):
        return {"A": "the bell", "a": f"the {self.arm} arm"}
