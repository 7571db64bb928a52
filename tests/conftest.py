"""Shared fixtures: one environment per task and module keeps the renderer warm across tests; one small collected
dataset (click_bell and lift_pot, one expert episode each) for the training and model-evaluation tests."""

from __future__ import annotations

import pytest

from envs.env import MotusTaskEnv


@pytest.fixture(scope="module")
def env_factory():
    cache: dict[tuple, MotusTaskEnv] = {}

    def make(task: str, domain: str = "clean", **kwargs) -> MotusTaskEnv:
        key = (task, domain, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = MotusTaskEnv(task, domain=domain, **kwargs)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory):
    from train.collect import main as motus_collect

    out = tmp_path_factory.mktemp("sft-data")
    assert (
        motus_collect(["--tasks", "click_bell,lift_pot", "--episodes", "1", "--out", str(out), "--workers", "2"]) == 0
    )
    return out
