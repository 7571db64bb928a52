"""Motus as an agent: the three-camera composite and the joint state in, an action chunk out.

The model runs in the worker's process on the automatically chosen device. Instruction embeddings are computed once
per instruction (the runtime's text cache); each chunk's sampling noise is seeded from the episode seed and the chunk
index, so an episode is reproducible. ``execute`` actions of each chunk are returned before the runner asks again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from motus.images import compose_cameras, resize


class MotusAgent:
    def __init__(
        self,
        checkpoint: str | Path,
        config: str | None = None,
        mode: str = "vla",
        execute: int | None = None,
        num_steps: int | None = None,
        device: str = "auto",
        wan_path: str | None = None,
        vlm_path: str | None = None,
        predict_video: bool = False,
    ):
        from motus.runtime import MotusRuntime

        if mode not in ("vla", "joint"):
            raise ValueError(f"MotusAgent mode must be 'vla' or 'joint', got {mode!r}")
        self.runtime = MotusRuntime.load(
            checkpoint, config, wan_path=wan_path, vlm_path=vlm_path, device=device, use_t5=True
        )
        cfg = self.runtime.config
        self.mode = mode
        self.execute = execute or cfg.action_chunk_size
        if not 1 <= self.execute <= cfg.action_chunk_size:
            raise ValueError(f"execute must be in 1..{cfg.action_chunk_size} (the chunk size), got {execute}")
        self.num_steps = num_steps
        self.predict_video = predict_video and mode == "joint"
        self.predicted_frames: np.ndarray | None = None  # [T, H, W, 3] of the last chunk, for rollout videos
        self.instruction = ""
        self.seed = 0
        self.chunks = 0

    def reset(self, *, task: str, instruction: str, seed: int, **context: Any) -> None:
        self.instruction, self.seed, self.chunks = instruction, seed, 0
        self.predicted_frames = None

    def act(self, obs: dict) -> np.ndarray:
        cfg = self.runtime.config
        image = resize(compose_cameras(obs["images"]), cfg.video_height, cfg.video_width)
        state = np.asarray(obs["qpos"], dtype=np.float32)
        prediction = self.runtime.predict(
            image[None],
            [self.instruction],
            state[None],
            mode=self.mode,
            num_steps=self.num_steps,
            seed=[self.seed * 1000 + self.chunks],
            decode_video=self.predict_video,
        )
        self.chunks += 1
        if prediction.frames is not None:
            self.predicted_frames = prediction.frames[0, 1:]
        return prediction.actions[0, : self.execute]
