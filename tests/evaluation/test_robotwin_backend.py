"""``motus-eval --backend robotwin`` against a stand-in RoboTwin checkout in both layouts (``robotwin_standin.py``):
RoboTwin's expert check and seed order, its instructions, the closed loop through images, parallel workers, videos,
reports, SIGKILL and resume, and the clear errors before any episode. With ``ROBOTWIN_ROOT`` naming a real checkout
(assets downloaded, a Vulkan device), one seed of one real task runs too."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from evaluation.ledger import read_episodes
from evaluation.reporting.report_cli import main as motus_report
from evaluation.robotwin.environment import HarnessEnvsImported, enter_checkout
from evaluation.running.cli import main as motus_eval
from tests.evaluation.robotwin_standin import STEP_LIMITS, write_standin

READER = "tests.evaluation.robotwin_standin:TargetReader"
REPO = Path(__file__).resolve().parents[2]
MOTUS_EVAL = str(Path(sys.executable).parent / "motus-eval")


def reachable(seed: int, arm_steps: int) -> bool | None:
    """Whether the stand-in's target for ``seed`` can be reached in ``arm_steps`` actions (0.15 rad each, success
    within 0.05); None within the image code's rounding of the boundary."""
    np.random.seed(seed)
    farthest = np.abs(np.random.uniform(-0.6, 0.6, size=6)).max()
    margin = farthest - (0.15 * arm_steps + 0.05)
    return None if abs(margin) < 0.01 else bool(margin < 0)


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_a_parallel_run_follows_robotwins_evaluator_in_both_layouts(tmp_path, layout):
    root = write_standin(tmp_path / "RoboTwin", layout)
    out = tmp_path / "results"
    code = motus_eval(
        ["--backend", "robotwin", "--robotwin-root", str(root), "--tasks", "all", "--seeds", "5", "--domain", "both"]
        + ["--agent", READER, "--workers", "2", "--out", str(out), "--run-id", "rt", "--video", "failures"]
    )
    assert code == 0
    run_dir = out / "rt"
    meta = json.loads((run_dir / "run.json").read_text())
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    assert meta["robotwin"]["layout"] == layout and meta["robotwin"]["commit"] == commit
    assert meta["robotwin"]["dirty"] is False
    assert meta["robotwin"]["task_configs"] == {"clean": "demo_clean", "randomized": "demo_randomized"}
    assert meta["step_limits"] == STEP_LIMITS and meta["action_dim"] == 14 and meta["embodiment"] == "aloha_agilex"
    # the current layout's configs say seen (clean) / unseen (randomized); the legacy ones say nothing: unseen
    expected_types = (
        {"clean": "seen", "randomized": "unseen"} if layout == "current" else dict.fromkeys(meta["domains"], "unseen")
    )
    assert meta["instruction_split"] == expected_types

    # RoboTwin's seed order and expert check: 100004 defeats the expert, 100005 is unstable; both are skipped
    accepted = [100000, 100001, 100002, 100003, 100006]
    for domain in ("clean", "randomized"):
        for task in STEP_LIMITS:
            listed = json.loads((run_dir / "protocol" / domain / f"{task}.json").read_text())
            assert [s["seed"] for s in listed["seeds"]] == accepted and listed["tried"] == 7
            assert listed["rejected"]["100004"].startswith("no_success")
            assert listed["rejected"]["100005"].startswith("unstable_scene")

    episodes = read_episodes(run_dir / "episodes.jsonl")
    assert len(episodes) == 2 * 5 * 2 and len({(e["task"], e["domain"], e["seed"]) for e in episodes}) == 20
    for e in episodes:
        arm = "left" if e["task"] == "beat_block_hammer" else "right"
        color = ["red", "green", "blue"][e["seed"] % 3]
        assert f"{color} block" in e["instruction"] and arm in e["instruction"]  # built from the expert's episode info
        unseen = expected_types[e["domain"]] == "unseen"
        assert e["instruction"].startswith("Go for") == unseen
        assert e["step_limit"] == STEP_LIMITS[e["task"]]
        expected = reachable(e["seed"], STEP_LIMITS[e["task"]])
        if expected is not None:
            assert e["success"] == expected, e
        assert e["outcome"] == ("success" if e["success"] else "failure") and e["error"] is None
        if e["success"]:
            assert e["success_step"] == e["steps"] <= e["step_limit"] and e["video"] is None
        else:
            assert e["steps"] == e["step_limit"] and Path(e["video"]).stat().st_size > 1000
    outcomes = {e["success"] for e in episodes if e["task"] == "click_bell"}
    assert outcomes == {True, False}  # the stand-in's short step limit: some of its targets are out of reach

    report = tmp_path / "report"
    assert motus_report([str(run_dir), "--out", str(report)]) == 0
    markdown = (report / "report.md").read_text()
    assert f"RoboTwin {layout} layout @ {commit[:10]}" in markdown
    rate = 100 * np.mean([e["success"] for e in episodes if e["task"] == "click_bell" and e["domain"] == "clean"])
    assert f"| click_bell | clean | 5 | {round(rate / 20)} | {rate:.1f} |" in markdown


