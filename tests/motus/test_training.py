"""The tiny model learns: repeated steps on one batch (fixed noise) drive the loss down by more than 10x."""

from __future__ import annotations

import copy

import numpy as np
import torch

from motus.model import Motus
from motus.runtime import MotusRuntime


def test_tiny_model_overfits_one_batch(tiny_runtime, tiny_config):
    runtime = MotusRuntime(
        copy.deepcopy(tiny_runtime.model), tiny_runtime.vae, tiny_runtime.processor, tiny_runtime.text_encoder
    )
    model = runtime.model.train()
    rng = np.random.default_rng(0)
    h, w = tiny_config.video_height, tiny_config.video_width
    videos = rng.integers(0, 256, (2, 1 + tiny_config.num_video_frames, h, w, 3), dtype=np.uint8)
    state = rng.normal(size=(2, tiny_config.state_dim)).astype(np.float32)
    actions = rng.normal(size=(2, tiny_config.action_chunk_size, tiny_config.action_dim)).astype(np.float32)
    optimizer = torch.optim.AdamW(list(model.trainable_parameters()), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.01)
    vlm_before = {k: v.clone() for k, v in model.vlm_model.state_dict().items()}
    losses = []
    instructions = ["lift the pot", "click the bell"]
    for _ in range(60):
        generators = [torch.Generator().manual_seed(i) for i in range(2)]  # fixed noise
        out = runtime.training_loss(videos, instructions, state, actions, generators=generators)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        losses.append(float(out["loss"].detach()))
    assert losses[-1] < losses[0] / 10, losses
    assert all(torch.equal(v, model.vlm_model.state_dict()[k]) for k, v in vlm_before.items())  # VLM frozen


def test_every_tensor_is_built_on_the_requested_device(tiny_config):
    """A tensor made outside the build's device context (e.g. torch.from_numpy) stays on the CPU and breaks the
    model on a GPU; building on the meta device finds such tensors without one."""
    from motus.model import meta_device

    with meta_device():
        model = Motus(tiny_config)
    stray = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.device.type != "meta"]
    assert stray == []
