"""motus-eval end to end with real worker processes: expert runs, faulty agents, bad input, the Motus agent."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from evaluation.cli import main as motus_eval
from evaluation.ledger import EPISODE_KEYS, read_episodes
from motus.cli import main_init


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """One results folder per module so seeds are verified once and reused by every run."""
    return tmp_path_factory.mktemp("eval")


def run(workspace: Path, *args: str) -> tuple[int, list[dict]]:
    out = workspace / "results"
    code = motus_eval([*args, "--out", str(out), f"manifests={workspace / 'manifests'}"])
    run_id = args[args.index("--run-id") + 1] if "--run-id" in args else None
    episodes = read_episodes(out / run_id / "episodes.jsonl") if run_id else []
    return code, episodes


def test_expert_succeeds_everywhere_and_seeds_are_verified_once(workspace):
    code, episodes = run(
        workspace, "--tasks", "click_bell,lift_pot", "--seeds", "2", "--workers", "2", "--run-id", "expert-a"
    )
    assert code == 0
    assert len(episodes) == 4 and all(e["success"] and e["error"] is None for e in episodes)
    assert all(set(EPISODE_KEYS) <= set(e) for e in episodes)
    assert sorted((e["task"], e["episode"]) for e in episodes) == [
        ("click_bell", 0),
        ("click_bell", 1),
        ("lift_pot", 0),
        ("lift_pot", 1),
    ]
    manifest = workspace / "manifests" / "embedded-v1" / "dual_panda" / "clean" / "click_bell.json"
    stamp = manifest.stat().st_mtime_ns
    code, again = run(workspace, "--tasks", "click_bell", "--seeds", "2", "--workers", "1", "--run-id", "expert-b")
    assert code == 0 and all(e["success"] for e in again)
    assert manifest.stat().st_mtime_ns == stamp  # no episode and no run re-verified the seeds
    seeds = json.loads(manifest.read_text())["accepted"]
    assert [e["seed"] for e in sorted(again, key=lambda e: e["episode"])] == seeds[:2]


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("RaisingAgent", "RuntimeError: policy exploded"),
        ("NanAgent", "NaN or infinite"),
        ("WrongShapeAgent", "expected [k >= 1, 16]"),
        ("HangingAgent", "timed out after 40 s"),
        ("CrashingAgent", "worker crashed twice"),
    ],
)
def test_faulty_agent_is_recorded_and_the_run_goes_on(workspace, agent, expected):
    code, episodes = run(
        workspace,
        "--tasks",
        "click_bell",
        "--seeds",
        "2",
        "--workers",
        "2",
        "--agent",
        f"tests.evaluation.faulty_agents:{agent}",
        "--run-id",
        f"faulty-{agent}",
        f"+plugin.actions_root={workspace / 'manifests' / 'embedded-v1'}",
        "episode_timeout_s=40",
    )
    assert code == 0
    by_seed = {e["seed"]: e for e in episodes}
    assert len(episodes) == 2
    assert by_seed[100000]["success"] and by_seed[100000]["error"] is None
    assert not by_seed[100001]["success"] and expected in by_seed[100001]["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "fold_laundry"], "unknown task(s) ['fold_laundry']; valid: all or beat_block_hammer"),
        (["--agent", "dreamer"], "unknown agent 'dreamer'; valid: expert, motus, random, remote, replay"),
        (["--domain", "moon"], "unknown domain 'moon'; valid: clean, randomized, both"),
        (["--agent", "motus"], "needs --checkpoint"),
        (["--agent", "motus", "--checkpoint", "/nonexistent"], "does not load"),
    ],
)
def test_bad_input_starts_nothing(workspace, capsys, args, message):
    code, _ = run(workspace, *args, "--run-id", "never")
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (workspace / "results" / "never").exists()


def test_motus_agent_end_to_end_with_predicted_video(workspace):
    checkpoint = workspace / "tiny-ckpt"
    assert main_init(["--config", "motus_tiny", "--output", str(checkpoint)]) == 0
    code, episodes = run(
        workspace,
        "--agent",
        "motus",
        "--checkpoint",
        str(checkpoint),
        "--tasks",
        "click_bell",
        "--seeds",
        "1",
        "--workers",
        "1",
        "--video",
        "all",
        "--run-id",
        "motus-tiny",
        "agents.motus.mode=joint",
        "agents.motus.predict_video=true",
        "agents.motus.num_steps=2",
        "video_stride=8",
    )
    assert code == 0
    (episode,) = episodes
    assert episode["error"] is None and episode["steps"] == 400 and not episode["success"]  # untrained: times out
    assert episode["chunks"] == 25 and episode["policy_s"] > 0
    with av.open(episode["video"]) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 1 + 400 // 8
    assert frames[0].shape == (48 + 384, 2 * 320, 3)  # caption band over [real composite | predicted frame]
