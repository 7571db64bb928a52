"""stack_blocks_two: put the green cube on the red cube at the centre of the table."""

from __future__ import annotations

import numpy as np

from envs.objects import COLORS
from envs.tasks.base import Task, register_task

CUBE_HALF = 0.025
TARGET_XY = (0.0, -0.13)
TOLERANCE = np.array([0.025, 0.025, 0.012])


def stacked(lower, upper, height: float = 2 * CUBE_HALF) -> bool:
    """``upper`` sits on ``lower`` within RoboTwin's tolerance (2.5, 2.5, 1.2 cm)."""
    offset = upper.pose.p - lower.pose.p - np.array([0.0, 0.0, height])
    return bool(np.all(np.abs(offset) < TOLERANCE))


def sample_cube_positions(task: Task, rng: np.random.Generator, count: int) -> list[tuple[float, float]]:
    """Cubes anywhere reachable on the front half of the table, apart from each other and from the target."""
    positions: list[tuple[float, float]] = []
    for _ in range(count):
        positions.append(
            task.sample_xy(rng, (-0.3, 0.3), (-0.2, 0.05), avoid=[TARGET_XY, *positions], min_distance=0.11)
        )
    return positions


def stack_in_order(task: Task, skills, cubes) -> None:
    """Put the first cube on the target, then each next cube on the previous one, each with the arm on its side."""
    target = np.array([*TARGET_XY, task.table_z + 0.002])
    previous_arm = None
    for index, cube in enumerate(cubes):
        arm = task.side_arm(cube.pose.p[0])
        if previous_arm is not None and previous_arm != arm:
            skills.retract([previous_arm])
        skills.grasp({arm: (cube, None)})
        skills.lift([arm], 0.1)
        goal = target if index == 0 else cubes[index - 1].world_point("top") + [0, 0, 0.004]
        skills.place({arm: ("bottom", goal)})
        previous_arm = arm
    skills.retract([previous_arm])


@register_task
class StackBlocksTwo(Task):
    name = "stack_blocks_two"
    step_limit = 800
    arms = "either"
    seen_templates = (
        "stack {A} on top of {B}",
        "put {A} onto {B}",
        "place {A} on {B} in the middle of the table",
        "move {B} to the centre, then stack {A} on it",
        "build a two-block tower with {A} above {B}",
        "set {A} on top of {B}",
        "pick up {A} and place it on {B}",
        "make a stack: {B} at the bottom, {A} on top",
        "grab {A} and stack it onto {B}",
        "position {A} directly above {B}, resting on it",
    )
    unseen_templates = (
        "could you pile {A} on {B}?",
        "{A} goes on top of {B}; stack them at the centre",
        "create a small tower, {B} below and {A} above",
    )

    def build(self, rng):
        (rx, ry), (gx, gy) = sample_cube_positions(self, rng, 2)
        self.red = self.add(
            self.factory.cube("red_block", self.on_table(rx, ry, rng.uniform(-0.5, 0.5)), CUBE_HALF, COLORS["red"])
        )
        self.green = self.add(
            self.factory.cube("green_block", self.on_table(gx, gy, rng.uniform(-0.5, 0.5)), CUBE_HALF, COLORS["green"])
        )

    def keep_out(self):
        return [*super().keep_out(), (*TARGET_XY, 0.1)]

    def success(self):
        return stacked(self.red, self.green) and self.grippers_open()

    def expert(self, skills):
        stack_in_order(self, skills, [self.red, self.green])

    def slots(self):
        return {"A": "the green block", "B": "the red block"}
