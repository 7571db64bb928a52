"""Interrupted runs: SIGKILL of the whole process group (as a crashed machine would) at a random moment, and Ctrl-C;
each resumed run ends with exactly tasks x seeds episodes in the ledger, none duplicated."""

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
MOTUS_EVAL = str(Path(sys.executable).parent / "motus-eval")


def start_run(tmp_path: Path, run_id: str, protocol) -> tuple[subprocess.Popen, Path, list[str]]:
    """Start motus-eval in its own process group and return once its first episode is in the ledger."""
    common = ["--out", str(tmp_path / "results"), *protocol.overrides()]
    command = [MOTUS_EVAL, "--tasks", ",".join(TASKS), "--seeds", str(SEEDS), "--workers", "2", "--run-id", run_id]
    ledger = tmp_path / "results" / run_id / "episodes.jsonl"
    process = subprocess.Popen(
        [*command, *common],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell running this suite in the background ignores SIGINT, and the child would inherit that: give it
        # the default disposition a terminal's foreground job has
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while not ledger.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    return process, ledger, common


def resume_and_check(run_id: str, ledger: Path, common: list[str]) -> list[dict]:
    resumed = subprocess.run([MOTUS_EVAL, "--resume", run_id, *common], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    episodes = read_episodes(ledger)
    keys = [(e["task"], e["seed"]) for e in episodes]
    assert len(keys) == len(TASKS) * SEEDS == len(set(keys))
    return episodes


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path, protocol):
    process, ledger, common = start_run(tmp_path, "killed", protocol)
    # A random moment while episodes are running and being written: once a random number of them is in the ledger
    # (a replayed expert episode takes well under a second, so a clock alone could miss the run), plus a random delay
    # shorter than an episode, so the kill may land in the middle of a ledger write.
    rng = random.Random()
    wanted, delay = rng.randint(1, len(TASKS) * SEEDS - 3), rng.uniform(0.0, 0.2)
    while len(ledger.read_text().splitlines()) < wanted and process.poll() is None:
        time.sleep(0.005)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    before = len(read_episodes(ledger))
    print(f"killed {delay:.2f} s after episode {wanted}, with {before} of {len(TASKS) * SEEDS} in the ledger")
    assert before < len(TASKS) * SEEDS
    episodes = resume_and_check("killed", ledger, common)
    assert all(e["success"] for e in episodes)
    assert sorted({e["episode"] for e in episodes}) == list(range(SEEDS))


def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path, protocol):
    process, ledger, common = start_run(tmp_path, "interrupted", protocol)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "motus-eval --resume interrupted" in stderr
    time.sleep(3)
    # no process of the run's group survives it (its workers share the group; other runs on the machine do not)
    orphans = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert orphans == []
    resume_and_check("interrupted", ledger, common)
