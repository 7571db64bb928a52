"""The SFT loop (stage 3): AdamW(0.9, 0.95), linear warm-up, gradient clipping and accumulation, checkpoints with
the full training state, exact resume.

Everything random is derived from the config's seed and the step: the data order (a permutation per epoch), the
noise and noise levels of each step, so a resumed run continues with the very losses the uninterrupted run would
have produced. Checkpoints: ``<out>/checkpoint_step_N/`` holds ``config.json`` + ``model.safetensors`` (loadable by
``motus-eval --agent motus``) and ``training_state.pt`` (optimiser, schedule, step, data position).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from motus.checkpoint import STAGE2_TO_STAGE3_DROPPED, CheckpointError, save_checkpoint
from motus.runtime import MotusRuntime
from train.datasets import Cutting, MotusDataset, collate, dataset_summary, scan_dataset

log = logging.getLogger(__name__)
STATE_NAME = "training_state.pt"


class TrainConfigError(ValueError):
    pass


@dataclass
class DataOrder:
    """A fresh permutation of the samples every epoch, from (seed, epoch): reproducible and resumable."""

    size: int
    batch_size: int
    seed: int
    epoch: int = 0
    position: int = 0

    def next_batch(self) -> list[int]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)
        if self.position + self.batch_size > self.size:
            self.epoch, self.position = self.epoch + 1, 0
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)
        batch = order[self.position : self.position + self.batch_size].tolist()
        self.position += self.batch_size
        return batch


def warmup_lambda(warmup_steps: int):
    return lambda step: min(1.0, (step + 1) / max(1, warmup_steps))


def build_runtime(cfg) -> tuple[MotusRuntime, str]:
    """The model to train: resume > fine-tune > from scratch (as the seed README defines them)."""
    resume, finetune = cfg.resume.checkpoint_path, cfg.finetune.checkpoint_path
    for label, path in (("resume", resume), ("finetune", finetune)):
        if path and not Path(path).exists():
            raise TrainConfigError(f"{label}.checkpoint_path {path} does not exist")
    if resume:
        return MotusRuntime.load(resume, cfg.model, device=cfg.device, use_t5=False), "resume"
    if finetune:
        drop = STAGE2_TO_STAGE3_DROPPED if cfg.finetune.from_stage2 else ()
        return MotusRuntime.load(finetune, cfg.model, device=cfg.device, drop_prefixes=drop), "finetune"
    torch.manual_seed(cfg.seed)
    return MotusRuntime.load(None, cfg.model, device=cfg.device, random_init=True, pretrained_vlm=True), "scratch"


def build_dataset(cfg, runtime: MotusRuntime) -> MotusDataset:
    model = runtime.config
    if not cfg.data.root:
        raise TrainConfigError("no training data: give --data DIR (a motus-collect folder)")
    tasks = list(cfg.data.tasks) if cfg.data.tasks else None
    episodes = scan_dataset(cfg.data.type, cfg.data.root, cfg.data.domain, tasks)
    cutting = Cutting(model.num_video_frames, model.video_action_freq_ratio, int(cfg.data.downsample))
    dataset = MotusDataset(
        episodes,
        cutting,
        model.video_height,
        model.video_width,
        model.video.text_dim,
        skip_bad=bool(cfg.data.skip_bad_episodes),
    )
    return dataset


def save(out: Path, step: int, runtime: MotusRuntime, optimizer, scheduler, order: DataOrder) -> Path:
    folder = out / f"checkpoint_step_{step}"
    save_checkpoint(runtime.model, runtime.config, folder)
    torch.save(
        {
            "step": step,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "order": order.__dict__,
        },
        folder / STATE_NAME,
    )
    (out / "latest").write_text(folder.name + "\n")
    return folder


def train(cfg) -> dict[str, Any]:
    from tqdm import tqdm

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    runtime, start_mode = build_runtime(cfg)
    dataset = build_dataset(cfg, runtime)
    model = runtime.model.train()
    parameters = list(model.trainable_parameters())
    opt = cfg.optimizer
    optimizer = torch.optim.AdamW(parameters, lr=opt.lr, betas=tuple(opt.betas), weight_decay=opt.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_lambda(int(opt.warmup_steps)))
    order = DataOrder(len(dataset), int(cfg.batch_size), int(cfg.seed))
    step = 0
    if start_mode == "resume":
        state_file = Path(cfg.resume.checkpoint_path) / STATE_NAME
        if not state_file.is_file():
            raise CheckpointError(f"{state_file} not found: resume needs a checkpoint written by motus-train")
        state = torch.load(state_file, map_location="cpu", weights_only=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        order = DataOrder(**state["order"])
        step = int(state["step"])
    (out / "train_config.json").write_text(
        json.dumps({"start": start_mode, "dataset": dataset_summary(dataset), **_plain(cfg)}, indent=1)
    )
    metrics_file = (out / "metrics.jsonl").open("a")
    tracker = start_tracker(cfg, out)
    last: dict[str, float] = {}
    bar = tqdm(total=int(cfg.max_steps), initial=step, desc="training", unit="step")
    while step < int(cfg.max_steps):
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        totals: dict[str, float] = {}
        for micro in range(int(cfg.grad_accumulation)):
            batch = collate([dataset[i] for i in order.next_batch()])
            generator = torch.Generator().manual_seed(int(cfg.seed) * 1_000_003 + step * 97 + micro)
            losses = runtime.training_loss(
                batch["video"],
                batch["instruction"],
                batch["state"],
                batch["actions"],
                t5_embeddings=batch["t5"],
                generator=generator,
            )
            (losses["loss"] / int(cfg.grad_accumulation)).backward()
            for key, value in losses.items():
                totals[key] = totals.get(key, 0.0) + float(value.detach()) / int(cfg.grad_accumulation)
        grad_norm = float(torch.nn.utils.clip_grad_norm_(parameters, float(opt.grad_clip)))
        optimizer.step()
        scheduler.step()
        step += 1
        last = {
            "step": step,
            **totals,
            "grad_norm": grad_norm,
            "lr": scheduler.get_last_lr()[0],
            "step_s": time.perf_counter() - started,
        }
        metrics_file.write(json.dumps(last) + "\n")
        metrics_file.flush()
        if tracker is not None:
            tracker.log({f"train/{k}": v for k, v in last.items() if k != "step"}, step=step)
        bar.set_postfix(loss=f"{totals['loss']:.4f}", lr=f"{last['lr']:.2e}")
        bar.update(1)
        if step % int(cfg.save_every) == 0 or step == int(cfg.max_steps):
            save(out, step, runtime, optimizer, scheduler, order)
    bar.close()
    metrics_file.close()
    if tracker is not None:
        tracker.finish()
    return {"step": step, "last": last, "checkpoint": str(out / f"checkpoint_step_{step}")}


def start_tracker(cfg, out: Path):
    """wandb (offline unless WANDB_MODE says otherwise) when ``logging.backend=wandb``; metrics.jsonl always."""
    backend = cfg.logging.backend
    if backend in (None, "none"):
        return None
    if backend != "wandb":
        raise TrainConfigError(f"unknown logging.backend {backend!r}; valid: none, wandb")
    import os

    import wandb

    return wandb.init(
        project=cfg.logging.project,
        dir=str(out),
        config=_plain(cfg),
        mode=os.environ.get("WANDB_MODE", "offline"),
        name=out.name,
    )


def _plain(cfg) -> dict[str, Any]:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg, resolve=True) if not isinstance(cfg, dict) else cfg
