"""motus-eval end to end with real worker processes: expert runs, faulty agents, bad input, the Motus agent."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

import envs
from envs.embodiment import DEFAULT_EMBODIMENT
from evaluation.ledger import EPISODE_KEYS, read_episodes
from evaluation.reporting.report_cli import main as motus_report
from evaluation.running.cli import main as motus_eval
from motus.cli import main_init


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, protocol):
    """One results folder per module; seeds and expert actions come from the session's generated protocol."""
    folder = tmp_path_factory.mktemp("eval")
    folder.joinpath("protocol.args").write_text("\n".join(protocol.overrides()))
    return folder


def run(workspace: Path, *args: str) -> tuple[int, list[dict]]:
    out = workspace / "results"
    protocol_args = workspace.joinpath("protocol.args").read_text().split("\n")
    code = motus_eval([*args, "--out", str(out), *protocol_args])
    run_id = args[args.index("--run-id") + 1] if "--run-id" in args else None
    episodes = read_episodes(out / run_id / "episodes.jsonl") if run_id else []
    return code, episodes


def test_expert_succeeds_on_the_protocol_seeds_without_rerunning_the_expert(workspace, protocol):
    cache = protocol.actions_root / DEFAULT_EMBODIMENT / "clean" / "click_bell"
    stamps = {path.name: path.stat().st_mtime_ns for path in cache.iterdir()}
    code, episodes = run(
        workspace, "--tasks", "click_bell,lift_pot", "--seeds", "2", "--workers", "2", "--run-id", "expert-a"
    )
    assert code == 0
    assert len(episodes) == 4 and all(e["success"] and e["error"] is None for e in episodes)
    assert all(e["outcome"] == "success" and e["failed_conditions"] is None for e in episodes)
    assert all(set(EPISODE_KEYS) <= set(e) for e in episodes)
    for task in ("click_bell", "lift_pot"):  # exactly the protocol's first seeds, in order
        ordered = sorted((e for e in episodes if e["task"] == task), key=lambda e: e["episode"])
        assert [e["seed"] for e in ordered] == protocol.seeds(task)[:2]
    assert {path.name: path.stat().st_mtime_ns for path in cache.iterdir()} == stamps  # actions reused, not redone
    meta = json.loads((workspace / "results" / "expert-a" / "run.json").read_text())
    assert meta["protocol"] == "embedded-v2" and set(meta["simulator"]) == {"sapien", "mplib"}
    assert meta["git_revision"] and meta["versions"]["torch"]


@pytest.mark.parametrize(
    ("key", "value"), [("protocol", "embedded-v1"), ("simulator", {"sapien": "3.0.0", "mplib": "0.2.1"})]
)
def test_resuming_under_another_protocol_or_simulator_is_refused(workspace, capsys, key, value):
    code, _ = run(workspace, "--tasks", "click_bell", "--seeds", "1", "--agent", "random", "--run-id", f"pin-{key}")
    assert code == 0
    run_file = workspace / "results" / f"pin-{key}" / "run.json"
    meta = json.loads(run_file.read_text())
    meta[key] = value  # as if the run had been started by another version
    run_file.write_text(json.dumps(meta))
    code, _ = run(workspace, "--resume", f"pin-{key}")
    assert code == 2
    assert f"{key}: run has {value!r}" in capsys.readouterr().err


