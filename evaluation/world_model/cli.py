"""``motus-eval-model``: a Motus checkpoint's five inference modes measured over held-out expert episodes (Motus
layout: ``motus-collect`` on training seeds disjoint from the evaluation's, or converted RoboTwin data), against an
optional baseline checkpoint (e.g. an untrained one from ``motus-init``) on the very same samples and noise.

Exit codes: 0 done, 2 bad input (nothing ran), 130 interrupted (``samples.jsonl`` keeps every finished batch; run the
same command again to resume)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motus-eval-model", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkpoint", required=True, help="the checkpoint folder to evaluate")
    parser.add_argument("--baseline", default=None, help="a checkpoint every metric is compared with")
    parser.add_argument("--data", required=True, help="held-out episodes in the Motus layout (<data>/<domain>/<task>)")
    parser.add_argument(
        "--modes", default="all", help="all | comma-separated: world_model,video_generation,inverse_dynamics,vla,joint"
    )
    parser.add_argument("--tasks", default=None, help="comma-separated task folders (default: all of them)")
    parser.add_argument("--domain", default="clean", help="clean | randomized | both")
    parser.add_argument("--samples-per-task", type=int, default=16)
    parser.add_argument("--stride", type=int, default=8, help="every N-th condition frame of an episode")
    parser.add_argument("--batch", type=int, default=4, help="samples per model call")
    parser.add_argument("--seed", type=int, default=0, help="fixes the sample choice and the sampling noise")
    parser.add_argument("--num-steps", type=int, default=None, help="denoising steps (default: the model config's)")
    parser.add_argument("--strips", type=int, default=2, help="samples per task and mode drawn as frame strips")
    parser.add_argument("--config", default=None, help="model config, for checkpoints in the released layout")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default=None, help="results folder (default: results/model/<checkpoint name>)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from evaluation.world_model.report import overall_rows, write_report
    from evaluation.world_model.suite import SuiteError, SuiteSettings, parse_modes, run_suite
    from motus.checkpoint import CheckpointError

    args = build_parser().parse_args(argv)
    try:
        if args.samples_per_task < 1 or args.stride < 1 or args.batch < 1:
            raise SuiteError("--samples-per-task, --stride and --batch must be at least 1")
        if args.domain not in ("clean", "randomized", "both"):
            raise SuiteError(f"unknown domain {args.domain!r}; valid: clean, randomized, both")
        models = {"model": args.checkpoint} | ({"baseline": args.baseline} if args.baseline else {})
        for label, path in models.items():
            if not Path(path).exists():
                raise SuiteError(f"--{'checkpoint' if label == 'model' else 'baseline'} {path}: no such checkpoint")
        settings = SuiteSettings(
            models={label: str(Path(path).resolve()) for label, path in models.items()},
            data=str(Path(args.data).resolve()),
            out=args.out or str(Path("results") / "model" / Path(args.checkpoint).resolve().name),
            modes=parse_modes(args.modes),
            domain=args.domain,
            tasks=[t.strip() for t in args.tasks.split(",")] if args.tasks else None,
            config=args.config,
            samples_per_task=args.samples_per_task,
            stride=args.stride,
            batch=args.batch,
            seed=args.seed,
            num_steps=args.num_steps,
            device=args.device,
            strips=args.strips,
        )
        folder = run_suite(settings)
    except (SuiteError, CheckpointError) as exc:
        print(f"motus-eval-model: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmotus-eval-model: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    summary = write_report(folder)
    header, rows = overall_rows(summary)
    print("  ".join(f"{h:>14}" for h in header))
    for row in rows:
        print("  ".join(f"{c:>14}" for c in row))
    print(f"report: {folder}/report.md, {folder}/report.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
