"""The RoboTwin backend inside ``motus-eval``'s run: the workers' configuration (RoboTwin's environment and
handlers), then, before any episode, the workers' preflight and the run's seeds."""

from __future__ import annotations

from typing import Any

from evaluation.robotwin.handlers import ROBOTWIN_HANDLERS
from evaluation.robotwin.seeds import SearchStopped, find_run_seeds
from evaluation.running.errors import EvalAbort, EvalConfigError
from evaluation.running.handlers import EPISODE_HANDLER
from evaluation.running.plan import EvalPlan
from workers.runner import WorkerConfig, WorkItem

ENVIRONMENT = "evaluation.robotwin.environment:RoboTwinEnvironment"
SCENES_PER_WORKER = 2  # RoboTwin tasks a worker keeps built (each holds a SAPIEN scene on the GPU)


def robotwin_worker_config(plan: EvalPlan, episode_options: dict[str, Any]) -> WorkerConfig:
    settings = plan.robotwin or {}
    return WorkerConfig(
        handlers={"episode": EPISODE_HANDLER, **ROBOTWIN_HANDLERS},
        handler_options={
            "episode": {"embodiment": plan.embodiment, **episode_options},  # the agent: the options' (maybe remote)
            "preflight": {"tasks": plan.tasks},
            "expert_check": {"instruction_types": settings["instruction_types"]},
        },
        embodiment=plan.embodiment,
        env_cache_size=SCENES_PER_WORKER,
        environment=ENVIRONMENT,
        environment_options={"robotwin_root": settings["root"], "task_configs": settings["task_configs"]},
    )


def prepare_robotwin_seeds(pool, plan: EvalPlan) -> None:
    """Preflight in one worker (a rendering device, every task's module), then the run's seed lists; fills
    ``plan.protocol_seeds``. A failed preflight is bad input: nothing has run."""
    settings = plan.robotwin or {}
    probe = WorkItem(0, "preflight", plan.tasks[0], plan.domains[0], 0)
    ((_, result),) = list(pool.run([probe]))
    if "fatal" in result or "error" in result:
        raise EvalConfigError(f"the RoboTwin checkout cannot run here: {result.get('fatal') or result.get('error')}")
    try:
        plan.protocol_seeds = find_run_seeds(
            pool,
            plan.run_dir,
            settings["task_configs"],
            plan.tasks,
            plan.base_seed,
            plan.seeds,
            settings["max_candidates"],
        )
    except SearchStopped as exc:
        raise EvalAbort(f"RoboTwin's expert check stopped: {exc}") from exc