def test_a_16_d_robot_is_evaluated_with_16_d_actions(tmp_path):
    root = write_standin(tmp_path / "RoboTwin", "current", robot="franka-panda", git=False)
    out = tmp_path / "results"
    args = ["--backend", "robotwin", "--robotwin-root", str(root), "--tasks", "beat_block_hammer", "--seeds", "2"]
    assert motus_eval([*args, "--agent", READER, "--workers", "1", "--out", str(out), "--run-id", "panda"]) == 0
    meta = json.loads((out / "panda" / "run.json").read_text())
    assert (meta["embodiment"], meta["action_dim"]) == ("dual_panda", 16)
    episodes = read_episodes(out / "panda" / "episodes.jsonl")
    assert [e["outcome"] for e in episodes] == ["success", "success"]  # 7-joint targets read and reached


def test_robotwin_workers_share_a_policy_process(tmp_path):
    """The RoboTwin workers drive a shared policy process as the embedded ones do: the closed loop goes through it."""
    root = write_standin(tmp_path / "RoboTwin", "current", git=False)
    out = tmp_path / "results"
    args = ["--backend", "robotwin", "--robotwin-root", str(root), "--tasks", "click_bell", "--seeds", "4"]
    args += ["--agent", READER, "--workers", "2", "--out", str(out), "--run-id", "shared", "--policy-process", "shared"]
    assert motus_eval(args) == 0
    meta = json.loads((out / "shared" / "run.json").read_text())
    assert meta["policy_process"]["mode"] == "shared"
    assert (
        "motus-serve: tests.evaluation.robotwin_standin:TargetReader"
        in (out / "shared" / "policy" / "policy-0.log").read_text()
    )
    episodes = read_episodes(out / "shared" / "episodes.jsonl")
    assert len(episodes) == 4 and all(e["error"] is None for e in episodes)
    for e in episodes:
        expected = reachable(e["seed"], STEP_LIMITS["click_bell"])
        assert expected is None or e["success"] == expected, e


def test_a_policy_of_another_width_is_refused_by_the_checkouts_robot():
    from evaluation.running.agent_inputs import fits_embodiment
    from evaluation.running.errors import EvalConfigError

    fits_embodiment("checkpoint A", 16, "dual_panda", 16)
    with pytest.raises(EvalConfigError, match="checkpoint A has action_dim 14 but dual_panda takes 16-D actions"):
        fits_embodiment("checkpoint A", 14, "dual_panda", 16)


def test_the_random_agent_draws_within_the_ranges_the_environment_gives(tmp_path):
    from agents.random_agent import RandomAgent

    low, high = np.array([-2.0] * 6 + [0.0]), np.array([2.0] * 6 + [1.0])
    agent = RandomAgent(chunk_size=64)
    agent.reset(task="t", instruction="i", seed=1, embodiment="piper", action_limits=(low, high))  # not our robot
    chunk = agent.act({})
    assert chunk.shape == (64, 7) and np.all(chunk >= low) and np.all(chunk <= high)
    assert chunk[:, 6].max() - chunk[:, 6].min() > 0.5  # the grippers' whole [0, 1] range, not a corner of it

    root = write_standin(tmp_path / "RoboTwin", "current", git=False)
    out = tmp_path / "results"
    args = ["--backend", "robotwin", "--robotwin-root", str(root), "--tasks", "click_bell", "--seeds", "2"]
    assert motus_eval([*args, "--agent", "random", "--workers", "1", "--out", str(out), "--run-id", "r"]) == 0
    episodes = read_episodes(out / "r" / "episodes.jsonl")
    assert [e["outcome"] for e in episodes] == ["failure", "failure"]  # random joints never hold the target
    assert all(e["steps"] == STEP_LIMITS["click_bell"] for e in episodes)


