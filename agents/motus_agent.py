"""Motus as an agent: the three-camera composite and the joint state in, an action chunk out.

``MotusPolicy`` holds the loaded model and answers a batch of episodes at once; ``MotusAgent`` is one episode's view
of a policy. Agents made with ``fork`` share their policy, which is how the policy server batches many clients on one
model. Instruction embeddings are computed once per instruction (the runtime's text cache); each chunk's sampling
noise is seeded from the episode seed and the chunk index, so an episode is reproducible wherever it runs and
whatever else shares its batch. ``execute`` actions of each chunk are returned before the runner asks again.

The input preset (``motus/preset.py``) decides the composite, the instruction prefix, the VLM prompt and the sampling
grid: ``auto`` takes the release's for a checkpoint in the released layout and, for ours, the one it was trained with.
``sample_shift`` overrides only the grid (1.0: the release's unshifted one), to compare grids on one checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from motus.images import resize


class MotusPolicy:
    def __init__(
        self,
        checkpoint: str | Path,
        config: str | None = None,
        preset: str = "auto",
        mode: str | None = None,
        execute: int | None = None,
        num_steps: int | None = None,
        device: str = "auto",
        wan_path: str | None = None,
        vlm_path: str | None = None,
        predict_video: bool = False,
        compile: bool | str = False,
        sample_shift: float | None = None,
    ):
        from dataclasses import replace

        from motus.checkpoint import find_checkpoint
        from motus.preset import resolve_preset
        from motus.runtime import MotusRuntime

        if mode not in (None, "vla", "joint"):
            raise ValueError(f"MotusAgent mode must be 'vla' or 'joint', got {mode!r}")
        layout, _ = find_checkpoint(checkpoint)
        self.runtime = MotusRuntime.load(
            checkpoint, config, wan_path=wan_path, vlm_path=vlm_path, device=device, use_t5=True
        )
        self.preset = resolve_preset(preset, layout, self.runtime.config.preset)
        if sample_shift is not None:  # another Euler grid than the preset's (the steps study compares both)
            if not float(sample_shift) > 0:
                raise ValueError(f"sample_shift must be positive (1.0 = the unshifted grid), got {sample_shift}")
            self.preset = replace(self.preset, sample_shift=float(sample_shift))
        self.runtime.use_preset(self.preset)
        mode = mode or self.preset.mode
        if compile:  # faster chunks after a one-off compilation (MotusTransformer.compile_network)
            compile = "layers" if compile is True else str(compile)
            self.runtime.model.compile_network(compile)
        cfg = self.runtime.config
        self.mode = mode
        self.execute = execute or cfg.action_chunk_size
        if not 1 <= self.execute <= cfg.action_chunk_size:
            raise ValueError(f"execute must be in 1..{cfg.action_chunk_size} (the chunk size), got {execute}")
        self.num_steps = num_steps or self.preset.num_steps or cfg.scheduler.num_inference_steps
        self.predict_video = predict_video and mode == "joint"
        self.cpu_threads = torch.get_num_threads()  # this process's share of the cores (the pool sets it per worker)
        self.identity = {
            "checkpoint": str(checkpoint),
            "config": cfg.name,
            "preset": self.preset.name,
            "mode": mode,
            "execute": self.execute,
            "num_steps": self.num_steps,
            "sample_shift": self.runtime.model.schedule.sample_shift,
            "compile": compile,
        }

    @property
    def frame_stride(self) -> int:
        """Actions per predicted frame: predicted frame j shows the scene after action j x stride of the chunk."""
        return int(self.runtime.config.video_action_freq_ratio)

    def model_frame(self, images: dict[str, np.ndarray]) -> np.ndarray:
        """The cameras as the model sees (and predicts) them: the preset's composite at the model's video size."""
        cfg = self.runtime.config
        return resize(self.preset.composite(images), cfg.video_height, cfg.video_width)

    @property
    def parallel_calls(self) -> int:
        """How many model calls a policy server may run at once. On a CPU, one per core of this process's share,
        each on one thread: the small models that run there gain little from threads and much from batching, and
        a call never waits behind another while a core idles (motus_tiny on 2 cores: two batch-1 calls at once took
        60 ms, one after the other 111 ms, a batch of two on one thread 66 ms; two threads at batch 1 were slower than
        one beside a rendering worker). On a GPU, one: its kernels queue on the device anyway."""
        return max(1, self.cpu_threads) if self.runtime.device.type == "cpu" else 1

    def act_batch(self, episodes: list[MotusAgent], observations: list[dict]) -> list[np.ndarray]:
        """One chunk per episode, all in one model call."""
        if self.runtime.device.type == "cpu" and torch.get_num_threads() != 1:
            torch.set_num_threads(1)  # one core per call (once per thread); a server runs ``parallel_calls`` at once
        images = np.stack([self.model_frame(o["images"]) for o in observations])
        states = np.stack([np.asarray(o["qpos"], dtype=np.float32) for o in observations])
        prediction = self.runtime.predict(
            images,
            [self.preset.instruction(e.instruction) for e in episodes],
            states,
            mode=self.mode,
            num_steps=self.num_steps,
            seed=[e.seed * 1000 + e.chunks for e in episodes],
            decode_video=self.predict_video,
        )
        for index, episode in enumerate(episodes):
            episode.chunks += 1
            episode.predicted_frames = None if prediction.frames is None else prediction.frames[index, 1:]
        return [actions[: self.execute] for actions in prediction.actions]


class MotusAgent:
    def __init__(self, checkpoint: str | Path | None = None, policy: MotusPolicy | None = None, **options: Any):
        self.policy = policy if policy is not None else MotusPolicy(checkpoint, **options)
        self.predict_video = self.policy.predict_video
        self.predicted_frames: np.ndarray | None = None  # [T, H, W, 3] of the last chunk, for rollout videos
        self.instruction, self.seed, self.chunks = "", 0, 0

    @property
    def frame_stride(self) -> int:
        return self.policy.frame_stride

    @property
    def parallel_calls(self) -> int:
        return self.policy.parallel_calls

    def model_frame(self, images: dict[str, np.ndarray]) -> np.ndarray:
        return self.policy.model_frame(images)

    def fork(self) -> MotusAgent:
        """Another episode on the same loaded model."""
        return MotusAgent(policy=self.policy)

    def close(self) -> None:
        """Drop this agent's reference to the model (forks sharing it keep it alive)."""
        self.policy = None
        self.predicted_frames = None

    def reset(self, *, task: str, instruction: str, seed: int, **context: Any) -> None:
        self.instruction, self.seed, self.chunks = instruction, seed, 0
        self.predicted_frames = None

    def act(self, obs: dict) -> np.ndarray:
        return self.policy.act_batch([self], [obs])[0]

    @staticmethod
    def act_batch(agents: list[MotusAgent], observations: list[dict]) -> list[np.ndarray]:
        """Batched ``act`` for agents that share one policy (the policy server's path)."""
        policies = {id(a.policy) for a in agents}
        if len(policies) != 1:
            return [agent.act(obs) for agent, obs in zip(agents, observations, strict=True)]
        return agents[0].policy.act_batch(agents, observations)
