"""Training benchmark: optimiser steps/s and samples/s of the SFT loss, and peak GPU memory.

CPU (default): ``motus_tiny``, batch 2, synthetic uint8 videos of the model's size (the data pipeline is not timed).
GPU: ``python bench/train.py --config motus_8b --device cuda --batch 1 --checkpointing`` builds the released size
with random bf16 weights and synthetic VLM inputs of the real shape, and prints step time and peak memory.
Single process; DeepSpeed ZeRO-1 sharding would lower the optimiser-state memory per GPU (not measured here).
"""

from __future__ import annotations

import argparse
import time

import torch

from motus.config import load_config
from motus.model import Motus
from motus.runtime import default_dtype, resolve_device
from motus.vae import VideoVAE
from motus.vlm import synthetic_vlm_inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="motus_tiny")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--checkpointing", action="store_true", help="activation checkpointing per MoT layer")
    args = parser.parse_args()

    device = resolve_device(args.device)
    dtype = default_dtype(device)
    config = load_config(args.config)
    torch.manual_seed(0)
    model = Motus.build(config, device, dtype).train()
    model.gradient_checkpointing = args.checkpointing
    vae = VideoVAE.from_config(config.vae.config).to(device, dtype)
    vae.mean, vae.std = vae.mean.float(), vae.std.float()
    optimizer = torch.optim.AdamW(list(model.trainable_parameters()), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.01)
    batch, frames = args.batch, 1 + config.num_video_frames
    video = torch.rand(batch, 3, frames, config.video_height, config.video_width, device=device) * 2 - 1
    vlm = synthetic_vlm_inputs(config.vlm.config, config.video_height, config.video_width, batch)
    t5 = torch.randn(batch, config.video.text_len, config.video.text_dim, device=device, dtype=dtype)
    state = torch.randn(batch, config.state_dim)
    actions = torch.randn(batch, config.action_chunk_size, config.action_dim)

    def step(index: int) -> float:
        clean = vae.encode(video)
        condition = vae.encode(video[:, :, :1])
        clean[:, :, :1] = condition
        chunk = model.chunk_context(vlm, t5)
        losses = model.loss(clean, condition, state, actions, chunk, torch.Generator().manual_seed(index))
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(list(model.trainable_parameters()), 0.5)
        optimizer.step()
        return float(losses["loss"].detach())

    step(0)  # warm-up (allocations, optimiser state)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for index in range(1, args.steps + 1):
        loss = step(index)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / args.steps
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    peak = f", peak {torch.cuda.max_memory_allocated(device) / 2**30:.1f} GiB" if device.type == "cuda" else ""
    print(
        f"{config.name} on {name}, {dtype}, batch {batch}, checkpointing {args.checkpointing}: "
        f"{seconds:.3f} s/step = {1 / seconds:.2f} steps/s, {batch / seconds:.2f} samples/s{peak} (loss {loss:.3f})"
    )


if __name__ == "__main__":
    main()
