"""Shared fixtures: one environment per task and module keeps the renderer warm across tests."""

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
