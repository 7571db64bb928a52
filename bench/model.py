"""Model benchmark: per-chunk latency of Motus per sampling mode and batch size, and peak GPU memory.

CPU (default): ``motus_tiny``, every mode, batch 1.
GPU: ``python bench/model.py --config motus_8b --device cuda --modes vla,joint --batch-sizes 1,8 --decode both``
builds the released-size model with random bf16 weights (the VAE too; VLM inputs are synthetic but of the real
shape: one 384x320 composite = 120 image tokens + 32 text tokens) and pre-encoded-size T5 context.
A chunk = VAE-encode the condition frame + one VLM pass + N Euler steps (+ VAE decode of the predicted frames).
Targets on an H100/H200 (issue 3): VLA chunk <= 0.4 s at batch 1, <= 0.15 s per episode at batch 8, peak <= 24 GB;
(issue 19): <= 0.1 s at batch 1, <= 0.04 s per episode at batch 8, peak <= 20 GB, with ``--compile`` scopes
(``none,layers,step,cudagraphs``) and fewer ``--steps`` measured side by side (``bench/gpu.sh``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from motus.config import load_config
from motus.model import Motus
from motus.runtime import default_dtype, resolve_device
from motus.scheduler import MODES
from motus.vae import VideoVAE
from motus.vlm import synthetic_vlm_inputs


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_chunk(model: Motus, vae: VideoVAE, inputs: dict, mode: str, steps: int, decode: bool) -> None:
    batch = inputs["frames"].shape[0]
    condition = vae.encode(inputs["frames"])
    chunk = model.chunk_context(inputs["vlm"], inputs["t5"])
    generators = [torch.Generator().manual_seed(i) for i in range(batch)]
    given = {}
    if mode == "world_model":
        given["given_actions"] = inputs["actions"]
    if mode == "inverse_dynamics":
        given["given_video_latents"] = inputs["latents"]
    out = model.sample(condition, inputs["state"], chunk, mode=mode, num_steps=steps, generators=generators, **given)
    if decode and out.video_latents is not None:
        vae.decode(out.video_latents)


def make_inputs(model: Motus, batch: int, device: torch.device, dtype: torch.dtype) -> dict:
    cfg = model.config
    generator = torch.Generator().manual_seed(0)
    vlm = synthetic_vlm_inputs(cfg.vlm.config, cfg.video_height, cfg.video_width, batch)
    return {
        "frames": torch.rand(batch, 3, 1, cfg.video_height, cfg.video_width, generator=generator).to(device) * 2 - 1,
        "vlm": vlm,
        "t5": torch.randn(batch, cfg.video.text_len, cfg.video.text_dim, generator=generator).to(device, dtype),
        "state": torch.randn(batch, cfg.state_dim, generator=generator),
        "actions": torch.randn(batch, cfg.action_chunk_size, cfg.action_dim, generator=generator),
        "latents": torch.randn(model.latent_shape(batch), generator=generator),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="motus_tiny")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--modes", default="all", help="comma-separated modes or 'all'")
    parser.add_argument("--batch-sizes", default="1")
    parser.add_argument("--steps", default="10", help="Euler steps per chunk, comma-separated (e.g. 10,3,2)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode", default="no", choices=["no", "yes", "both"], help="VAE-decode predicted frames")
    parser.add_argument(
        "--compile",
        default="none",
        help="comma-separated: none (eager) | layers (the MoT layer) | step (a whole network evaluation) | "
        "cudagraphs (the step as a CUDA graph); each is measured in turn on the same model",
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()

    device = resolve_device(args.device)
    dtype = default_dtype(device)
    config = load_config(args.config)
    modes = sorted(MODES) if args.modes == "all" else args.modes.split(",")
    decodes = {"no": [False], "yes": [True], "both": [False, True]}[args.decode]

    start = time.perf_counter()
    torch.manual_seed(0)
    model = Motus.build(config, device, dtype).eval()
    vae = VideoVAE.from_config(config.vae.config).to(device, dtype)
    vae.mean, vae.std = vae.mean.float(), vae.std.float()
    synchronize(device)
    build_s = time.perf_counter() - start
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"{config.name} on {name}, {dtype}, built in {build_s:.1f} s; flash-attn: {flash_attn_status(device)}")
    if device.type == "cuda":
        print(f"weights resident: {torch.cuda.memory_allocated(device) / 2**30:.2f} GiB")

    rows = []
    with torch.inference_mode():
        for scope in args.compile.split(","):
            use_compile_scope(model, scope)
            for batch in [int(b) for b in args.batch_sizes.split(",")]:
                inputs = make_inputs(model, batch, device, dtype)
                for steps in [int(n) for n in args.steps.split(",")]:
                    for mode in modes:
                        for decode in decodes:
                            row = measure(model, vae, inputs, mode, steps, decode, args.repeats, device)
                            rows.append({"compile": scope, "steps": steps, **row})
                            if args.json:  # after every row: a run stopped by its time limit keeps what it measured
                                figures = {"config": config.name, "device": name, "dtype": str(dtype), "rows": rows}
                                Path(args.json).write_text(json.dumps(figures, indent=1))
                            peak = row["peak_gib"]
                            print(
                                f"{scope:10s} steps {steps:2d}  batch {batch:2d}  {mode:17s} "
                                f"decode={'yes' if decode else 'no ':3s}  chunk {row['chunk_s'] * 1000:8.1f} ms  "
                                f"per episode {row['per_episode_s'] * 1000:8.1f} ms"
                                + ("" if peak is None else f"  peak {peak:6.2f} GiB")
                            )


def flash_attn_status(device: torch.device) -> str:
    from motus import mot

    if mot.flash_attn_func is None:
        return "not installed (SDPA)"
    return "used (bf16 attention without padding masks)" if device.type == "cuda" else "installed, unused on CPU"


def use_compile_scope(model: Motus, scope: str) -> None:
    """Back to eager, then compile ``scope`` (``none``: stay eager)."""
    from motus.mot import mot_layer

    torch._dynamo.reset()
    model.layer_fn, model.network_fn, model.compiled = mot_layer, None, None
    if scope != "none":
        model.compile_network(scope)


def measure(model, vae, inputs, mode: str, steps: int, decode: bool, repeats: int, device: torch.device) -> dict:
    batch = inputs["frames"].shape[0]
    start = time.perf_counter()
    run_chunk(model, vae, inputs, mode, steps, decode)  # warm-up (and compilation)
    synchronize(device)
    first_s = time.perf_counter() - start
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(repeats):
        run_chunk(model, vae, inputs, mode, steps, decode)
    synchronize(device)
    chunk_s = (time.perf_counter() - start) / repeats
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return {
        "batch": batch,
        "mode": mode,
        "decode": decode,
        "chunk_s": round(chunk_s, 4),
        "per_episode_s": round(chunk_s / batch, 4),
        "first_chunk_s": round(first_s, 2),
        "peak_gib": None if peak is None else round(peak, 2),
    }


if __name__ == "__main__":
    main()
