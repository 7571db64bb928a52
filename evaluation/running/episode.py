"""One closed-loop episode: reset with the seed, ask the agent for chunks, execute them action by action.

The scene is rendered only when the agent needs an observation (at the start of each chunk) or when a video frame is
recorded, because rendering three cameras costs ~50x a control step on a CPU. An agent that raises or returns a
malformed chunk ends its episode with the reason in ``error`` and an ``outcome`` that says whose failure it was (the
policy's, or the infrastructure's); nothing escapes to the caller.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.running.imagination import ImaginationGap
from evaluation.running.video import EpisodeVideo


@dataclass(frozen=True)
class EpisodeSpec:
    task: str
    domain: str
    seed: int
    episode: int
    instruction: str | None = None  # fixed by the seed's list (RoboTwin backend); None: the environment draws it


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


def policy_outcome(exc: BaseException) -> str:
    """What an exception raised by the agent says about the episode: the policy failed (``policy_error``), or it
    could not be asked because of the infrastructure (``infra_error``: server unreachable, out of memory)."""
    from agents.base import AgentUnavailable

    if isinstance(exc, (AgentUnavailable, MemoryError)) or type(exc).__name__ == "OutOfMemoryError":
        return "infra_error"
    return "policy_error"


def renders_cameras(agent, keeps_video: bool) -> bool:
    """Whether an episode renders the cameras: for a kept video, or for an agent (an instance or its class) that does
    not say it acts on joints alone (``uses_images = False``: the expert, a replay, random). Rendering three cameras
    costs more than the physics of a whole chunk."""
    return keeps_video or bool(getattr(agent, "uses_images", True))  # on a class, a property reads as True


def failed_episode(message: str, outcome: str) -> dict[str, Any]:
    """The ledger fields of an episode that produced no rollout (its worker crashed, timed out or failed to start)."""
    zero = {"policy_s": 0.0, "sim_s": 0.0, "render_s": 0.0, "duration_s": 0.0}
    return {
        "success": False,
        "outcome": outcome,
        "steps": 0,
        "error": message,
        "instruction": None,
        "step_limit": None,
        "video": None,
        "failed_conditions": None,
        **zero,
    }


class _PolicyFailure(Exception):
    """Carries an exception raised by the agent (or its chunk) past the simulator's own error handling."""


def _ask(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except Exception as exc:
        raise _PolicyFailure() from exc


def run_episode(
    env,
    agent,
    spec: EpisodeSpec,
    embodiment: str,
    video_path: Path | None = None,
    keep_video=lambda success: True,
    video_stride: int = 1,
    check_scene=lambda: None,
) -> dict[str, Any]:
    """Returns the ledger fields that describe the episode (the caller adds run-level ones).

    ``outcome`` says what happened: ``success``, ``failure`` (step limit reached), ``policy_error`` (the agent raised
    or returned a malformed chunk) or ``infra_error`` (the simulator raised, the policy could not be reached).
    ``check_scene`` runs right after the reset (the protocol's fingerprint check) and may raise to stop the run.
    """
    start = time.perf_counter()
    policy_s = 0.0
    env.timings.update(sim=0.0, render=0.0)
    images = renders_cameras(agent, keeps_video=video_path is not None)
    options = {"images": images} if spec.instruction is None else {"images": images, "instruction": spec.instruction}
    obs, info = env.reset(seed=spec.seed, options=options)
    check_scene()
    reset_sim_s = time.perf_counter() - start - env.timings["render"]  # scene build + settling is simulation too
    instruction, step_limit = info["instruction"], env.step_limit
    record: dict[str, Any] = {"instruction": instruction, "step_limit": step_limit, "error": None, "chunks": 0}
    panel = bool(getattr(agent, "predict_video", False))
    gap = ImaginationGap(agent) if ImaginationGap.applies(agent) else None
    video = None
    if video_path:
        fps = 1 / Fraction(env.control_period).limit_denominator(1000) / video_stride
        video = EpisodeVideo(video_path, spec.task, instruction, step_limit, fps, prediction_panel=panel)
    success, outcome = False, None
    try:
        t = time.perf_counter()
        _ask(
            agent.reset,
            task=spec.task,
            instruction=instruction,
            seed=spec.seed,
            domain=spec.domain,
            step_limit=step_limit,
            embodiment=embodiment,
            action_limits=getattr(env, "action_limits", None),
        )
        policy_s += time.perf_counter() - t
        if video:
            video.add(obs["images"], 0)
        while not env.done:
            t = time.perf_counter()
            chunk = _ask(lambda observation: check_chunk(agent.act(observation), env.action_space.shape[0]), obs)
            policy_s += time.perf_counter() - t
            record["chunks"] += 1
            for index, action in enumerate(chunk):
                env.apply_action(action)
                success = env.scored  # RoboTwin's success: the scoring conditions held at some step
                rendered = None  # the cameras after this action, when a video frame or the gap needs them
                if video and (env.elapsed_steps % video_stride == 0 or env.done):
                    status = "running" if not env.done else ("success" if success else "failure")
                    rendered = env.observe()["images"]
                    video.add(rendered, env.elapsed_steps, status, predicted_frame(agent, index, len(chunk)))
                if gap is not None and (frame := gap.due(index)) is not None:
                    gap.compare(frame, rendered if rendered is not None else env.observe()["images"])
                if env.done:
                    break
            if not env.done:
                obs = env.observe(images)
    except _PolicyFailure as failure:  # the agent (or its chunk) failed: record why, keep the run going
        cause = failure.__cause__
        record["error"] = f"{type(cause).__name__}: {cause}"
        record["traceback"] = "".join(traceback.format_exception(cause, limit=6))
        outcome = policy_outcome(cause)
    except Exception as exc:  # the simulator failed: not the policy's fault
        record["error"] = f"simulator error: {type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=6)
        outcome = "infra_error"
    record.update(
        success=bool(success),
        outcome=outcome or ("success" if success else "failure"),
        conditions=dict(env.conditions),
        extra_conditions={name: env.conditions.get(name) for name in env.task_cls.extra_conditions},
        failed_conditions=None if success or outcome else env.failed_conditions(),
        steps=int(env.elapsed_steps),
        success_step=env.success_step,
        policy_s=round(policy_s, 4),
        sim_s=round(env.timings["sim"] + reset_sim_s, 4),
        render_s=round(env.timings["render"], 4),
        duration_s=round(time.perf_counter() - start, 4),
        **(gap.record() if gap is not None else {}),
    )
    kept = video.close(keep=keep_video(success)) if video else None
    record["video"] = str(kept) if kept else None
    return record
