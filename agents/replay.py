"""Replays the actions of a recorded dataset episode (the Motus on-disk layout) for the episode's seed.

In that layout ``qpos/<i>.pt`` holds [T, action_dim] commanded joint targets, frame 0 after reset, so the actions
taken are rows 1..T-1; ``seeds.json`` (a list, position = episode index) says which seed each episode was recorded on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from agents.base import AgentError, RecordedActions


class ReplayAgent(RecordedActions):
    def __init__(self, dataset: str | Path, chunk_size: int = 16):
        super().__init__(chunk_size)
        self.dataset = Path(dataset)

    def reset(self, *, task: str, instruction: str, seed: int, **context: Any) -> None:
        import torch

        folder = self.dataset / context.get("domain", "clean") / task
        index_file = folder / "seeds.json"
        if not index_file.is_file():
            raise AgentError(f"replay dataset has no {index_file} (which seed each episode was recorded on)")
        seeds = json.loads(index_file.read_text())
        if seed not in seeds:
            raise AgentError(f"replay dataset {folder} has no episode for seed {seed}")
        qpos = torch.load(folder / "qpos" / f"{seeds.index(seed)}.pt", map_location="cpu", weights_only=True)
        self.load(np.asarray(qpos, dtype=np.float32)[1:])

    def act(self, obs: dict) -> np.ndarray:
        chunk = self.next_chunk()
        if chunk is None:
            raise AgentError("the recorded episode has no more actions")
        return chunk
