"""Uniformly random joint targets within the real arm's joint ranges: a floor for every success rate.

The simulator's limits can be wider (aloha_agilex takes RoboTwin's +-10 rad so checkpoint actions are never clamped);
drawing from those would only spin the joints, so the random agent draws from the robot description's ranges (or the
ranges the environment gives in the reset's ``action_limits``: RoboTwin's robot)."""

from __future__ import annotations

from typing import Any

import numpy as np

from conventions import DEFAULT_EMBODIMENT


class RandomAgent:
    uses_images = False

    def __init__(self, chunk_size: int = 16, seed: int = 0):
        self.chunk_size = chunk_size
        self.base_seed = seed
        self.rng = np.random.default_rng(seed)
        self.low = self.high = None

    def reset(self, *, task: str, instruction: str, seed: int, **context: Any) -> None:
        if context.get("action_limits") is not None:  # a simulator that is not ours (RoboTwin) says its ranges
            self.low, self.high = (np.asarray(limit, dtype=np.float64) for limit in context["action_limits"])
        else:
            from envs.embodiment import load_embodiment

            embodiment = load_embodiment(context.get("embodiment", DEFAULT_EMBODIMENT))
            self.low, self.high = embodiment.action_limits(description=True)
        self.rng = np.random.default_rng([self.base_seed, seed])  # the episode seed fixes the actions

    def act(self, obs: dict) -> np.ndarray:
        return self.rng.uniform(self.low, self.high, size=(self.chunk_size, self.low.shape[0])).astype(np.float32)