def test_a_killed_run_resumes_with_its_own_seeds_and_duplicates_nothing(tmp_path):
    root = write_standin(tmp_path / "RoboTwin", "current")
    out = tmp_path / "results"
    common = ["--out", str(out), "+plugin.delay_s=0.2", "+plugin.chunk_size=1"]  # ~4 s in all
    command = [MOTUS_EVAL, "--backend", "robotwin", "--robotwin-root", str(root), "--seeds", "6", "--agent", READER]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [*command, "--workers", "2", "--run-id", "killed", "--video", "failures", *common],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    ledger = out / "killed" / "episodes.jsonl"
    deadline = time.monotonic() + 120
    while not (ledger.is_file() and ledger.read_text().strip()) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.05)
    time.sleep(random.Random().uniform(0.0, 1.5))  # a random moment while episodes run and are written
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    before = read_episodes(ledger)
    assert 0 < len(before) < 12
    lists = sorted((out / "killed" / "protocol").rglob("*.json"))
    saved = {path: path.read_text() for path in lists}

    resumed = subprocess.run(
        [MOTUS_EVAL, "--resume", "killed", *common], capture_output=True, text=True, timeout=300, env=env
    )
    assert resumed.returncode == 0, resumed.stderr
    episodes = read_episodes(ledger)
    keys = [(e["task"], e["seed"]) for e in episodes]
    assert len(keys) == 2 * 6 == len(set(keys))
    assert all(path.read_text() == text for path, text in saved.items())  # the seeds were not checked again
    expected = {(t, s["seed"]) for p in lists for t in [p.stem] for s in json.loads(p.read_text())["seeds"]}
    assert set(keys) == expected
    failures = [e for e in episodes if not e["success"]]
    assert failures and all(Path(e["video"]).is_file() for e in failures)  # the resumed half records videos too


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "needs --robotwin-root"),
        (["--robotwin-root", "{tmp}/nowhere"], "no such folder"),
        (["--robotwin-root", "{tmp}"], "not a RoboTwin 2.0 checkout"),
        (["--robotwin-root", "{bare}"], "assets are missing"),
        (["--robotwin-root", "{root}", "--tasks", "fold_laundry"], "valid: all or beat_block_hammer, click_bell"),
        (["--robotwin-root", "{root}", "--task-config", "demo_messy"], "valid: demo_clean, demo_randomized"),
        (["--robotwin-root", "{root}", "--agent", "expert"], "is its seed check"),
        (["--robotwin-root", "{root}", "--instruction-type", "novel"], "valid: seen, unseen"),
    ],
)
def test_bad_inputs_stop_before_any_worker(tmp_path, capsys, arguments, message):
    root = write_standin(tmp_path / "RoboTwin", "current", git=False)
    bare = write_standin(tmp_path / "bare", "current", assets=False, git=False)
    arguments = [a.format(tmp=tmp_path, root=root, bare=bare) for a in arguments]
    code = motus_eval(
        ["--backend", "robotwin", "--seeds", "1", "--agent", "random", "--out", str(tmp_path / "r")] + arguments
    )
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_no_vulkan_device_is_a_clear_error_before_any_episode(tmp_path, capsys, monkeypatch):
    root = write_standin(tmp_path / "RoboTwin", "current", git=False)
    monkeypatch.setenv("VK_ICD_FILENAMES", str(tmp_path / "no-driver.json"))  # the workers' Vulkan finds no device
    out = tmp_path / "results"
    args = ["--backend", "robotwin", "--robotwin-root", str(root), "--seeds", "1", "--agent", "random"]
    assert motus_eval([*args, "--workers", "1", "--out", str(out), "--run-id", "nv"]) == 2
    assert "SAPIEN finds no Vulkan rendering device" in capsys.readouterr().err
    assert not (out / "nv" / "protocol").exists() and read_episodes(out / "nv" / "episodes.jsonl") == []


def test_a_process_that_imported_the_harness_envs_cannot_become_a_robotwin_worker(tmp_path):
    import envs  # noqa: F401 (the harness's simulator, as the orchestrating process has it)

    root = write_standin(tmp_path / "RoboTwin", "current", git=False)
    cwd = os.getcwd()
    with pytest.raises(HarnessEnvsImported, match="must not import the harness's simulator"):
        enter_checkout(root)
    assert os.getcwd() == cwd


@pytest.mark.skipif(not os.environ.get("ROBOTWIN_ROOT"), reason="ROBOTWIN_ROOT does not name a RoboTwin checkout")
def test_one_seed_of_a_real_robotwin_task(tmp_path):
    out = tmp_path / "results"
    args = ["--backend", "robotwin", "--robotwin-root", os.environ["ROBOTWIN_ROOT"], "--tasks", "beat_block_hammer"]
    assert (
        motus_eval(
            [*args, "--seeds", "1", "--agent", "random", "--workers", "1", "--out", str(out), "--run-id", "real"]
        )
        == 0
    )
    (episode,) = read_episodes(out / "real" / "episodes.jsonl")
    assert episode["outcome"] in ("success", "failure") and episode["instruction"] and episode["steps"] > 0
