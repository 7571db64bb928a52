"""One closed-loop episode: reset with the seed, ask the agent for chunks, execute them action by action.

The scene is rendered only when the agent needs an observation (at the start of each chunk) or when a video frame is
recorded, because rendering three cameras costs ~50x a control step on a CPU. An agent that raises or returns a
malformed chunk ends its episode with the reason in ``error``; nothing escapes to the caller.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.video import EpisodeVideo


@dataclass(frozen=True)
class EpisodeSpec:
    task: str
    domain: str
    seed: int
    episode: int


def check_chunk(chunk: Any, action_dim: int) -> np.ndarray:
    """The agent's chunk as float [k, action_dim], or ValueError saying what is wrong with it."""
    try:
        array = np.asarray(chunk, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"agent returned a non-numeric chunk ({type(chunk).__name__}): {exc}") from exc
    if array.ndim == 1 and array.shape[0] == action_dim:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != action_dim or array.shape[0] == 0:
        raise ValueError(f"agent returned a chunk of shape {array.shape}; expected [k >= 1, {action_dim}]")
    if not np.all(np.isfinite(array)):
        raise ValueError("agent returned NaN or infinite actions")
    return array


def predicted_frame(agent, index: int, chunk_length: int) -> np.ndarray | None:
    """The agent's predicted frame for action ``index`` of its chunk (predicted frames span the chunk evenly)."""
    predicted = getattr(agent, "predicted_frames", None)
    if predicted is None or len(predicted) == 0:
        return None
    return predicted[min(len(predicted) - 1, index * len(predicted) // chunk_length)]


def run_episode(
    env,
    agent,
    spec: EpisodeSpec,
    embodiment: str,
    video_path: Path | None = None,
    keep_video=lambda success: True,
    video_stride: int = 1,
) -> dict[str, Any]:
    """Returns the ledger fields that describe the episode (the caller adds run-level ones)."""
    start = time.perf_counter()
    policy_s = 0.0
    env.timings.update(sim=0.0, render=0.0)
    obs, info = env.reset(seed=spec.seed)
    reset_sim_s = time.perf_counter() - start - env.timings["render"]  # scene build + settling is simulation too
    instruction, step_limit = info["instruction"], env.step_limit
    record: dict[str, Any] = {"instruction": instruction, "step_limit": step_limit, "error": None, "chunks": 0}
    panel = bool(getattr(agent, "predict_video", False))
    video = EpisodeVideo(video_path, spec.task, instruction, step_limit, prediction_panel=panel) if video_path else None
    success = False
    try:
        t = time.perf_counter()
        agent.reset(
            task=spec.task,
            instruction=instruction,
            seed=spec.seed,
            domain=spec.domain,
            step_limit=step_limit,
            embodiment=embodiment,
        )
        policy_s += time.perf_counter() - t
        if video:
            video.add(obs["images"], 0)
        while not env.done:
            t = time.perf_counter()
            chunk = check_chunk(agent.act(obs), env.action_space.shape[0])
            policy_s += time.perf_counter() - t
            record["chunks"] += 1
            for index, action in enumerate(chunk):
                terminated, _ = env.apply_action(action)
                success = success or terminated
                if video and (env.elapsed_steps % video_stride == 0 or env.done):
                    status = "running" if not env.done else ("success" if success else "failure")
                    video.add(
                        env.observe()["images"], env.elapsed_steps, status, predicted_frame(agent, index, len(chunk))
                    )
                if env.done:
                    break
            if not env.done:
                obs = env.observe()
    except Exception as exc:  # an agent (or its chunk) failed: record why, keep the run going
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=6)
    record.update(
        success=bool(success),
        steps=int(env.elapsed_steps),
        success_step=env.success_step,
        policy_s=round(policy_s, 4),
        sim_s=round(env.timings["sim"] + reset_sim_s, 4),
        render_s=round(env.timings["render"], 4),
        duration_s=round(time.perf_counter() - start, 4),
    )
    kept = video.close(keep=keep_video(success)) if video else None
    record["video"] = str(kept) if kept else None
    return record
