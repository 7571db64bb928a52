"""Where a run's policy runs (``policy_process``): shared processes per device or a copy per worker, decided before
anything starts."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from evaluation.running.errors import EvalConfigError
from evaluation.running.policy_processes import resolve_policy_process, worker_server


def config(**settings):
    base = {"policy_process": "auto", "policy_devices": "auto", "policy_max_batch": None, "policy_max_wait_ms": 5}
    return OmegaConf.create({"launcher": "local", "ray_address": None, **base, **settings})


def test_the_model_agent_is_shared_by_default_with_batches_of_all_its_workers():
    shared, note = resolve_policy_process(config(), "motus", {"device": "auto"}, workers=6)
    assert shared.devices == ("cpu",) and shared.max_batch == 6  # this machine has no GPU
    assert "one shared policy process per device (cpu)" in note
    two, _ = resolve_policy_process(config(policy_devices="cpu,cpu"), "motus", {}, workers=5)
    assert two.devices == ("cpu", "cpu") and two.max_batch == 3  # 5 workers over 2 processes: at most 3 each
    named, _ = resolve_policy_process(config(policy_max_batch=4), "motus", {"device": "cpu"}, workers=16)
    assert named.devices == ("cpu",) and named.max_batch == 4


@pytest.mark.parametrize(
    ("settings", "kwargs", "reason"),
    [
        ({"launcher": "ray", "ray_address": "10.0.0.1:6379"}, {}, "start motus-serve where they can reach it"),
        ({}, {"predict_video": True}, "predict_video needs the model's predicted frames in the worker"),
        ({"policy_process": "per_worker"}, {}, "policy_process=per_worker"),
    ],
)
def test_a_copy_per_worker_where_sharing_cannot_work_or_is_declined(settings, kwargs, reason):
    shared, note = resolve_policy_process(config(**settings), "motus", kwargs, workers=2)
    assert shared is None and reason in note
    if settings.get("policy_process") != "per_worker":  # asked for explicitly, the same reason is an error
        with pytest.raises(EvalConfigError, match="policy_process=shared cannot be used here"):
            resolve_policy_process(config(**settings, policy_process="shared"), "motus", kwargs, workers=2)


def test_other_agents_run_in_the_workers_unless_shared_is_asked_for():
    assert resolve_policy_process(config(), "expert", {}, workers=2)[0] is None
    plug_in, _ = resolve_policy_process(config(policy_process="shared"), "pkg.mod:Policy", {}, workers=2)
    assert plug_in.devices == ("cpu",)
    with pytest.raises(EvalConfigError, match="agent remote uses --server's"):
        resolve_policy_process(config(policy_process="shared"), "remote", {}, workers=2)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"policy_process": "everywhere"}, "unknown policy_process 'everywhere'; valid: auto, shared, per_worker"),
        ({"policy_devices": "cuda:0"}, "CUDA is not available on this machine"),
        ({"policy_devices": " , "}, "policy_devices is empty"),
        ({"policy_max_batch": -1}, "policy_max_batch must be at least 1, got -1"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(EvalConfigError, match=message):
        resolve_policy_process(config(**settings), "motus", {}, workers=2)


def test_workers_spread_over_the_processes_by_index():
    servers = ["ws://a", "ws://b", "ws://c"]
    assert [worker_server(servers, i) for i in range(7)] == ["ws://a", "ws://b", "ws://c"] * 2 + ["ws://a"]
    assert worker_server("ws://given", 5) == "ws://given"  # --server: one address for everyone


def test_policy_processes_stop_at_once_in_a_run_that_ignores_ctrl_c(tmp_path):
    """A run started in the background (nohup, CI, a script) hands its children an ignored SIGINT: the policy
    processes must still stop when the run ends, by SIGTERM, rather than sit out the grace period and be killed."""
    import signal

    from evaluation.running.policy_processes import PolicyProcesses, SharedPolicy

    shared = SharedPolicy(devices=("cpu",), max_batch=1, max_wait_ms=0, start_timeout_s=120)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the processes started below
    try:
        with PolicyProcesses(shared, "random", {}, None, tmp_path) as processes:
            processes.wait_ready()
            (policy,) = processes.processes
    finally:
        signal.signal(signal.SIGINT, previous)
    assert policy.process.returncode == -signal.SIGTERM  # stopped by the request, not killed after the grace period
    assert not policy.ready_path.exists()
