"""RoboTwin's legacy policy interface (``script/eval_policy.py``, the 2025 layout) over a ``motus-serve`` server.

RoboTwin imports ``policy/<Name>/`` (whose ``__init__`` re-exports ``deploy_policy``) and calls ``get_model(usr_args)``
once, ``reset_model(model)`` before each episode, and ``eval(TASK_ENV, model, observation)`` until the episode ends;
the policy executes its own actions with ``TASK_ENV.take_action``. Here the policy is a ``RemoteAgent``: the model runs
in the harness's environment behind ``motus-serve``, not inside RoboTwin's process (whose top-level package ``envs``
would clash with the harness's). ``motus-robotwin-policy --robotwin-root DIR`` writes the policy folder.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motus_client.errors import AgentError
from motus_client.remote import TOKEN_ENV, RemoteAgent
from motus_client.robotwin import TASK_CONFIG_DOMAINS, harness_observation


@dataclass
class LegacyPolicy:
    """What ``get_model`` returns: the remote agent and the run's task; ``started`` is False until an episode's first
    ``eval`` has sent its reset (RoboTwin's ``reset_model`` does not know the instruction yet)."""

    agent: RemoteAgent
    task: str
    seed: int
    domain: str | None
    episodes: int = 0
    started: bool = False


def get_model(usr_args: dict[str, Any]) -> LegacyPolicy:
    server = usr_args.get("server")
    if not server:
        raise AgentError("deploy_policy.yml needs 'server: ws://HOST:PORT' (a running motus-serve)")
    agent = RemoteAgent(str(server), token=usr_args.get("token") or None)
    agent.probe()  # an unreachable server or a wrong token fails here, before the first episode
    task_config = str(usr_args.get("task_config", ""))
    domain = TASK_CONFIG_DOMAINS.get(task_config)
    return LegacyPolicy(agent, str(usr_args["task_name"]), int(usr_args.get("seed") or 0), domain)


def reset_model(model: LegacyPolicy) -> None:
    model.started = False


def eval(TASK_ENV: Any, model: LegacyPolicy, observation: dict[str, Any]) -> None:  # noqa: N803 (RoboTwin's names)
    """One action chunk: start the episode on the server at its first call, then execute the chunk's actions as
    absolute joint targets until RoboTwin reports success (or stops taking actions at its step limit)."""
    if not model.started:
        seed = getattr(TASK_ENV, "seed", None)
        context = {"domain": model.domain} if model.domain else {}
        model.agent.reset(
            task=model.task,
            instruction=TASK_ENV.get_instruction(),
            seed=int(seed) if seed is not None else 100000 * (1 + model.seed) + model.episodes,
            **context,
        )
        model.started, model.episodes = True, model.episodes + 1
    for action in model.agent.act(harness_observation(observation)):
        TASK_ENV.take_action(action, action_type="qpos")
        if TASK_ENV.eval_success:
            return


POLICY_INIT = "from .deploy_policy import *  # noqa: F403 (RoboTwin's policy template)\n"
POLICY_MODULE = "from motus_client.robotwin_legacy import eval, get_model, reset_model  # noqa: F401, A004\n"


def write_policy_folder(robotwin_root: Path, name: str, server: str, token: str | None) -> Path:
    """``policy/<name>/`` in a legacy RoboTwin checkout: the package RoboTwin's eval_policy.py imports, and its
    deploy_policy.yml (RoboTwin's keys, plus where the server is)."""
    if not (robotwin_root / "script" / "eval_policy.py").is_file():
        raise FileNotFoundError(
            f"{robotwin_root} has no script/eval_policy.py: not a RoboTwin checkout of the legacy (2025) layout; "
            "the current layout evaluates through XPolicyLab (motus-serve --protocol xpolicylab)"
        )
    folder = robotwin_root / "policy" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text(POLICY_INIT)
    (folder / "deploy_policy.py").write_text(POLICY_MODULE)
    lines = [
        f"policy_name: {name}",
        "task_name: null",
        "task_config: null",
        "ckpt_setting: null",
        "seed: null",
        "instruction_type: unseen",
        f"server: {server}",
        f"token: {token or 'null'}  # or set {TOKEN_ENV}",
    ]
    (folder / "deploy_policy.yml").write_text("\n".join(lines) + "\n")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="motus-robotwin-policy",
        description="Write policy/<name>/ into a legacy RoboTwin checkout so that its script/eval_policy.py "
        "evaluates a motus-serve policy server.",
    )
    parser.add_argument("--robotwin-root", type=Path, required=True)
    parser.add_argument("--name", default="Motus")
    parser.add_argument("--server", default="ws://127.0.0.1:8765")
    parser.add_argument("--token", default=None)
    args = parser.parse_args(argv)
    try:
        folder = write_policy_folder(args.robotwin_root, args.name, args.server, args.token)
    except FileNotFoundError as exc:
        print(f"motus-robotwin-policy: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {folder}; from {args.robotwin_root}, with motus-serve running at {args.server}:\n"
        f"  python script/eval_policy.py --config policy/{args.name}/deploy_policy.yml --overrides "
        f"--task_name beat_block_hammer --task_config demo_clean --ckpt_setting motus --seed 0 "
        f"--policy_name {args.name}"
    )
    return 0
