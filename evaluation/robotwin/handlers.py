"""The RoboTwin backend's work items, served inside its workers (which import RoboTwin's ``envs``, never ours):
``preflight`` (can this machine run the checkout at all) and ``expert_check`` (RoboTwin's check of one candidate
seed). Episodes are the evaluation's usual ``EpisodeHandler`` over a ``RoboTwinEnvironment``."""

from __future__ import annotations

import importlib
from typing import Any

from workers.runner import FatalItemError, WorkItem

ROBOTWIN_HANDLERS = {
    "preflight": "evaluation.robotwin.handlers:preflight",
    "expert_check": "evaluation.robotwin.handlers:expert_check",
}


def check_render_device() -> None:
    """RoboTwin renders its cameras with SAPIEN on Vulkan: without a device every episode would fail at setup."""
    import sapien

    try:
        sapien.render.RenderSystem()
    except RuntimeError as exc:
        raise FatalItemError(
            f"SAPIEN finds no Vulkan rendering device on this machine ({exc}); RoboTwin needs one to render its "
            "cameras: install the GPU driver's Vulkan ICD (check with `vulkaninfo --summary`) or, without a GPU, "
            "Mesa's lavapipe (Debian: mesa-vulkan-drivers)"
        ) from exc


def preflight(env, item: WorkItem, tasks: list[str]) -> dict[str, Any]:
    """Before any seed: a rendering device, and every task's module importable with its class, in a worker that
    already built ``item``'s task (so the checkout's code and configs load)."""
    check_render_device()
    for task in tasks:
        try:
            module = importlib.import_module(f"envs.{task}")
        except Exception as exc:
            raise FatalItemError(f"RoboTwin's envs/{task}.py does not import: {type(exc).__name__}: {exc}") from exc
        if not isinstance(getattr(module, task, None), type):
            raise FatalItemError(f"RoboTwin's envs/{task}.py has no class {task}")
    envs = importlib.import_module("envs")
    return {"envs": str(envs.__file__), "configs": str(envs.CONFIGS_PATH)}


def expert_check(env, item: WorkItem, instruction_types: dict[str, str]) -> dict[str, Any]:
    """RoboTwin's check of one candidate seed, with the instruction (seen or unseen, per domain) it gives the
    episode."""
    try:
        return env.expert_check(item.seed, instruction_types[item.domain])
    except ValueError as exc:  # the seed's instruction cannot be built: every seed of the task would fail alike
        raise FatalItemError(f"{item.task} seed {item.seed} ({item.domain}): {exc}") from exc
