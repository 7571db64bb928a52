"""Units of the evaluation layer: statistics, ledger durability, chunk checks, agent registry and simple agents, a
model's action width against the evaluated embodiment."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from agents import AgentError, UnknownAgentError, make_agent, resolve_agent_class
from agents.random_agent import RandomAgent
from envs.embodiment import load_embodiment
from evaluation.ledger import EPISODE_KEYS, LedgerError, RunLedger, read_episodes
from evaluation.reporting.stats import wilson_interval
from evaluation.running.episode import check_chunk


def test_wilson_interval_known_values():
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.72247, 1.0), abs=1e-4)
    # exact at the ends, so error bars (rate - low, high - rate) are never negative (matplotlib refuses them)
    assert all(wilson_interval(0, n)[0] == 0.0 and wilson_interval(n, n)[1] == 1.0 for n in range(1, 200))
    assert wilson_interval(0, 0) == (0.0, 1.0)


def record(seed: int, **extra) -> dict:
    base = dict.fromkeys(EPISODE_KEYS)
    base.update(task="click_bell", domain="clean", seed=seed, success=True, outcome="success")
    return {**base, **extra}


def test_ledger_appends_and_survives_a_cut_last_line(tmp_path, caplog):
    ledger = RunLedger(tmp_path / "run")
    ledger.open()
    ledger.append(record(1))
    ledger.append(record(2))
    with ledger.episodes_file.open("ab") as handle:  # a kill in the middle of writing episode 3
        handle.write(json.dumps(record(3)).encode()[:25])
    assert [e["seed"] for e in read_episodes(ledger.episodes_file)] == [1, 2]
    assert "incomplete" in caplog.text
    ledger.open()  # reopening cuts the partial line so the next append starts clean
    ledger.append(record(3))
    assert [e["seed"] for e in ledger.episodes()] == [1, 2, 3]
    assert ledger.finished() == {("click_bell", "clean", s) for s in (1, 2, 3)}
    with pytest.raises(LedgerError, match="lacks keys"):
        ledger.append({"task": "x"})
    with pytest.raises(LedgerError, match="is not one of success, failure, policy_error, infra_error"):
        ledger.append(record(4, outcome="crashed"))


def test_infra_errors_are_not_finished_and_a_retry_supersedes_them(tmp_path):
    ledger = RunLedger(tmp_path / "run")
    ledger.open()
    ledger.append(record(1))
    ledger.append(record(2, success=False, outcome="infra_error", error="simulator error: boom"))
    ledger.append(record(3, success=False, outcome="policy_error", error="RuntimeError: policy exploded"))
    assert ledger.finished() == {("click_bell", "clean", 1), ("click_bell", "clean", 3)}  # 2 is retried on resume
    ledger.append(record(2, success=False, outcome="failure"))
    assert [(e["seed"], e["outcome"]) for e in ledger.episodes()] == [
        (1, "success"),
        (2, "failure"),
        (3, "policy_error"),
    ]
    assert len(read_episodes(ledger.episodes_file)) == 4  # every attempt stays on disk


def test_task_rows_exclude_infra_errors_and_count_false_conditions():
    from evaluation.reporting.summary import task_rows

    episodes = [
        record(1),
        record(2, success=False, outcome="failure", steps=400, failed_conditions=["grippers_open"]),
        record(3, success=False, outcome="failure", steps=400, failed_conditions=["grippers_open", "stacked_xy"]),
        record(4, success=False, outcome="policy_error", steps=3, failed_conditions=None),
        record(5, success=False, outcome="infra_error", steps=0),
    ]
    for e in episodes:
        e["steps"] = e["steps"] or 10
    (row,) = task_rows(episodes)
    assert (row["n"], row["successes"], row["rate"]) == (4, 1, 0.25)
    assert (row["failures"], row["policy_errors"], row["infra_errors"]) == (2, 1, 1)
    assert row["failed_conditions"] == {"grippers_open": 2, "stacked_xy": 1}


def test_leaderboard_groups_are_stable_across_processes(tmp_path):
    """The grouping key must not depend on Python's per-process string hashing."""
    import subprocess
    import sys

    run = tmp_path / "results" / "r1"
    run.mkdir(parents=True)
    meta = {"run_id": "r1", "protocol": "embedded-v2", "embodiment": "dual_panda", "tasks": ["click_bell"]}
    meta.update(seeds=1, domains=["clean"], agent="random")
    (run / "run.json").write_text(json.dumps(meta))
    (run / "episodes.jsonl").write_text(json.dumps(record(1, steps=5, duration_s=1.0)) + "\n")
    code = "from evaluation.reporting.leaderboard import leaderboard; import sys; print(list(leaderboard(sys.argv[1])))"
    keys = {
        subprocess.run([sys.executable, "-c", code, str(tmp_path / "results")], capture_output=True, text=True).stdout
        for _ in range(3)
    }
    assert len(keys) == 1 and "embedded-v2 / dual_panda / clean / 1 tasks" in keys.pop()


