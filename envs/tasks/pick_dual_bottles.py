"""pick_dual_bottles: each arm picks up one bottle at the same time and holds it up in front of the robot.

RoboTwin's bottles lie on their side; the stand-ins stand upright (grasped from above), which keeps the goal and the
success check (position of each bottle's functional point and its height) unchanged.
"""

from __future__ import annotations

import numpy as np

from envs.objects import COLORS
from envs.tasks.base import Task, register_task

TARGETS = {"left": np.array([-0.06, -0.105, 1.0]), "right": np.array([0.06, -0.105, 1.0])}
XY_TOLERANCE = 0.10
MIN_HEIGHT = 0.89


@register_task
class PickDualBottles(Task):
    name = "pick_dual_bottles"
    step_limit = 400
    arms = "dual"
    seen_templates = (
        "pick up {A} and {B} at the same time",
        "lift both bottles, {A} with the left hand and {B} with the right",
        "grab {A} and {B} together and hold them up",
        "use both arms to pick up {A} and {B}",
        "raise {A} and {B} simultaneously",
        "hold {A} and {B} up in front of you",
        "take {A} with {a} and {B} with {b} and lift them",
        "pick {A} and {B} off the table with both grippers",
        "grasp the two bottles, {A} and {B}, and lift them",
        "lift {A} and {B} up high together",
    )
    unseen_templates = (
        "both bottles up, please: {A} and {B}",
        "could you hold {A} and {B} aloft?",
        "get {A} and {B} off the table at once",
    )

    def build(self, rng):
        lx, ly = rng.uniform(-0.3, -0.12), rng.uniform(-0.15, 0.05)
        rx, ry = rng.uniform(0.12, 0.3), rng.uniform(-0.15, 0.05)
        self.bottles = {
            "left": self.add(self.factory.bottle("red_bottle", self.on_table(lx, ly), COLORS["red"])),
            "right": self.add(self.factory.bottle("blue_bottle", self.on_table(rx, ry), COLORS["blue"])),
        }

    def success(self):
        for arm, bottle in self.bottles.items():
            point = bottle.world_point("center")
            if np.any(np.abs(point[:2] - TARGETS[arm][:2]) > XY_TOLERANCE) or point[2] <= MIN_HEIGHT:
                return False
        return True

    def expert(self, skills):
        skills.grasp({arm: (bottle, None) for arm, bottle in self.bottles.items()})
        skills.lift(list(self.bottles), 0.1)
        # Hold the bottles a little wider than the nominal targets so the two hands keep clear of each other.
        goals = {arm: TARGETS[arm] + [np.sign(TARGETS[arm][0]) * 0.05, 0.0, 0.0] for arm in self.bottles}
        skills.place({arm: ("center", goal) for arm, goal in goals.items()}, hover=0.0, release=False)

    def slots(self):
        return {"A": "the red bottle", "B": "the blue bottle", "a": "the left arm", "b": "the right arm"}
