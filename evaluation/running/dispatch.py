"""Running a planned evaluation: the worker pool (local or Ray), the expert's actions for the seeds its cache lacks,
the first scenes built while shared policy processes load, then every episode not yet in the ledger, each written
down as soon as it finishes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tqdm import tqdm

from agents import resolve_agent_class
from evaluation.ledger import RunLedger, outcome_of
from evaluation.running.episode import failed_episode, renders_cameras
from evaluation.running.errors import EvalAbort
from evaluation.running.handlers import evaluation_worker_config
from evaluation.running.plan import EvalPlan
from evaluation.running.policy_processes import MODEL_AGENTS, PolicyProcesses
from evaluation.running.resume import open_ledger
from evaluation.running.verification import VerificationError, prepare_expert_actions
from workers.pool import WorkerPool
from workers.runner import WorkItem


def episode_record(plan: EvalPlan, item: WorkItem, result: dict[str, Any]) -> dict[str, Any]:
    no_rollout = set(result) <= {"error", "traceback", "outcome"}  # the pool's report of a hung or crashed worker
    base = failed_episode(result["error"], result["outcome"]) if no_rollout else {}
    record = {
        "run_id": plan.run_id,
        "task": item.task,
        "domain": item.domain,
        "seed": item.seed,
        "episode": item.episode,
        "agent": plan.agent,
        **base,
        **result,
        "attempt": item.attempt,
        "finished_at": round(time.time(), 3),
    }
    if record.get("step_limit") is None:
        record["step_limit"] = plan.step_limits.get(item.task)
    return record


def episode_items(plan: EvalPlan, finished: set[tuple[str, str, int]]) -> list[WorkItem]:
    """The plan's episodes not yet in the ledger, in the plan's order."""
    items = []
    for (task, domain), entries in plan.protocol_seeds.items():
        for episode, entry in enumerate(entries):
            if (task, domain, entry["seed"]) not in finished:
                items.append(
                    WorkItem(
                        len(items),
                        "episode",
                        task,
                        domain,
                        entry["seed"],
                        episode,
                        fingerprint=entry.get("fingerprint"),
                        instruction=entry.get("instruction"),
                    )
                )
    return items


def episodes_render(plan: EvalPlan) -> bool:
    """Whether the plan's episodes render the cameras, so that the warm-up renders them too (or not). A model agent
    always looks: its class is not imported here."""
    if plan.agent in MODEL_AGENTS:
        return True
    return renders_cameras(resolve_agent_class(plan.agent), keeps_video=plan.video != "none")


def warm_workers(pool, items: list[WorkItem]) -> list[tuple[WorkItem, dict[str, Any]]]:
    """Each worker builds and resets the environment of one of the first episodes while the policy processes load,
    instead of after (a worker builds its environments lazily, and episodes start only once the policy serves).
    A scene that fails to build here fails again, reported, as its episode. Returns each warm-up's result."""
    return list(pool.run([replace(item, kind="warm") for item in items[: len(pool.slots)]]))


def run_episodes(
    pool, plan: EvalPlan, ledger: RunLedger, items: list[WorkItem], check: Callable[[], None] = lambda: None
) -> None:
    """``items`` (the plan's episodes not yet in the ledger); ``check`` runs after each (it raises to stop the run)."""
    seeds = plan.protocol_seeds
    total = sum(len(s) for s in seeds.values())
    done = [e for e in ledger.episodes() if (e["task"], e["domain"]) in seeds and outcome_of(e) != "infra_error"]
    counts = {"scored": 0, "successes": 0, "infra": 0}
    for e in done:
        counts["scored"] += 1
        counts["successes"] += bool(e["success"])

    def postfix() -> str:
        rate = f" ({100 * counts['successes'] / counts['scored']:.0f}%)" if counts["scored"] else ""
        infra = f", infra errors {counts['infra']}" if counts["infra"] else ""
        return f"success {counts['successes']}/{counts['scored']}{rate}{infra}"

    with tqdm(total=total, initial=total - len(items), desc=plan.run_id, unit="ep", disable=None) as bar:
        bar.set_postfix_str(postfix())
        for item, result in pool.run(items):
            if "fatal" in result:
                raise EvalAbort(result["fatal"])
            record = episode_record(plan, item, result)
            ledger.append(record)
            if record["outcome"] == "infra_error":
                counts["infra"] += 1
            else:
                counts["scored"] += 1
                counts["successes"] += bool(record["success"])
            bar.set_postfix_str(postfix())
            bar.update(1)
            if record["error"]:
                bar.write(f"{item.task} seed {item.seed} ({item.domain}) {record['outcome']}: {record['error']}")
            check()


def evaluate(plan: EvalPlan) -> list[dict[str, Any]]:
    """Run (or resume) the evaluation; returns the ledger's episodes of this plan's seeds (all attempts)."""
    ledger = open_ledger(plan)
    with contextlib.ExitStack() as stack:
        policy = None
        agent, agent_kwargs = plan.agent, plan.agent_kwargs
        if plan.policy is not None:  # started first: the model loads while the workers start
            embodiment = plan.embodiment if plan.backend == "embedded" else None
            policy = stack.enter_context(
                PolicyProcesses(plan.policy, plan.agent, plan.agent_kwargs, embodiment, plan.run_dir / "policy")
            )
            agent, agent_kwargs = "remote", policy.client_kwargs(plan.timeout_s)
        episode_options = {
            "agent": agent,
            "agent_kwargs": agent_kwargs,
            "video": plan.video,
            "video_dir": str(plan.run_dir.resolve() / "videos"),
            "video_stride": plan.video_stride,
        }
        if plan.backend == "robotwin":
            from evaluation.robotwin.running import robotwin_worker_config

            config = robotwin_worker_config(plan, episode_options)
        else:
            config = evaluation_worker_config(
                embodiment=plan.embodiment, warm_images=episodes_render(plan), **episode_options
            )
        if plan.launcher == "ray":
            from workers.ray_pool import RayPool

            pool_context = RayPool(config, plan.workers, plan.timeout_s, plan.ray_address, plan.ray_cpus_per_worker)
        else:
            pool_context = WorkerPool(config, plan.workers, plan.timeout_s)
        pool = stack.enter_context(pool_context)
        if plan.backend == "robotwin":
            from evaluation.robotwin.running import prepare_robotwin_seeds

            prepare_robotwin_seeds(pool, plan)
        elif plan.agent == "expert":
            try:
                prepare_expert_actions(pool, plan.expert_cache, plan.embodiment, plan.protocol_seeds)
            except VerificationError as exc:
                raise EvalAbort(str(exc)) from exc
        items = episode_items(plan, ledger.finished())
        if policy is not None:
            if plan.backend == "embedded":
                warm_workers(pool, items)
            policy.wait_ready()
        run_episodes(pool, plan, ledger, items, policy.check if policy is not None else lambda: None)
    wanted = {(t, d, e["seed"]) for (t, d), entries in plan.protocol_seeds.items() for e in entries}
    return [e for e in ledger.episodes() if (e["task"], e["domain"], int(e["seed"])) in wanted]
