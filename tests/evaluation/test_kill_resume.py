"""A run killed with SIGKILL (the whole process group, as a crashed machine would) at a random moment, then resumed,
ends with exactly tasks x seeds episodes in the ledger, none duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from evaluation.ledger import read_episodes

TASKS = ["click_bell", "lift_pot", "beat_block_hammer"]
SEEDS = 3


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path):
    motus_eval = Path(sys.executable).parent / "motus-eval"
    common = ["--out", str(tmp_path / "results"), f"manifests={tmp_path / 'manifests'}"]
    command = [
        str(motus_eval),
        "--tasks",
        ",".join(TASKS),
        "--seeds",
        str(SEEDS),
        "--workers",
        "2",
        "--run-id",
        "killed",
        *common,
    ]
    ledger = tmp_path / "results" / "killed" / "episodes.jsonl"
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not ledger.is_file() and time.monotonic() < deadline:  # episodes have started
        time.sleep(0.05)
    delay = random.Random().uniform(0.0, 3.0)  # then a random moment while episodes are running and being written
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = len(read_episodes(ledger))
    print(f"killed {delay:.2f} s after the first episode, with {before} of {len(TASKS) * SEEDS} in the ledger")
    assert before < len(TASKS) * SEEDS

    resumed = subprocess.run(
        [str(motus_eval), "--resume", "killed", *common], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    episodes = read_episodes(ledger)
    keys = [(e["task"], e["seed"]) for e in episodes]
    assert len(keys) == len(TASKS) * SEEDS and len(set(keys)) == len(keys)
    assert all(e["success"] for e in episodes)
    assert sorted({e["episode"] for e in episodes}) == list(range(SEEDS))


def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path):
    motus_eval = Path(sys.executable).parent / "motus-eval"
    common = ["--out", str(tmp_path / "results"), f"manifests={tmp_path / 'manifests'}"]
    command = [
        str(motus_eval),
        "--tasks",
        ",".join(TASKS),
        "--seeds",
        str(SEEDS),
        "--workers",
        "2",
        "--run-id",
        "interrupted",
        *common,
    ]
    ledger = tmp_path / "results" / "interrupted" / "episodes.jsonl"
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while not ledger.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "motus-eval --resume interrupted" in stderr
    time.sleep(3)
    orphans = subprocess.run(["pgrep", "-f", "multiprocessing.spawn"], capture_output=True, text=True).stdout.split()
    assert [p for p in orphans if int(p) != os.getpid()] == []
    resumed = subprocess.run(
        [str(motus_eval), "--resume", "interrupted", *common], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    keys = [(e["task"], e["seed"]) for e in read_episodes(ledger)]
    assert len(keys) == len(TASKS) * SEEDS == len(set(keys))
