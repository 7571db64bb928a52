"""One policy process per device, shared by every simulator worker of a run.

Why: a model agent built inside each worker loads the model once per worker (the 8B model is ~17 GiB, so 16 workers
do not fit on one GPU) and each copy answers batch 1. Instead ``motus-eval`` starts one ``motus-serve`` per device
(``agents/server.py``: its batching, max batch and max wait are the ones used here) and the workers drive it through
``RemoteAgent``: an episode's reset and chunk index travel with each request, so its seeded noise, hence its
actions, are the ones an in-worker copy computes.

``policy_process``: ``shared`` (one process per device, for any agent but ``remote``: a plug-in that holds a model
gains as much), ``per_worker`` (a copy in each worker), or ``auto``: shared for the built-in model agent, except where
the workers cannot reach a process on this machine (a Ray cluster given by address) or need the model's predicted
frames in the worker (``predict_video``: the imagination gap is measured there).
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.running.errors import EvalAbort, EvalConfigError

MODES = ("auto", "shared", "per_worker")
MODEL_AGENTS = ("motus",)  # built-in agents that hold a model in the process that builds them
LOG_TAIL_LINES = 15


@dataclass(frozen=True)
class SharedPolicy:
    """How the run's policy processes are set up (recorded in ``run.json``)."""

    devices: tuple[str, ...]
    max_batch: int
    max_wait_ms: float
    start_timeout_s: float

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "shared",
            "devices": list(self.devices),
            "max_batch": self.max_batch,
            "max_wait_ms": self.max_wait_ms,
        }


def resolve_policy_process(
    cfg, agent: str, agent_kwargs: dict[str, Any], workers: int | None
) -> tuple[SharedPolicy | None, str]:
    """The run's policy processes (None: the agent is built in each worker) and, in words, why."""
    mode = str(cfg.get("policy_process") or "auto")
    if mode not in MODES:
        raise EvalConfigError(f"unknown policy_process {mode!r}; valid: {', '.join(MODES)}")
    if mode == "per_worker":
        return None, "a copy of the policy in each worker (policy_process=per_worker)"
    if agent == "remote":
        if mode == "shared":
            raise EvalConfigError("policy_process=shared starts policy processes; agent remote uses --server's")
        return None, "the policy server at --server"
    if mode == "auto" and agent not in MODEL_AGENTS:
        return None, f"agent {agent} runs in each worker (policy_process=shared serves it from one process)"
    blocker = shared_blocker(cfg, agent_kwargs)
    if blocker:
        if mode == "shared":
            raise EvalConfigError(f"policy_process=shared cannot be used here: {blocker}")
        return None, f"a copy of the policy in each worker: {blocker}"
    devices = policy_devices(str(cfg.get("policy_devices") or "auto"), agent_kwargs.get("device"))
    per_device = math.ceil((workers or len(devices)) / len(devices))
    max_batch = int(cfg.get("policy_max_batch") or per_device)
    if max_batch < 1:
        raise EvalConfigError(f"policy_max_batch must be at least 1, got {max_batch}")
    shared = SharedPolicy(
        devices, max_batch, float(cfg.get("policy_max_wait_ms", 5.0)), float(cfg.get("policy_start_timeout_s", 1800))
    )
    where = ", ".join(devices)
    return shared, f"one shared policy process per device ({where}), batches of up to {max_batch}"


def shared_blocker(cfg, agent_kwargs: dict[str, Any]) -> str | None:
    """Why the workers cannot share a policy process here, or None."""
    if cfg.launcher == "ray" and cfg.ray_address:
        return (
            "the Ray cluster's workers may run on other machines than this one; start motus-serve where they can "
            "reach it and pass --server"
        )
    if agent_kwargs.get("predict_video"):
        return "predict_video needs the model's predicted frames in the worker (the imagination gap is measured there)"
    return None


def policy_devices(requested: str, agent_device: str | None) -> tuple[str, ...]:
    """``auto``: the agent's device when it names one, else every CUDA device, else one CPU process; or a list."""
    if requested != "auto":
        devices = tuple(d.strip() for d in requested.split(",") if d.strip())
        if not devices:
            raise EvalConfigError("policy_devices is empty; give auto or devices such as cuda:0,cuda:1")
        from motus.runtime import DeviceError, resolve_device

        for device in devices:
            try:
                resolve_device(device)
            except (DeviceError, RuntimeError) as exc:
                raise EvalConfigError(f"policy_devices: {exc}") from exc
        return devices
    if agent_device not in (None, "auto"):
        return (str(agent_device),)
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return tuple(f"cuda:{i}" for i in range(count)) or ("cpu",)


