"""Planning an evaluation run: validate every input, then read the protocol's seeds into an ``EvalPlan``.

Nothing starts before the inputs are known to be good (task, domain and agent names; a checkpoint that loads; the
protocol has the seeds asked for). On the embedded simulator, seeds and their scene fingerprints come from the
committed protocol; the RoboTwin backend (``evaluation/robotwin/plan.py``) finds its own.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conventions import UnknownDomainError, parse_domains
from evaluation.running.agent_inputs import agent_arguments, server_identity
from evaluation.running.errors import EvalConfigError
from evaluation.running.policy_processes import SharedPolicy, resolve_policy_process
from evaluation.running.protocol import (
    PROTOCOL_ROOT,
    PROTOCOL_VERSION,
    ExpertActionCache,
    ProtocolError,
    evaluation_seeds,
)
from evaluation.running.provenance import checkpoint_identity, environment_versions, git_revision, simulator_versions

VIDEO_MODES = ("none", "failures", "all")
LAUNCHERS = ("local", "ray")


@dataclass
class EvalPlan:
    run_id: str
    run_dir: Path
    tasks: list[str]
    domains: list[str]
    seeds: int
    agent: str
    agent_kwargs: dict[str, Any]
    embodiment: str
    base_seed: int
    workers: int | None
    protocol_seeds: dict[tuple[str, str], list[dict[str, Any]]]  # (task, domain) -> [{"seed", "fingerprint"}]
    expert_cache: ExpertActionCache | None
    video: str
    video_stride: int
    timeout_s: float
    launcher: str = "local"
    ray_address: str | None = None
    ray_cpus_per_worker: float = 1.0
    step_limits: dict[str, int] = field(default_factory=dict)
    backend: str = "embedded"  # "embedded" | "robotwin"
    robotwin: dict[str, Any] | None = None  # the RoboTwin backend's settings (evaluation/robotwin/plan.py)
    policy: SharedPolicy | None = None  # the shared policy processes; None: the agent is built in each worker
    policy_note: str = ""  # where the policy runs, and why, in words
    meta: dict[str, Any] = field(default_factory=dict)


BACKENDS = ("embedded", "robotwin")


def check_run_settings(cfg) -> tuple[int, int]:
    """The settings every backend shares, validated: returns (seeds, base seed)."""
    seeds = int(cfg.seeds)
    if seeds < 1:
        raise EvalConfigError(f"--seeds must be at least 1, got {seeds}")
    if cfg.video not in VIDEO_MODES:
        raise EvalConfigError(f"unknown video mode {cfg.video!r}; valid: {', '.join(VIDEO_MODES)}")
    if cfg.launcher not in LAUNCHERS:
        raise EvalConfigError(f"unknown launcher {cfg.launcher!r}; valid: {', '.join(LAUNCHERS)}")
    if cfg.launcher == "ray":
        from workers.ray_pool import RayUnavailable, import_ray

        try:
            import_ray()
        except RayUnavailable as exc:
            raise EvalConfigError(str(exc)) from exc
    base_seed = int(cfg.base_seed)
    if base_seed < 0:
        raise EvalConfigError(f"--base-seed must be 0 or more, got {base_seed}")
    return seeds, base_seed


def run_options(cfg) -> dict[str, Any]:
    """How the run runs, whatever the backend: videos, time limit, launcher."""
    return {
        "video": cfg.video,
        "video_stride": int(cfg.video_stride),
        "timeout_s": float(cfg.episode_timeout_s),
        "launcher": cfg.launcher,
        "ray_address": cfg.ray_address,
        "ray_cpus_per_worker": float(cfg.ray_cpus_per_worker),
    }


def policy_options(cfg, agent: str, agent_kwargs: dict[str, Any], workers: int | None) -> dict[str, Any]:
    """Where the policy runs: shared policy processes or a copy per worker (evaluation/running/policy_processes.py)."""
    policy, note = resolve_policy_process(cfg, agent, agent_kwargs, workers)
    return {"policy": policy, "policy_note": note}


def run_identity(cfg, agent: str) -> tuple[str, int | None]:
    """The run id (given, or the agent and a timestamp) and the number of workers."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id = cfg.run_id or f"{agent.replace(':', '.').replace('/', '.')}-{stamp}"
    workers = int(cfg.workers or 0) or (None if cfg.launcher == "ray" else os.cpu_count() or 1)
    return run_id, workers


