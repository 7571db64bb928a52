"""Fixtures for the model tests: one untrained ``motus_tiny`` runtime per session (seeded, CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motus.config import load_config
from motus.runtime import MotusRuntime


@pytest.fixture(scope="session")
def tiny_config():
    return load_config("motus_tiny")


@pytest.fixture(scope="session")
def tiny_runtime(tiny_config):
    torch.manual_seed(0)
    runtime = MotusRuntime.load(config=tiny_config, random_init=True, use_t5=True, device="cpu")
    # The action decoder starts at zero (as released); give it weights so action outputs depend on the inputs.
    torch.nn.init.normal_(runtime.model.action_expert.decoder.action_head[0].weight, std=0.5)
    return runtime


@pytest.fixture()
def tiny_inputs(tiny_config):
    rng = np.random.default_rng(7)
    h, w = tiny_config.video_height, tiny_config.video_width
    return {
        "images": rng.integers(0, 256, (2, h, w, 3), dtype=np.uint8),
        "instructions": ["pick up the red block", "open the laptop with the left arm"],
        "state": rng.normal(size=(2, tiny_config.state_dim)).astype(np.float32),
    }