def takes_device(agent: str) -> bool:
    """Whether a plug-in agent is built with a ``device`` (else its policy processes are plain copies)."""
    import inspect

    from agents import resolve_agent_class

    return "device" in inspect.signature(resolve_agent_class(agent)).parameters


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PolicyProcess:
    device: str
    url: str
    log_path: Path
    ready_path: Path
    process: subprocess.Popen = field(repr=False)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").splitlines()
            return "\n".join(lines[-LOG_TAIL_LINES:])
        return ""

    def failure(self, when: str) -> str:
        return (
            f"the policy process on {self.device} {when} (exit code {self.process.returncode}); its log is "
            f"{self.log_path}:\n{self.log_tail()}"
        )


class PolicyProcesses:
    """Starts the run's policy processes on entry (they load while the workers start), ``wait_ready`` blocks until
    all serve, ``check`` raises ``EvalAbort`` when one has died, and exit stops them. Each process also stops by
    itself when this one is gone (``motus-serve --watch-parent``), so a killed run leaves no model behind."""

    def __init__(
        self, shared: SharedPolicy, agent: str, agent_kwargs: dict[str, Any], embodiment: str | None, log_dir: Path
    ):
        """``embodiment``: the harness's name of the robot the workers drive (None for a RoboTwin robot: the plan
        already matched the model's action width to it)."""
        self.shared, self.agent, self.agent_kwargs, self.embodiment = shared, agent, agent_kwargs, embodiment
        self.takes_device = agent in MODEL_AGENTS or takes_device(agent)
        self.log_dir = log_dir
        self.processes: list[PolicyProcess] = []

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.processes]

    def client_kwargs(self, timeout_s: float) -> dict[str, Any]:
        """The workers' ``RemoteAgent`` arguments: every process's address (a worker takes one by its index)."""
        return {"server": self.urls, "retries": 3, "timeout_s": timeout_s}

    def command(self, device: str, port: int, ready_path: Path) -> list[str]:
        options = {**self.agent_kwargs, "device": device} if self.takes_device else dict(self.agent_kwargs)
        checkpoint = options.pop("checkpoint", None)
        command = [sys.executable, "-m", "agents.server", "--agent", self.agent, "--port", str(port)]
        command += ["--max-batch", str(self.shared.max_batch), "--max-wait-ms", str(self.shared.max_wait_ms)]
        command += ["--ready-file", str(ready_path), "--watch-parent"]
        if self.embodiment is not None:
            command += ["--embodiment", self.embodiment]
        if checkpoint is not None:
            command += ["--checkpoint", str(checkpoint)]
        return command + [f"{key}={json.dumps(value)}" for key, value in options.items()]

    def __enter__(self) -> PolicyProcesses:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for index, device in enumerate(self.shared.devices):
            port = free_port()
            log_path = self.log_dir / f"policy-{index}.log"
            ready_path = self.log_dir / f"policy-{index}.ready"
            ready_path.unlink(missing_ok=True)
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    self.command(device, port, ready_path),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches motus-eval, which stops it in order
                )
            self.processes.append(PolicyProcess(device, f"ws://127.0.0.1:{port}", log_path, ready_path, process))
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.shared.start_timeout_s
        waiting = list(self.processes)
        while waiting:
            for policy in list(waiting):
                if policy.ready_path.exists():
                    waiting.remove(policy)
                elif policy.process.poll() is not None:
                    raise EvalAbort(policy.failure("exited before serving"))
            if waiting and time.monotonic() > deadline:
                raise EvalAbort(
                    f"the policy process on {waiting[0].device} did not serve within "
                    f"{self.shared.start_timeout_s:.0f} s (policy_start_timeout_s); its log is {waiting[0].log_path}:\n"
                    f"{waiting[0].log_tail()}"
                )
            time.sleep(0.2)

    def check(self) -> None:
        for policy in self.processes:
            if policy.process.poll() is not None:
                raise EvalAbort(policy.failure("died during the run"))

    def __exit__(self, *exc_info) -> None:
        for policy in self.processes:
            if policy.process.poll() is None:
                # SIGTERM, not SIGINT: a run started in the background (nohup, CI, a script's subprocess) passes on
                # an ignored SIGINT, and each process then sat out the 10 s below before being killed
                policy.process.terminate()
        deadline = time.monotonic() + 10
        for policy in self.processes:
            try:
                policy.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                policy.process.kill()
                policy.process.wait()
            policy.ready_path.unlink(missing_ok=True)


def worker_server(servers: str | list[str], worker_id: int) -> str:
    """The policy process a worker talks to: its index modulo the processes, so workers spread evenly."""
    if isinstance(servers, str):
        return servers
    return servers[worker_id % len(servers)]
