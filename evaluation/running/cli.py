"""``motus-eval``: closed-loop evaluation over tasks x seeds, in parallel, resumable, into a per-episode ledger.

Flags map onto the Hydra config in ``evaluation/configs/eval.yaml``; any other ``key=value`` is a Hydra override.
Exit codes: 0 finished, 1 aborted (the ledger keeps what finished), 2 bad input (nothing started), 3 finished but
incomplete (infrastructure errors remain; ``--resume`` retries them), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"  # package data: ships with the installed package
FLAGS = {
    "tasks": "all | comma-separated task names",
    "seeds": "first N expert-verified seeds per task and domain",
    "agent": "expert | random | replay | motus | package.module:Class",
    "checkpoint": "checkpoint folder (agent motus)",
    "domain": "clean | randomized | both",
    "embodiment": "the robot: aloha_agilex (default, RoboTwin's, 14-D) | dual_panda (16-D)",
    "base_seed": "protocol seed set: candidates from 100000 x (1 + base_seed) (default 0)",
    "workers": "simulator processes (default: one per CPU core)",
    "policy_process": "auto (default: shared for motus) | shared (one model process per device) | per_worker",
    "policy_devices": "devices of the shared policy processes: auto (every GPU, else the CPU) | e.g. cuda:0,cuda:1",
    "run_id": "run name; an existing one is resumed",
    "out": "results folder (default results/)",
    "video": "none | failures | all",
    "launcher": "local | ray",
    "ray_address": "address of an existing Ray cluster (default: start a local one)",
    "backend": "embedded (default: the harness's simulator) | robotwin (a RoboTwin 2.0 checkout)",
    "robotwin_root": "the RoboTwin checkout (backend robotwin)",
    "task_config": "RoboTwin task config(s), comma-separated (default: from --domain: demo_clean, demo_randomized)",
    "instruction_type": "seen | unseen (backend robotwin; default: the task config's eval_instruction, else unseen)",
}


def quote(value: str) -> str:
    text = str(value)
    return f"'{text}'" if any(c in text for c in ",:[]{}= ") else text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motus-eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for name, help_text in FLAGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=help_text)
    parser.add_argument("--resume", default=None, metavar="RUN_ID", help="continue a run (same as --run-id RUN_ID)")
    parser.add_argument("--server", default=None, help="a motus-serve policy server: ws://HOST:PORT (agent remote)")
    parser.epilog = "Any other argument of the form key=value is a Hydra override, e.g. agents.motus.mode=joint."
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Flags anywhere on the line, and key=value overrides between or after them."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    bad = [token for token in rest if "=" not in token or token.startswith("-")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)}")
    args.overrides = rest
    return args


def load_eval_config(args: argparse.Namespace):
    from hydra import compose, initialize_config_dir

    overrides = [f"{name}={quote(getattr(args, name))}" for name in FLAGS if getattr(args, name) is not None]
    if args.resume:
        overrides.append(f"run_id={quote(args.resume)}")
    if args.server:
        overrides += ["agent=remote", f"agents.remote.server={quote(args.server)}"]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        return compose(config_name="eval", overrides=overrides + list(args.overrides))


def resumed_config(cfg):
    """``--resume RUN_ID`` alone: take tasks, seeds, domain and agent from the stored run."""
    from evaluation.ledger import RunLedger

    ledger = RunLedger(Path(cfg.out) / cfg.run_id)
    if not ledger.exists():
        return None
    return ledger.read_run()


def main(argv: list[str] | None = None) -> int:
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from evaluation.reporting.console import format_summary
    from evaluation.reporting.summary import task_rows
    from evaluation.running.dispatch import evaluate
    from evaluation.running.errors import EvalAbort, EvalConfigError
    from evaluation.running.plan import make_plan

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        cfg = load_eval_config(args)
        if args.resume:
            stored = resumed_config(cfg)
            if stored is None:
                raise EvalConfigError(f"no run {args.resume!r} under {cfg.out}/ to resume")
            OmegaConf.set_struct(cfg, False)
            cfg.tasks, cfg.seeds, cfg.agent = ",".join(stored["tasks"]), stored["seeds"], stored["agent"]
            if ":" in stored["agent"]:  # a plug-in agent is rebuilt with the arguments it ran with
                cfg.plugin = stored["agent_kwargs"]
            cfg.domain = "both" if len(stored["domains"]) == 2 else stored["domains"][0]
            cfg.embodiment, cfg.base_seed = stored["embodiment"], stored["base_seed"]
            cfg.protocol_root = stored.get("protocol_root")
            if args.video is None and stored.get("video"):  # the rest of the run records videos as it started
                cfg.video = stored["video"]
                cfg.video_stride = stored.get("video_stride", cfg.video_stride)
            policy = stored.get("policy_process") or {}
            if policy.get("mode") and args.policy_process is None:
                cfg.policy_process = policy["mode"]  # the rest of the run is served as it started
                if policy.get("devices") and args.policy_devices is None:
                    cfg.policy_devices = ",".join(policy["devices"])
            if stored["agent"] == "motus":
                cfg.checkpoint = stored["agent_kwargs"]["checkpoint"]
            if stored["agent"] == "remote":
                cfg.agents.remote.server = stored["agent_kwargs"]["server"]
            if stored.get("robotwin"):
                robotwin = stored["robotwin"]
                cfg.backend, cfg.robotwin_root = "robotwin", robotwin["root"]
                cfg.task_config = ",".join(robotwin["task_configs"].values())
                cfg.instruction_type, cfg.max_candidates = robotwin["instruction_type"], robotwin["max_candidates"]
        plan = make_plan(cfg)
    except (EvalConfigError, HydraException, OmegaConfBaseException) as exc:
        print(f"motus-eval: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"run {plan.run_id}: {len(plan.tasks)} task(s) x {plan.seeds} seed(s) x {len(plan.domains)} domain(s), "
        f"agent {plan.agent}, {plan.workers} worker(s) -> {plan.run_dir}"
    )
    if plan.policy is not None or plan.agent == "motus":  # where the model runs, and why
        print(f"policy: {plan.policy_note}")
    try:
        rows = task_rows(evaluate(plan))
    except EvalConfigError as exc:
        print(f"motus-eval: error: {exc}", file=sys.stderr)
        return 2
    except EvalAbort as exc:
        print(f"motus-eval: aborted: {exc}\nfinished episodes are in {plan.run_dir}/episodes.jsonl", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\nmotus-eval: interrupted; finished episodes are kept. Resume with: motus-eval --resume {plan.run_id}"
            + (f" --out {plan.run_dir.parent}" if str(plan.run_dir.parent) != "results" else ""),
            file=sys.stderr,
        )
        return 130
    print(format_summary(rows))
    print(f"ledger: {plan.run_dir}/episodes.jsonl")
    return 3 if any(r["infra_errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