def test_the_scene_is_checked_against_the_protocol_fingerprint(workspace, protocol, tmp_path, capsys):
    """A protocol whose recorded scene differs from what the code builds stops the run, naming seed and task."""
    import shutil

    from evaluation.running.protocol import SeedList

    root = tmp_path / "protocol"
    shutil.copytree(protocol.root, root)
    seed_list = SeedList.load(root, "click_bell", "clean", DEFAULT_EMBODIMENT)
    seed_list.seeds[0]["fingerprint"]["objects"]["bell"]["pose"][0] += 0.02  # the bell 2 cm off
    seed_list.save(root)
    code = motus_eval(
        ["--tasks", "click_bell", "--seeds", "1", "--agent", "random", "--workers", "1", "--run-id", "moved"]
        + ["--out", str(workspace / "results"), f"protocol_root={root}"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"different scene for seed {seed_list.seeds[0]['seed']} of task click_bell" in err
    assert "protocol is out of date" in err


def test_base_seed_selects_the_protocol_lists_of_that_base(workspace, tmp_path, capsys):
    from evaluation.running.protocol_cli import main as motus_protocol

    root = tmp_path / "protocol"
    code, _ = run(workspace, "--tasks", "click_bell", "--seeds", "1", "--base-seed", "1", "--run-id", "b1")
    assert code == 2 and "motus-protocol generate --tasks click_bell" in capsys.readouterr().err
    arguments = ["generate", "--tasks", "click_bell", "--domain", "clean", "--seeds", "1", "--base-seed", "1"]
    assert motus_protocol([*arguments, "--root", str(root), "--workers", "1"]) == 0
    code = motus_eval(
        ["--tasks", "click_bell", "--seeds", "1", "--base-seed", "1", "--agent", "random", "--workers", "1"]
        + ["--run-id", "b1", "--out", str(workspace / "results"), f"protocol_root={root}"]
    )
    assert code == 0
    (episode,) = read_episodes(workspace / "results" / "b1" / "episodes.jsonl")
    assert 200000 <= episode["seed"] < 200100
    assert json.loads((workspace / "results" / "b1" / "run.json").read_text())["base_seed"] == 1


@pytest.mark.parametrize(
    ("agent", "expected", "outcome"),
    [
        ("RaisingAgent", "RuntimeError: policy exploded", "policy_error"),
        ("NanAgent", "NaN or infinite", "policy_error"),
        ("WrongShapeAgent", "expected [k >= 1, 14]", "policy_error"),
        ("HangingAgent", "timed out after 8 s", "policy_error"),
        ("CrashingAgent", "worker crashed twice", "infra_error"),
    ],
)
def test_faulty_agent_is_recorded_and_the_run_goes_on(workspace, protocol, agent, expected, outcome):
    good, bad = protocol.seeds("click_bell")[:2]
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
        f"+plugin.actions_root={protocol.actions_root}",
        f"+plugin.bad_seed={bad}",
        "episode_timeout_s=8",  # a good episode (a replay, nothing rendered) takes ~1 s with its scene build
    )
    assert code == (3 if outcome == "infra_error" else 0)  # 3: finished, but infrastructure errors remain
    by_seed = {e["seed"]: e for e in episodes}
    assert len(episodes) == 2
    assert by_seed[good]["success"] and by_seed[good]["error"] is None and by_seed[good]["outcome"] == "success"
    assert not by_seed[bad]["success"] and expected in by_seed[bad]["error"]
    assert by_seed[bad]["outcome"] == outcome


def test_infra_errors_are_excluded_reported_and_retried_on_resume(workspace, protocol, tmp_path):
    from evaluation.reporting.report_cli import write_report

    good, bad = protocol.seeds("click_bell")[:2]
    markers = tmp_path / "markers"
    markers.mkdir()
    plugin = [
        f"+plugin.actions_root={protocol.actions_root}",
        f"+plugin.marker_dir={markers}",
        f"+plugin.bad_seed={bad}",
    ]
    common = ["--tasks", "click_bell", "--seeds", "2", "--workers", "2", "--run-id", "crashy", *plugin]
    code, episodes = run(workspace, *common, "--agent", "tests.evaluation.faulty_agents:CrashTwiceAgent")
    assert code == 3
    by_seed = {e["seed"]: e for e in episodes}
    assert by_seed[bad]["outcome"] == "infra_error" and by_seed[good]["outcome"] == "success"
    run_dir = workspace / "results" / "crashy"
    written = write_report([str(run_dir)], run_dir / "report", ["md"])
    summary = json.loads(written["summary"].read_text())["runs"][0]
    (row,) = summary["tasks"]
    assert (row["n"], row["successes"], row["rate"], row["infra_errors"]) == (1, 1, 1.0, 1)  # excluded from the rate
    assert not summary["complete"] and summary["infra_errors"] == 1
    assert "1 infrastructure error(s), excluded from the rates" in written["md"].read_text()
    code, _ = run(workspace, "--resume", "crashy")
    assert code == 0
    lines = read_episodes(run_dir / "episodes.jsonl")
    assert [e["seed"] for e in lines].count(bad) == 2  # the failed attempt is kept; the retry supersedes it
    from evaluation.reporting.results import load_run

    latest = load_run(run_dir).episodes
    assert len(latest) == 2 and all(e["outcome"] == "success" for e in latest)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--tasks", "fold_laundry"],
            f"unknown task(s) ['fold_laundry']; valid: all or {', '.join(envs.list_tasks())}",
        ),
        (["--agent", "dreamer"], "unknown agent 'dreamer'; valid: expert, motus, random, remote, replay"),
        (["--domain", "moon"], "unknown domain 'moon'; valid: clean, randomized, both"),
        (["--embodiment", "moon"], "unknown embodiment 'moon'; valid choices: aloha_agilex, dual_panda"),
        (["--agent", "motus"], "needs --checkpoint"),
        (["--agent", "motus", "--checkpoint", "/nonexistent"], "does not load"),
    ],
)
def test_bad_input_starts_nothing(workspace, capsys, args, message):
    code, _ = run(workspace, *args, "--run-id", "never")
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (workspace / "results" / "never").exists()


@pytest.mark.slow  # a 400-step episode rendering for the video and the gap (~110 s); the default run has a short one
def test_motus_agent_end_to_end_with_predicted_video(workspace):
    checkpoint = workspace / "tiny-ckpt"
    assert main_init(["--config", "motus_tiny_aloha", "--output", str(checkpoint)]) == 0
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
    # the imagination gap: each of the 8 imagined frames of each of the 25 chunks against the scene after its action
    assert episode["imagination_frames"] == 25 * 8
    assert 0 < episode["imagination_psnr"] < 100 and -1 <= episode["imagination_ssim"] <= 1
    assert episode["imagination_by_horizon"]["horizon"] == list(range(1, 9))
    report = workspace / "motus-tiny-report"
    assert motus_report([str(workspace / "results" / "motus-tiny"), "--out", str(report)]) == 0
    (row,) = json.loads((report / "summary.json").read_text())["runs"][0]["imagination"]
    assert (row["task"], row["n"], row["rate"]) == ("click_bell", 1, 0.0)
    assert row["ssim"] == pytest.approx(episode["imagination_ssim"]) and row["p_value"] is None  # no success to compare
    assert "### Imagination gap" in (report / "report.md").read_text()
