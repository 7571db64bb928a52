"""beat_block_hammer: grasp the hammer and strike the top of a small static cube with its head.

The stand-in hammer lies flat with its head's bottom face as the striking face, so a strike is a straight-down
motion of the held hammer onto the block.
"""

from __future__ import annotations

import numpy as np

from envs.objects import COLORS
from envs.tasks.base import Task, register_task

XY_TOLERANCE = 0.02


@register_task
class BeatBlockHammer(Task):
    name = "beat_block_hammer"
    step_limit = 400
    arms = "single"
    seen_templates = (
        "pick up {A} and hit {B}",
        "use {A} to strike {B}",
        "grab {A} and beat {B} with it",
        "hammer the top of {B}",
        "take {A} with {a} and knock on {B}",
        "strike {B} from above with {A}",
        "lift {A} and bring its head down on {B}",
        "hit {B} using {A}",
        "grasp {A}, then tap {B} with its head",
        "beat {B} with {A}",
    )
    unseen_templates = (
        "give {B} a whack with {A}",
        "could you hammer {B}?",
        "bring {A} down onto {B}",
    )

    def build(self, rng):
        side = -1 if rng.random() < 0.5 else 1
        bx, by = side * rng.uniform(0.08, 0.22), rng.uniform(-0.03, 0.06)
        hx, hy = side * rng.uniform(0.1, 0.22), rng.uniform(-0.2, -0.15)
        self.block = self.add(self.factory.cube("block", self.on_table(bx, by), 0.025, COLORS["red"], static=True))
        self.hammer = self.add(self.factory.hammer("hammer", self.on_table(hx, hy, rng.uniform(-0.3, 0.3))))
        self.arm = self.side_arm(bx)

    def success(self):
        head = self.hammer.world_point("head_face")
        top = self.block.world_point("top")
        return bool(np.hypot(*(head[:2] - top[:2])) < XY_TOLERANCE) and self.in_contact(self.hammer, self.block)

    def expert(self, skills):
        skills.grasp({self.arm: (self.hammer, None)})
        skills.lift([self.arm], 0.12)
        skills.place(
            {self.arm: ("head_face", self.block.world_point("top") + [0, 0, -0.004])}, hover=0.06, release=False
        )

    def slots(self):
        return {"A": "the hammer", "B": "the block", "a": f"the {self.arm} arm"}