def test_checkpoint_identity_covers_whole_files(tmp_path):
    from evaluation.running.provenance import checkpoint_identity

    folder = tmp_path / "ckpt"
    folder.mkdir()
    weights = np.zeros(3 << 20, dtype=np.uint8)
    (folder / "model.safetensors").write_bytes(weights.tobytes())
    first = checkpoint_identity(str(folder))
    weights[-1] = 1  # a change past the first MiB
    (folder / "model.safetensors").write_bytes(weights.tobytes())
    assert checkpoint_identity(str(folder))["sha256"] != first["sha256"]


def test_check_chunk_reasons():
    good = np.zeros((4, 16))
    assert check_chunk(good, 16).shape == (4, 16)
    assert check_chunk(np.zeros(16), 16).shape == (1, 16)
    with pytest.raises(ValueError, match=r"shape \(4, 14\); expected \[k >= 1, 16\]"):
        check_chunk(np.zeros((4, 14)), 16)
    with pytest.raises(ValueError, match="NaN"):
        check_chunk(np.full((2, 16), np.nan), 16)
    with pytest.raises(ValueError, match="non-numeric"):
        check_chunk("left", 16)


def test_agent_registry_and_plugins():
    with pytest.raises(UnknownAgentError, match="valid: expert, motus, random, remote, replay"):
        resolve_agent_class("dreamer")
    with pytest.raises(UnknownAgentError, match="cannot import module"):
        resolve_agent_class("no_such_pkg.mod:Agent")
    with pytest.raises(UnknownAgentError, match="has no attribute 'Missing'"):
        resolve_agent_class("tests.evaluation.faulty_agents:Missing")
    agent = make_agent("tests.evaluation.faulty_agents:NanAgent", actions_root="/nonexistent")
    with pytest.raises(AgentError, match="no verified expert actions"):
        agent.reset(task="click_bell", instruction="", seed=1, domain="clean")


def test_random_agent_is_seeded_and_within_the_real_arm_ranges():
    aloha = load_embodiment("aloha_agilex")
    low, high = aloha.action_limits(description=True)
    agent = RandomAgent(chunk_size=8)
    agent.reset(task="click_bell", instruction="", seed=7)  # the default robot
    first = agent.act({})
    agent.reset(task="click_bell", instruction="", seed=7)
    np.testing.assert_array_equal(agent.act({}), first)
    assert first.shape == (8, 14) and (first >= low).all() and (first <= high).all()
    assert (high[:6] < aloha.action_limits()[1][:6]).any()  # narrower than the simulator's +-10 rad
    agent.reset(task="click_bell", instruction="", seed=7, embodiment="dual_panda")
    assert agent.act({}).shape == (8, 16)


def test_replay_agent_reads_the_motus_layout(tmp_path):
    folder = tmp_path / "clean" / "click_bell"
    (folder / "qpos").mkdir(parents=True)
    qpos = torch.arange(5 * 16, dtype=torch.float32).reshape(5, 16)
    torch.save(qpos, folder / "qpos" / "1.pt")
    (folder / "seeds.json").write_text(json.dumps([100003, 100007]))
    agent = make_agent("replay", dataset=str(tmp_path), chunk_size=3)
    agent.reset(task="click_bell", instruction="", seed=100007, domain="clean")
    np.testing.assert_array_equal(agent.act({}), qpos[1:4].numpy())
    np.testing.assert_array_equal(agent.act({}), qpos[4:5].numpy())
    with pytest.raises(AgentError, match="no more actions"):
        agent.act({})
    with pytest.raises(AgentError, match="no episode for seed 5"):
        agent.reset(task="click_bell", instruction="", seed=5, domain="clean")


def test_ray_launcher_without_ray_says_how_to_install(monkeypatch, capsys):
    from evaluation.running.cli import main as motus_eval

    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # as if the optional extra were not installed
    assert motus_eval(["--tasks", "click_bell", "--seeds", "1", "--launcher", "ray", "--run-id", "x"]) == 2
    assert "pip install 'motus-harness[ray]'" in capsys.readouterr().err


def test_outcomes_say_whose_failure_it_was(env_factory, monkeypatch):
    from agents import AgentUnavailable
    from agents.random_agent import RandomAgent
    from evaluation.running.episode import EpisodeSpec, policy_outcome, run_episode

    assert policy_outcome(AgentUnavailable("policy server ws://x is unreachable")) == "infra_error"
    assert policy_outcome(MemoryError()) == "infra_error"
    assert policy_outcome(torch.cuda.OutOfMemoryError("CUDA out of memory")) == "infra_error"
    assert policy_outcome(RuntimeError("policy exploded")) == "policy_error"

    env = env_factory("click_bell", embodiment="dual_panda")
    spec = EpisodeSpec("click_bell", "clean", 100000, 0)

    def physx_failure(action):
        raise RuntimeError("PhysX: invalid contact buffer")

    monkeypatch.setattr(env, "apply_action", physx_failure)
    record = run_episode(env, RandomAgent(), spec, "dual_panda")
    assert record["outcome"] == "infra_error" and record["error"].startswith("simulator error: RuntimeError")

    class Unreachable(RandomAgent):
        def act(self, obs):
            raise AgentUnavailable("policy server ws://127.0.0.1:1 is unreachable after 4 attempts")

    monkeypatch.undo()
    record = run_episode(env, Unreachable(), spec, "dual_panda")
    assert record["outcome"] == "infra_error" and "unreachable" in record["error"]
    assert record["failed_conditions"] is None


