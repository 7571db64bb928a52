"""place_container_plate: put a bowl or a cup onto the plate."""

from __future__ import annotations

import numpy as np

from envs.objects import COLORS
from envs.tasks.base import Task, register_task
from envs.tasks.place_empty_cup import transfer

XY_TOLERANCE = 0.05
Z_TOLERANCE = 0.03


@register_task
class PlaceContainerPlate(Task):
    name = "place_container_plate"
    step_limit = 400
    arms = "single"
    seen_templates = (
        "put {A} on {B}",
        "place {A} onto {B}",
        "set {A} down on {B}",
        "move {A} onto {B}",
        "use {a} to put {A} on {B}",
        "pick up {A} and place it on {B}",
        "grab {A} and put it on {B}",
        "transfer {A} to {B}",
        "lift {A} and lower it onto {B}",
        "put {A} in the middle of {B}",
    )
    unseen_templates = (
        "{A} should sit on {B}",
        "could you move {A} over onto {B}?",
        "serve {A} on {B}",
    )

    def build(self, rng):
        side = -1 if rng.random() < 0.5 else 1
        cx, cy = side * rng.uniform(0.17, 0.3), rng.uniform(-0.15, 0.05)
        px, py = rng.uniform(-0.05, 0.05), rng.uniform(-0.12, 0.0)
        self.kind = "bowl" if rng.random() < 0.5 else "cup"
        color = tuple(rng.uniform(0.2, 0.9, 3))
        pose = self.on_table(cx, cy, rng.uniform(-np.pi, np.pi))
        container = (
            self.factory.bowl("bowl", pose, color) if self.kind == "bowl" else self.factory.cup("cup", pose, color)
        )
        self.container = self.add(container)
        self.plate = self.add(self.factory.plate("plate", self.on_table(px, py), COLORS["white"]))
        self.arm = self.side_arm(cx)

    def success(self):
        offset = self.container.world_point("bottom") - self.plate.world_point("top")
        return bool(np.all(np.abs(offset[:2]) < XY_TOLERANCE) and abs(offset[2]) < Z_TOLERANCE) and self.grippers_open()

    def expert(self, skills):
        transfer(self, skills, self.container, self.plate.world_point("top") + [0, 0, 0.004])

    def slots(self):
        return {"A": f"the {self.kind}", "B": "the plate", "a": f"the {self.arm} arm"}