def common_meta(cfg, plan: EvalPlan) -> dict[str, Any]:
    """What ``run.json`` records for every backend."""
    agent, agent_kwargs = plan.agent, plan.agent_kwargs
    return {
        "run_id": plan.run_id,
        "backend": plan.backend,
        "simulator": simulator_versions(),
        "tasks": plan.tasks,
        "domains": plan.domains,
        "seeds": plan.seeds,
        "base_seed": plan.base_seed,
        "embodiment": plan.embodiment,
        "agent": agent,
        "agent_kwargs": {k: ("***" if k == "token" and v else v) for k, v in agent_kwargs.items()},
        "checkpoint": checkpoint_identity(cfg.checkpoint) if agent == "motus" else None,
        "preset": agent_kwargs.get("preset") if agent == "motus" else None,  # the model's input preset
        "versions": environment_versions(),
        "git_revision": git_revision(),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "workers": plan.workers,
        "policy_process": plan.policy.describe() if plan.policy else {"mode": "per_worker"},
        "launcher": cfg.launcher,
        "server": server_identity(agent_kwargs) if agent == "remote" else None,
        "video": cfg.video,
        "video_stride": plan.video_stride,
    }


def make_plan(cfg) -> EvalPlan:
    """Validate the configuration; raises EvalConfigError before anything starts."""
    backend = str(cfg.get("backend") or "embedded")
    if backend not in BACKENDS:
        raise EvalConfigError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if backend == "robotwin":
        from evaluation.robotwin.plan import make_robotwin_plan

        return make_robotwin_plan(cfg)
    from envs import UnknownTaskError, parse_task_list
    from envs.embodiment import UnknownEmbodimentError, load_embodiment
    from envs.tasks import get_task_class

    try:
        tasks = parse_task_list(cfg.tasks)
        domains = parse_domains(cfg.domain)
    except (UnknownTaskError, UnknownDomainError) as exc:
        raise EvalConfigError(str(exc)) from exc
    seeds, base_seed = check_run_settings(cfg)
    try:
        load_embodiment(cfg.embodiment)
    except UnknownEmbodimentError as exc:
        raise EvalConfigError(str(exc)) from exc
    expert_cache = ExpertActionCache(Path(cfg.expert_cache))
    agent = str(cfg.agent)
    agent_kwargs = agent_arguments(cfg, agent, expert_cache)
    protocol_root = Path(cfg.protocol_root) if cfg.protocol_root else PROTOCOL_ROOT
    try:
        protocol_seeds = {
            (task, domain): evaluation_seeds(protocol_root, task, domain, cfg.embodiment, base_seed, seeds)
            for task in tasks
            for domain in domains
        }
    except ProtocolError as exc:
        raise EvalConfigError(str(exc)) from exc
    run_id, workers = run_identity(cfg, agent)
    plan = EvalPlan(
        run_id=run_id,
        run_dir=Path(cfg.out) / run_id,
        tasks=tasks,
        domains=domains,
        seeds=seeds,
        agent=agent,
        agent_kwargs=agent_kwargs,
        embodiment=cfg.embodiment,
        base_seed=base_seed,
        workers=workers,
        protocol_seeds=protocol_seeds,
        expert_cache=expert_cache,
        **run_options(cfg),
        **policy_options(cfg, agent, agent_kwargs, workers),
        step_limits={t: get_task_class(t).step_limit for t in tasks},
    )
    plan.meta = {
        **common_meta(cfg, plan),
        "protocol": PROTOCOL_VERSION,
        "protocol_root": str(protocol_root),
        "instruction_split": {"clean": "seen", "randomized": "unseen"},
        "step_limits": plan.step_limits,
    }
    return plan
