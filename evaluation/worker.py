"""A long-lived simulator worker process: keeps one environment per (task, domain) and its renderer alive across
episodes, builds its agent once, and serves work items (seed verification or evaluation episodes) from its inbox."""

from __future__ import annotations

import importlib
import os
import queue
import signal
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PARENT_CHECK_S = 2.0


@dataclass(frozen=True)
class WorkItem:
    id: int
    kind: str  # "verify" (expert on a candidate seed), "episode" (run the agent), or a kind in WorkerConfig.handlers
    task: str
    domain: str
    seed: int
    episode: int = -1
    attempt: int = 0


@dataclass
class WorkerConfig:
    agent: str
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    embodiment: str = "dual_panda"
    video: str = "none"  # none | failures | all
    video_dir: str | None = None
    video_stride: int = 1
    render_threads: int | None = None  # CPU threads per worker (rendering, torch); the pool sets cores // workers
    handlers: dict[str, str] = field(default_factory=dict)  # more item kinds: kind -> "module:function(env, item)"
    handler_options: dict[str, Any] = field(default_factory=dict)  # keyword arguments for those functions


def verify_seed(env, seed: int) -> dict[str, Any]:
    import numpy as np

    from envs.skills import ExpertError, run_expert

    env.reset(seed=seed)
    try:
        actions = run_expert(env)
    except ExpertError as exc:
        return {"accepted": False, "reason": str(exc)}
    return {"accepted": True, "actions": np.asarray(actions, dtype=np.float32)}


def episode_video_path(config: WorkerConfig, item: WorkItem) -> Path | None:
    if config.video == "none" or not config.video_dir:
        return None
    return Path(config.video_dir) / item.domain / item.task / f"seed{item.seed}.mp4"


def failed_episode(message: str) -> dict[str, Any]:
    zero = {"policy_s": 0.0, "sim_s": 0.0, "render_s": 0.0, "duration_s": 0.0}
    return {
        "success": False,
        "steps": 0,
        "error": message,
        "instruction": None,
        "step_limit": None,
        "video": None,
        **zero,
    }


class ItemRunner:
    """Serves work items in one process: one environment per (task, domain), one agent, both kept across items.
    Used by the local worker processes and by the Ray actors alike."""

    def __init__(self, config: WorkerConfig):
        if config.render_threads:  # share the cores between workers instead of oversubscribing them
            os.environ.setdefault("LP_NUM_THREADS", str(config.render_threads))  # software rendering
            os.environ.setdefault("OMP_NUM_THREADS", str(config.render_threads))  # torch (a policy in the worker)
        self.config = config
        self.environments: dict = {}
        self.agent = None

    def run(self, item: WorkItem) -> dict[str, Any]:
        from agents import make_agent
        from envs.env import MotusTaskEnv
        from evaluation.episode import EpisodeSpec, run_episode

        config = self.config
        try:
            key = (item.task, item.domain)
            if key not in self.environments:
                self.environments[key] = MotusTaskEnv(item.task, domain=item.domain, embodiment=config.embodiment)
            env = self.environments[key]
            if item.kind == "verify":
                return verify_seed(env, item.seed)
            if item.kind in config.handlers:
                module, _, function = config.handlers[item.kind].partition(":")
                return getattr(importlib.import_module(module), function)(env, item, **config.handler_options)
            if self.agent is None:
                try:
                    self.agent = make_agent(config.agent, **config.agent_kwargs)
                except Exception as exc:
                    return {"fatal": f"cannot build agent {config.agent!r}: {exc}"}
            keep = (lambda success: not success) if config.video == "failures" else (lambda success: True)
            spec = EpisodeSpec(item.task, item.domain, item.seed, item.episode)
            return run_episode(
                env, self.agent, spec, config.embodiment, episode_video_path(config, item), keep, config.video_stride
            )
        except Exception as exc:  # the simulator itself failed on this item
            message = f"worker error: {type(exc).__name__}: {exc}"
            result = {"accepted": False, "reason": message} if item.kind != "episode" else failed_episode(message)
            result["traceback"] = traceback.format_exc(limit=8)
            return result


def worker_main(worker_id: int, config: WorkerConfig, inbox, outbox) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
    runner = ItemRunner(config)
    parent = os.getppid()
    while True:
        try:
            item = inbox.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            if os.getppid() != parent:  # the parent was killed (e.g. SIGKILL): do not linger as an orphan
                return
            continue
        if item is None:
            return
        outbox.put((worker_id, item.id, runner.run(item)))
