"""stack_blocks_three: red at the centre, green on red, blue on green."""

from __future__ import annotations

from envs.objects import COLORS
from envs.tasks.base import Task, register_task
from envs.tasks.stack_blocks_two import CUBE_HALF, TARGET_XY, sample_cube_positions, stack_in_order, stacked


@register_task
class StackBlocksThree(Task):
    name = "stack_blocks_three"
    step_limit = 1200
    arms = "either"
    seen_templates = (
        "stack {A}, then {B}, then {C} into a tower",
        "build a tower: {A} at the bottom, {B} in the middle, {C} on top",
        "put {B} on {A} and {C} on {B}",
        "place {A} in the centre, stack {B} on it and finish with {C}",
        "make a three-block stack in the order {A}, {B}, {C}",
        "pile the blocks with {A} lowest and {C} highest",
        "stack the three blocks: {A} first, {B} second, {C} last",
        "move {A} to the middle, then put {B} and {C} on top of it in that order",
        "create a tower of {A}, {B} and {C} from bottom to top",
        "set {B} on {A}, then set {C} on {B}",
    )
    unseen_templates = (
        "could you stack {A}, {B} and {C}, bottom to top?",
        "tower time: {A} below, {B} above it, {C} at the very top",
        "arrange {A}, {B}, {C} vertically, in that order upwards",
    )

    def build(self, rng):
        positions = sample_cube_positions(self, rng, 3)
        self.cubes = [
            self.add(
                self.factory.cube(
                    f"{color}_block", self.on_table(x, y, rng.uniform(-0.5, 0.5)), CUBE_HALF, COLORS[color]
                )
            )
            for color, (x, y) in zip(("red", "green", "blue"), positions, strict=True)
        ]

    def keep_out(self):
        return [*super().keep_out(), (*TARGET_XY, 0.1)]

    def success(self):
        red, green, blue = self.cubes
        return stacked(red, green) and stacked(green, blue) and self.grippers_open()

    def expert(self, skills):
        stack_in_order(self, skills, self.cubes)

    def slots(self):
        return {"A": "the red block", "B": "the green block", "C": "the blue block"}
