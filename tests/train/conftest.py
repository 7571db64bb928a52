"""The training tests' helpers (their small collected dataset, ``dataset_dir``, is in the root conftest: the model
evaluation tests read it too)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def read_losses():
    """The per-step losses a run wrote to its metrics.jsonl."""

    def read(folder) -> list[float]:
        return [json.loads(line)["loss"] for line in (folder / "metrics.jsonl").read_text().splitlines()]

    return read