@pytest.fixture(scope="module")
def width_checkpoints(tmp_path_factory) -> dict[str, str]:
    """Untrained checkpoints of motus_tiny (dual_panda's 16-D actions) and motus_tiny_aloha (aloha_agilex's 14)."""
    from motus.checkpoint import save_checkpoint
    from motus.config import load_config
    from motus.model import Motus

    folders = {}
    for name in ("motus_tiny", "motus_tiny_aloha"):
        torch.manual_seed(0)
        model = Motus.build(load_config(name))
        folders[name] = str(tmp_path_factory.mktemp(name) / "ckpt")
        save_checkpoint(model, model.config, folders[name])
    return folders


def test_a_checkpoint_of_another_width_starts_nothing(width_checkpoints, tmp_path, capsys):
    from evaluation.running.cli import main as motus_eval

    checkpoint = width_checkpoints["motus_tiny"]
    args = ["--agent", "motus", "--checkpoint", checkpoint, "embodiment=aloha_agilex", "--tasks", "click_bell"]
    assert motus_eval([*args, "--seeds", "1", "--run-id", "never", "--out", str(tmp_path)]) == 2
    assert (
        f"checkpoint {checkpoint} (model config motus_tiny) has action_dim 16 but embodiment aloha_agilex takes 14-D "
        "actions [left 6 joints, left gripper, right 6 joints, right gripper] (16-D actions are dual_panda's "
        "[left 7 joints, left gripper, right 7 joints, right gripper])"
    ) in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_a_checkpoint_is_evaluated_only_on_an_embodiment_of_its_width(width_checkpoints, tmp_path):
    from evaluation.running.agent_inputs import agent_arguments
    from evaluation.running.cli import load_eval_config, parse_args
    from evaluation.running.errors import EvalConfigError
    from evaluation.running.protocol import ExpertActionCache

    def arguments(model: str, embodiment: str) -> dict:
        cfg = load_eval_config(parse_args(["--checkpoint", width_checkpoints[model], f"embodiment={embodiment}"]))
        return agent_arguments(cfg, "motus", ExpertActionCache(tmp_path))

    assert arguments("motus_tiny_aloha", "aloha_agilex")["checkpoint"] == width_checkpoints["motus_tiny_aloha"]
    assert arguments("motus_tiny", "dual_panda")["checkpoint"] == width_checkpoints["motus_tiny"]
    with pytest.raises(
        EvalConfigError,
        match=r"has action_dim 14 but embodiment dual_panda takes 16-D actions .*"
        r"14-D actions are aloha_agilex's \[left 6 joints",
    ):
        arguments("motus_tiny_aloha", "dual_panda")


def test_cameras_are_rendered_only_for_agents_that_look(env_factory):
    """An agent that acts on joints alone (``uses_images = False``: expert, replay, random) gets no rendered images,
    and the episode spends no time rendering; any other agent sees all three cameras at every chunk."""
    from agents.random_agent import RandomAgent
    from conventions import CAMERA_NAMES
    from evaluation.running.episode import EpisodeSpec, run_episode

    class Looking(RandomAgent):
        uses_images = True

        def __init__(self):
            super().__init__(chunk_size=8)
            self.seen: list[set[str]] = []

        def act(self, obs):
            self.seen.append(set(obs["images"]))
            if len(self.seen) == 3:
                raise RuntimeError("three chunks are enough")  # ends the episode as a policy error
            return super().act(obs)

    class Blind(Looking):
        uses_images = False

    env = env_factory("click_bell", embodiment="dual_panda")
    spec = EpisodeSpec("click_bell", "clean", 100000, 0)
    looking, blind = Looking(), Blind()
    looked = run_episode(env, looking, spec, "dual_panda")
    assert looking.seen == [set(CAMERA_NAMES)] * 3 and looked["render_s"] > 0
    unseen = run_episode(env, blind, spec, "dual_panda")
    assert blind.seen == [set()] * 3 and unseen["render_s"] == 0.0


def test_a_run_resumes_after_the_harness_gained_an_agent_argument_left_at_its_default():
    from evaluation.running.resume import same_setting

    stored = {"checkpoint": "ckpt", "num_steps": None}
    assert same_setting("agent_kwargs", stored, {**stored, "sample_shift": None})
    assert not same_setting("agent_kwargs", stored, {**stored, "sample_shift": 1.0})  # another grid: another run
    assert not same_setting("agent_kwargs", stored, {"checkpoint": "ckpt"})  # an argument gone
    assert not same_setting("seeds", 10, 20)
