"""place_empty_cup: put the cup on the coaster."""

from __future__ import annotations

import numpy as np

from envs.objects import COLORS
from envs.tasks.base import Task, register_task

XY_TOLERANCE = 0.035
Z_TOLERANCE = 0.015


def transfer(task: Task, skills, obj, target: np.ndarray, lift: float = 0.1) -> None:
    """Grasp ``obj`` with the arm on its side, put its bottom on ``target`` and return the arm."""
    arm = task.side_arm(obj.pose.p[0])
    skills.grasp({arm: (obj, None)})
    skills.lift([arm], lift)
    skills.place({arm: ("bottom", target)})
    skills.retract([arm])


def resting_on(obj, target: np.ndarray, xy_tol: float, z_tol: float) -> bool:
    bottom = obj.world_point("bottom")
    return bool(np.hypot(*(bottom[:2] - target[:2])) < xy_tol and abs(bottom[2] - target[2]) < z_tol)


@register_task
class PlaceEmptyCup(Task):
    name = "place_empty_cup"
    step_limit = 500
    arms = "single"
    seen_templates = (
        "put {A} on {B}",
        "place {A} onto {B}",
        "set {A} down on {B}",
        "move {A} so that it stands on {B}",
        "use {a} to put {A} on {B}",
        "pick up {A} and place it on {B}",
        "grab {A} and set it on {B}",
        "transfer {A} onto {B}",
        "lift {A} and put it down on {B}",
        "put {A} on top of {B}",
    )
    unseen_templates = (
        "{A} belongs on {B}",
        "could you rest {A} on {B}?",
        "bring {A} over to {B} and leave it there",
    )

    def build(self, rng):
        side = -1 if rng.random() < 0.5 else 1
        cx, cy = side * rng.uniform(0.15, 0.3), rng.uniform(-0.15, 0.05)
        tx, ty = side * rng.uniform(0.0, 0.08), rng.uniform(-0.15, 0.0)
        while np.hypot(cx - tx, cy - ty) < 0.13:
            cx += side * 0.03
        self.cup = self.add(
            self.factory.cup("cup", self.on_table(cx, cy, rng.uniform(-np.pi, np.pi)), COLORS["white"], handle=True)
        )
        self.coaster = self.add(self.factory.disc("coaster", self.on_table(tx, ty), 0.05, COLORS["brown"]))
        self.arm = self.side_arm(cx)

    def success(self):
        return resting_on(self.cup, self.coaster.world_point("top"), XY_TOLERANCE, Z_TOLERANCE) and self.grippers_open()

    def expert(self, skills):
        transfer(self, skills, self.cup, self.coaster.world_point("top") + [0, 0, 0.003])

    def slots(self):
        return {"A": "the cup", "B": "the coaster", "a": f"the {self.arm} arm"}
