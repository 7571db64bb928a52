"""Planning a run on a user's RoboTwin checkout (``motus-eval --backend robotwin --robotwin-root DIR``): everything
that can be checked from the orchestrating process is checked before any worker starts (the checkout and its
layout, tasks, task configs, downloaded assets, the agent and its action width against the checkout's robot). The
workers check the rest first thing (a rendering device, every task's module), before any seed.

The run's seeds are not known yet: RoboTwin's expert check finds them in the workers (``seeds.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluation.robotwin.checkout import (
    RoboTwinCheckout,
    RoboTwinCheckoutError,
    domain_of,
    qpos_width,
    task_configs_for,
)
from evaluation.running.agent_inputs import agent_arguments
from evaluation.running.errors import EvalConfigError
from evaluation.running.plan import (
    EvalPlan,
    check_run_settings,
    common_meta,
    policy_options,
    run_identity,
    run_options,
)

INSTRUCTION_TYPES = ("seen", "unseen")
UNSUPPORTED_AGENTS = {
    "expert": "RoboTwin's expert (play_once) is its seed check, not a closed-loop agent: every accepted seed is one "
    "it solved",
    "replay": "a replay of the embedded simulator's demonstrations does not transfer to RoboTwin's scenes",
}


def instruction_type_of(checkout: RoboTwinCheckout, task_config: str, given: str | None) -> str:
    """``--instruction-type``, else the task config's ``eval_instruction`` (current layout), else ``unseen`` (the
    legacy policy template's default, used for the 2025 results)."""
    chosen = str(given or checkout.task_config(task_config).get("eval_instruction") or "unseen").strip().lower()
    if chosen not in INSTRUCTION_TYPES:
        raise EvalConfigError(f"unknown instruction type {chosen!r}; valid: {', '.join(INSTRUCTION_TYPES)}")
    return chosen


def absolute_paths(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Agent arguments that name files relative to here, made absolute: RoboTwin's workers run from the checkout."""
    return {
        key: str(Path(value).resolve()) if isinstance(value, str) and value and Path(value).exists() else value
        for key, value in kwargs.items()
    }


def make_robotwin_plan(cfg) -> EvalPlan:
    seeds, base_seed = check_run_settings(cfg)
    agent = str(cfg.agent)
    if agent in UNSUPPORTED_AGENTS:
        raise EvalConfigError(f"--agent {agent} does not run on the robotwin backend: {UNSUPPORTED_AGENTS[agent]}")
    try:
        checkout = RoboTwinCheckout.open(cfg.robotwin_root)
        tasks = checkout.parse_tasks(cfg.tasks)
        configs = task_configs_for(str(cfg.domain), cfg.get("task_config"))
        for config in configs:
            checkout.task_config(config)
        checkout.check_assets(configs)
        robots = {config: checkout.embodiment(config) for config in configs}
        widths = {config: qpos_width(*checkout.arm_configs(config)) for config in configs}
    except RoboTwinCheckoutError as exc:
        raise EvalConfigError(str(exc)) from exc
    if len(set(robots.values())) != 1:
        raise EvalConfigError(f"the task configs evaluate different robots ({robots}); run them separately")
    embodiment, width = next(iter(robots.values())), next(iter(widths.values()))
    domains = [domain_of(config) for config in configs]
    instruction_types = {domain_of(c): instruction_type_of(checkout, c, cfg.get("instruction_type")) for c in configs}
    cfg.embodiment = embodiment
    agent_kwargs = absolute_paths(agent_arguments(cfg, agent, None, action_dim=width))
    run_id, workers = run_identity(cfg, agent)
    run_dir = (Path(cfg.out) / run_id).resolve()
    step_limits = checkout.step_limits(tasks)
    max_candidates = int(cfg.get("max_candidates") or 10 * seeds + 10)
    plan = EvalPlan(
        run_id=run_id,
        run_dir=run_dir,
        tasks=tasks,
        domains=domains,
        seeds=seeds,
        agent=agent,
        agent_kwargs=agent_kwargs,
        embodiment=embodiment,
        base_seed=base_seed,
        workers=workers,
        protocol_seeds={},  # found by the workers: evaluation/robotwin/seeds.py
        expert_cache=None,
        **run_options(cfg),
        **policy_options(cfg, agent, agent_kwargs, workers),
        step_limits=step_limits,
        backend="robotwin",
        robotwin={
            "root": str(checkout.root),
            "task_configs": dict(zip(domains, configs, strict=True)),
            "instruction_type": cfg.get("instruction_type"),  # as given (None: each task config's own)
            "instruction_types": instruction_types,
            "max_candidates": max_candidates,
        },
    )
    plan.meta = {
        **common_meta(cfg, plan),
        "protocol": "robotwin-run",  # the run's own seed lists, in <run>/protocol/
        "protocol_root": str(run_dir / "protocol"),
        "robotwin": {**checkout.describe(), **plan.robotwin},
        "instruction_split": instruction_types,
        "step_limits": step_limits,
        "action_dim": width,
    }
    return plan
