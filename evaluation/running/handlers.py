"""What an evaluation asks its workers to do, as ``workers`` handlers: ``episode`` (the agent in closed loop on one
protocol seed), ``warm`` (build an episode's environment ahead of it) and the expert's ``verify`` / ``fingerprint``.

An episode handler lives as long as its worker, so the agent (a policy that may take minutes to load) is built once
per worker, not per episode. This module is also what a RoboTwin worker imports, so it imports nothing of the
harness's ``envs`` (RoboTwin's package of the same name is the one loaded there)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from conventions import DEFAULT_EMBODIMENT
from evaluation.running.episode import EpisodeSpec, failed_episode, run_episode
from evaluation.running.policy_processes import worker_server
from workers.runner import FatalItemError, WorkerConfig, WorkItem

EPISODE_HANDLER = "evaluation.running.handlers:EpisodeHandler"
WARM_HANDLER = "evaluation.running.handlers:warm_environment"


class EpisodeHandler:
    def __init__(
        self,
        agent: str,
        agent_kwargs: dict[str, Any] | None = None,
        embodiment: str = DEFAULT_EMBODIMENT,
        video: str = "none",  # none | failures | all
        video_dir: str | None = None,
        video_stride: int = 1,
        worker_id: int = 0,
    ):
        self.agent_name, self.agent_kwargs = agent, dict(agent_kwargs or {})
        if agent == "remote":  # the run's shared policy processes: this worker talks to one of them
            self.agent_kwargs["server"] = worker_server(self.agent_kwargs["server"], worker_id)
        self.embodiment = embodiment
        self.video, self.video_dir, self.video_stride = video, video_dir, video_stride
        self.agent = None

    def _agent(self):
        from agents import make_agent

        if self.agent is None:
            try:
                self.agent = make_agent(self.agent_name, **self.agent_kwargs)
            except Exception as exc:
                raise FatalItemError(f"cannot build agent {self.agent_name!r}: {exc}") from exc
        return self.agent

    def video_path(self, item: WorkItem) -> Path | None:
        if self.video == "none" or not self.video_dir:
            return None
        return Path(self.video_dir) / item.domain / item.task / f"seed{item.seed}.mp4"

    def __call__(self, env, item: WorkItem) -> dict[str, Any]:
        keep = (lambda success: not success) if self.video == "failures" else (lambda success: True)
        return run_episode(
            env,
            self._agent(),
            EpisodeSpec(item.task, item.domain, item.seed, item.episode, item.instruction),
            self.embodiment,
            self.video_path(item),
            keep,
            self.video_stride,
            check_scene=(lambda: None) if item.fingerprint is None else (lambda: self.check_scene(env, item)),
        )

    @staticmethod
    def check_scene(env, item: WorkItem) -> None:
        from evaluation.running.protocol import check_fingerprint

        check_fingerprint(env, item)

    def on_error(self, item: WorkItem, message: str, trace: str) -> dict[str, Any]:
        """The simulator failed outside the episode loop (e.g. building the scene): the episode is an infrastructure
        error, scored by no one and retried by ``--resume``; the run goes on."""
        return {**failed_episode(message, "infra_error"), "traceback": trace}

    def close(self) -> None:
        from agents import close_agent

        if self.agent is not None:
            close_agent(self.agent)
            self.agent = None


def warm_environment(env, item: WorkItem, images: bool = True) -> dict[str, Any]:
    """A worker's cache builds the item's environment; a reset at its seed loads the scene's assets and, when the
    episodes will render (``images``), renders its first frames (the first render compiles the renderer's shaders),
    so that the episode that follows starts at once."""
    obs, _ = env.reset(seed=item.seed, options={"images": images})
    return {"worker_pid": os.getpid(), "rendered": bool(obs["images"])}


def evaluation_worker_config(
    agent: str, embodiment: str = DEFAULT_EMBODIMENT, warm_images: bool = True, **episode_options: Any
) -> WorkerConfig:
    """A worker configuration that serves evaluation episodes (``episode_options``: the rest of ``EpisodeHandler``'s
    arguments), their warm-up (``warm_images``: whether it renders) and the expert's seed verification."""
    from evaluation.running.verification import VERIFICATION_HANDLERS

    options = {"agent": agent, "embodiment": embodiment, **episode_options}
    handlers = {"episode": EPISODE_HANDLER, "warm": WARM_HANDLER, **VERIFICATION_HANDLERS}
    handler_options = {"episode": options, "warm": {"images": warm_images}}
    return WorkerConfig(handlers=handlers, handler_options=handler_options, embodiment=embodiment)
