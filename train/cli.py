"""``motus-train``: fine-tune (or train from scratch, or resume) a Motus model on a Motus-layout dataset.

motus-train --config configs/train/motus_tiny_embedded.yaml --data DIR --out DIR --max-steps N
            [--resume CKPT_DIR] [--finetune CKPT_DIR] [key=value ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

FLAGS = {
    "data": "data.root",
    "out": "out",
    "max_steps": "max_steps",
    "resume": "resume.checkpoint_path",
    "finetune": "finetune.checkpoint_path",
}


def main(argv: list[str] | None = None) -> int:
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from motus.checkpoint import CheckpointError
    from motus.config import ConfigError
    from train.datasets import DatasetError
    from train.distributed import DistributedError
    from train.trainer import TrainConfigError, train

    parser = argparse.ArgumentParser(
        prog="motus-train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/train/motus_tiny_embedded.yaml")
    for flag in FLAGS:
        parser.add_argument(f"--{flag.replace('_', '-')}", dest=flag, default=None)
    # The deepspeed launcher passes --local_rank; LOCAL_RANK in the environment says the same.
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    bad = [token for token in rest if "=" not in token or token.startswith("-")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)}")
    config = Path(args.config)
    if not config.is_file():
        print(f"motus-train: error: config {config} not found", file=sys.stderr)
        return 2
    overrides = [f"{key}='{getattr(args, flag)}'" for flag, key in FLAGS.items() if getattr(args, flag) is not None]
    try:
        with initialize_config_dir(config_dir=str(config.resolve().parent), version_base=None):
            cfg = compose(config_name=config.stem, overrides=overrides + rest)
        if not cfg.out:
            raise TrainConfigError("no output folder: give --out DIR")
        result = train(cfg)
    except (
        TrainConfigError,
        DatasetError,
        DistributedError,
        CheckpointError,
        ConfigError,
        HydraException,
        OmegaConfBaseException,
    ) as exc:
        print(f"motus-train: error: {exc}", file=sys.stderr)
        return 2
    if os.environ.get("RANK", "0") != "0":
        return 0  # rank 0 reports for the run
    print(
        f"trained to step {result['step']}: loss {result['last'].get('loss', float('nan')):.4f}; "
        f"checkpoint {result['checkpoint']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
