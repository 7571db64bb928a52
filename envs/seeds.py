"""Seed conventions shared with RoboTwin: evaluation candidates start at 100000 x (1 + base seed); training at 0."""

from __future__ import annotations

EVAL_SEED_STRIDE = 100000
TRAIN_SEED_START = 0


def eval_seed_candidates(count: int, base_seed: int = 0) -> range:
    """Candidate evaluation seeds; RoboTwin keeps only those its expert solves (see ``envs.cli check``)."""
    start = EVAL_SEED_STRIDE * (1 + base_seed)
    return range(start, start + count)


def train_seeds(count: int) -> range:
    return range(TRAIN_SEED_START, TRAIN_SEED_START + count)
