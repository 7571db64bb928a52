"""Helpers of the policy-server tests: a server on a free port, a random observation, a small checkpoint."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import torch

from agents.server import PolicyServer
from conventions import CAMERA_NAMES


class TimedAgent:
    """A served agent that takes ``seconds`` per chunk and notes when each call ran (in ``calls``, shared by the
    server's per-connection copies); it says it takes ``parallel_calls`` model calls at once."""

    uses_images = False
    calls: list[tuple[float, float]] = []

    def __init__(self, seconds: float = 0.5, parallel_calls: int = 1, action_dim: int = 14):
        self.seconds, self.parallel_calls, self.action_dim = seconds, parallel_calls, action_dim

    def reset(self, *, task, instruction, seed, **context) -> None:
        pass

    def act(self, obs) -> np.ndarray:
        start = time.monotonic()
        time.sleep(self.seconds)
        TimedAgent.calls.append((start, time.monotonic()))
        return np.zeros((16, self.action_dim), np.float32)


def start_server(server: PolicyServer, max_bytes: int = 16 * 2**20) -> str:
    """Run a PolicyServer on a free port in a background thread; returns its ws:// address."""
    ready = threading.Event()
    port: list[int] = []

    def run() -> None:
        asyncio.run(server.serve("127.0.0.1", 0, max_bytes, ready=lambda p: (port.append(p), ready.set())))

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(60)
    return f"ws://127.0.0.1:{port[0]}"


def observation(seed: int, action_dim: int = 16) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "images": {name: rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for name in CAMERA_NAMES},
        "qpos": rng.normal(size=action_dim).astype(np.float32),
        "endpose": np.zeros(16, np.float32),
    }


def tiny_checkpoint_in(folder, config: str, inputs_matter: bool = True):
    """A freshly initialised CPU-size Motus saved in ``folder``; with ``inputs_matter`` its action head is scaled up
    so that different observations give visibly different actions."""
    from motus.checkpoint import save_checkpoint
    from motus.config import load_config
    from motus.model import Motus

    torch.manual_seed(0)
    model = Motus.build(load_config(config))
    if inputs_matter:
        torch.nn.init.normal_(model.action_expert.decoder.action_head[0].weight, std=0.5)
    save_checkpoint(model, model.config, folder)
    return folder
