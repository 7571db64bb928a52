"""handover_block: the left arm picks up a tall block, hands it to the right arm mid-air, which puts it on the pad."""

from __future__ import annotations

import numpy as np

from envs.objects import COLORS
from envs.skills import hand_pose
from envs.tasks.base import Task, register_task

BLOCK_HALF = (0.03, 0.03, 0.1)
XY_TOLERANCE = 0.03
Z_TOLERANCE = 0.01
HANDOVER_POINT = np.array([0.0, -0.08, 0.96])  # where the block's bottom is held during the handover


@register_task
class HandoverBlock(Task):
    name = "handover_block"
    step_limit = 800
    arms = "dual"
    seen_templates = (
        "hand {A} over from {a} to {b} and put it on {B}",
        "pick up {A}, pass it to the other arm, then place it on {B}",
        "move {A} onto {B} by handing it over between the arms",
        "grab {A} with {a}, give it to {b}, and set it on {B}",
        "transfer {A} to {b} mid-air and put it down on {B}",
        "use both arms: pass {A} across and place it on {B}",
        "lift {A}, hand it to the right hand, and drop it onto {B}",
        "pass {A} from left to right and then onto {B}",
        "{a} picks up {A}, {b} takes it and places it on {B}",
        "do a handover of {A} and finish with it on {B}",
    )
    unseen_templates = (
        "relay {A} between the hands and park it on {B}",
        "could you pass {A} over and stand it on {B}?",
        "get {A} onto {B} with a mid-air handover",
    )

    def build(self, rng):
        bx, by = rng.uniform(-0.3, -0.18), rng.uniform(-0.12, 0.02)
        px, py = rng.uniform(0.15, 0.28), rng.uniform(-0.12, 0.02)
        self.block = self.add(
            self.factory.block("block", self.on_table(bx, by, rng.uniform(-0.4, 0.4)), BLOCK_HALF, COLORS["red"])
        )
        self.pad = self.add(self.factory.pad("pad", self.on_table(px, py), (0.05, 0.05), COLORS["blue"]))

    def success(self):
        offset = self.block.world_point("bottom") - self.pad.world_point("top")
        return bool(
            np.hypot(*offset[:2]) < XY_TOLERANCE
            and abs(offset[2]) < Z_TOLERANCE
            and self.robot.gripper_opening("right") > 0.8
        )

    def expert(self, skills):
        skills.grasp({"left": (self.block, None)})
        skills.lift(["left"], 0.1)
        skills.place({"left": ("bottom", HANDOVER_POINT)}, hover=0.0, release=False)
        # The right hand comes in from the +x side, square to the block's faces, around its lower part.
        face_x = self.block.world_axis((1, 0, 0))
        face_y = self.block.world_axis((0, 1, 0))
        approach = max((face_x, -face_x, face_y, -face_y), key=lambda axis: -axis[0])
        closing = np.cross([0.0, 0.0, 1.0], approach)
        grasp_point = self.block.world_point("bottom") + [0.0, 0.0, 0.05]
        skills.grasp_at({"right": (self.block, hand_pose(grasp_point, approach, closing))})
        skills.release(["left"])
        skills.retract(["left"])
        skills.place({"right": ("bottom", self.pad.world_point("top") + [0, 0, 0.003])}, hover=0.05)
        skills.retract(["right"])

    def slots(self):
        return {"A": "the red block", "B": "the blue pad", "a": "the left arm", "b": "the right arm"}
