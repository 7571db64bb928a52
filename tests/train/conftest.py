"""One small collected dataset (click_bell and lift_pot, one expert episode each) shared by the training tests."""

from __future__ import annotations

import json

import pytest

from train.collect import main as motus_collect


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sft-data")
    assert (
        motus_collect(["--tasks", "click_bell,lift_pot", "--episodes", "1", "--out", str(out), "--workers", "2"]) == 0
    )
    return out


@pytest.fixture(scope="session")
def read_losses():
    """The per-step losses a run wrote to its metrics.jsonl."""

    def read(folder) -> list[float]:
        return [json.loads(line)["loss"] for line in (folder / "metrics.jsonl").read_text().splitlines()]

    return read
