"""Scale-out: the Ray launcher gives the local pool's ledger and survives a dying actor; evaluation against a served
policy records the server's identity and survives the server disappearing; shared policy processes serve the workers,
a dying one stops the run without losing episodes, none outlives a killed run, and the workers build their first
scenes while the policy loads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluation.ledger import read_episodes
from evaluation.running.cli import main as motus_eval
from evaluation.running.dispatch import warm_workers
from evaluation.running.handlers import evaluation_worker_config
from workers.pool import WorkerPool
from workers.runner import WorkItem

TASKS = "click_bell,lift_pot"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, protocol):
    folder = tmp_path_factory.mktemp("scale")
    folder.joinpath("protocol.args").write_text("\n".join(protocol.overrides()))
    yield folder
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


def eval_args(workspace: Path, run_id: str, *args: str) -> list[str]:
    return [
        "--tasks",
        TASKS,
        "--seeds",
        "2",
        "--workers",
        "2",
        "--run-id",
        run_id,
        "--out",
        str(workspace / "results"),
        *workspace.joinpath("protocol.args").read_text().split("\n"),
        *args,
    ]


def run(workspace: Path, run_id: str, *args: str) -> list[dict]:
    assert motus_eval(eval_args(workspace, run_id, *args)) == 0
    return read_episodes(workspace / "results" / run_id / "episodes.jsonl")


def outcome(episodes: list[dict]) -> set[tuple]:
    return {(e["task"], e["seed"], e["episode"], e["success"], e["steps"], e["instruction"]) for e in episodes}


def test_ray_ledger_equals_the_local_pool_ledger(workspace):
    pytest.importorskip("ray")
    local = run(workspace, "local")
    on_ray = run(workspace, "ray", "--launcher", "ray")
    assert len(on_ray) == 4 and outcome(on_ray) == outcome(local)
    assert json.loads((workspace / "results" / "ray" / "run.json").read_text())["launcher"] == "ray"


def test_a_dying_ray_actor_loses_no_episode(workspace, protocol):
    pytest.importorskip("ray")
    markers = workspace / "markers"
    markers.mkdir()
    episodes = run(
        workspace,
        "ray-dying",
        "--launcher",
        "ray",
        "--agent",
        "tests.evaluation.die_once_agent:DieOnceAgent",
        f"+plugin.actions_root={protocol.actions_root}",
        f"+plugin.marker_dir={markers}",
        f"+plugin.bad_seed={protocol.seeds('click_bell')[1]}",
    )
    assert len(episodes) == 4 and len({(e["task"], e["seed"]) for e in episodes}) == 4
    assert all(e["success"] for e in episodes)
    bad = protocol.seeds("click_bell")[1]
    died = sum(bad in protocol.seeds(task)[:2] for task in TASKS.split(","))  # the seed number may recur in a task
    assert sorted(e["attempt"] for e in episodes) == [0] * (4 - died) + [1] * died  # ran again on a new actor
    assert len(list(markers.iterdir())) == died


def serve(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [str(BIN / "motus-serve"), "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    for line in process.stdout:
        if match := re.search(r"ws://\S+", line):
            return process, match.group(0)
    raise AssertionError("motus-serve did not start")


def test_evaluation_against_a_served_policy(workspace, protocol):
    server, address = serve("--agent", "expert", f"actions_root={protocol.actions_root}")
    try:
        episodes = run(workspace, "served", "--server", address)
    finally:
        server.kill()
    assert len(episodes) == 4 and all(e["success"] and e["agent"] == "remote" for e in episodes)
    meta = json.loads((workspace / "results" / "served" / "run.json").read_text())
    assert meta["server"]["server"] == address and meta["server"]["agent"] == "expert"


@pytest.mark.slow  # ~35 s; the default run covers an unreachable policy becoming infra errors with the dying process
def test_a_server_that_disappears_fails_episodes_not_the_run(workspace):
    server, address = serve("--agent", "random")
    out = workspace / "results"
    ledger = out / "gone" / "episodes.jsonl"
    evaluation = subprocess.Popen(
        [str(BIN / "motus-eval"), *eval_args(workspace, "gone", "--server", address)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not ledger.is_file() and time.monotonic() < deadline and evaluation.poll() is None:
        time.sleep(0.05)
    server.kill()
    stdout, stderr = evaluation.communicate(timeout=600)
    assert evaluation.returncode == 3, stderr  # finished, incomplete: the unreachable server is not the policy's fault
    episodes = read_episodes(ledger)
    assert len(episodes) == 4
    failed = [e for e in episodes if e["error"]]
    assert failed and all("unreachable" in e["error"] and e["outcome"] == "infra_error" for e in failed)
    assert "INCOMPLETE" in stdout


def served_by(record_dir: Path) -> dict[int, int]:
    """Episodes per process that served them (PidRecordingAgent's files)."""
    counts: dict[int, int] = {}
    for marker in record_dir.iterdir():
        pid = int(marker.name.split("-")[0])
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by whoever adopted it counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_workers_share_one_policy_process_per_device(workspace, protocol):
    """Two "devices" (two CPU processes) for two workers: each worker talks to its own policy process, the agent runs
    there and never in a worker, the expert's episodes all succeed without a rendered camera (the served agent acts
    on joints alone), and the processes are gone when the run ends."""
    records = workspace / "pids-shared"
    records.mkdir()
    episodes = run(
        workspace,
        "policy-shared",
        "--agent",
        "tests.evaluation.recording_agent:PidRecordingAgent",
        f"+plugin.actions_root={protocol.actions_root}",
        f"+plugin.record_dir={records}",
        "--policy-process",
        "shared",
        "--policy-devices",
        "cpu,cpu",
    )
    assert len(episodes) == 4 and all(e["success"] and e["error"] is None for e in episodes)
    assert all(e["render_s"] == 0 for e in episodes)  # the served expert looks at no camera: none was rendered
    served = served_by(records)
    assert sum(served.values()) == 4 and len(served) == 2  # both processes served (worker i -> process i mod 2)
    programs = {marker.read_text() for marker in records.iterdir()}
    assert programs == {str(Path(__file__).resolve().parents[2] / "agents" / "server.py")}  # never in a worker
    assert not any(alive(pid) for pid in served)
    run_dir = workspace / "results" / "policy-shared"
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["policy_process"] == {"mode": "shared", "devices": ["cpu", "cpu"], "max_batch": 1, "max_wait_ms": 5.0}
    logs = sorted(p.name for p in (run_dir / "policy").iterdir())
    assert logs == ["policy-0.log", "policy-1.log"]  # the ready files are removed with the processes
    assert (
        "motus-serve: tests.evaluation.recording_agent:PidRecordingAgent on ws://127.0.0.1:"
        in (run_dir / "policy" / "policy-0.log").read_text()
    )


def test_a_dying_policy_process_stops_the_run_and_resume_finishes_it(workspace, protocol, capsys):
    markers = workspace / "policy-markers"
    markers.mkdir()
    bad = protocol.seeds("click_bell")[1]
    args = eval_args(
        workspace,
        "policy-dies",
        "--agent",
        "tests.evaluation.die_once_agent:DieOnceAgent",
        f"+plugin.actions_root={protocol.actions_root}",
        f"+plugin.marker_dir={markers}",
        f"+plugin.bad_seed={bad}",
        "--policy-process",
        "shared",
        "--tasks",
        "click_bell",  # one task: the seed number may recur in another, which would die on resume
    )
    assert motus_eval(args) == 1
    err = capsys.readouterr().err
    log = workspace / "results" / "policy-dies" / "policy" / "policy-0.log"
    assert f"the policy process on cpu died during the run (exit code 1); its log is {log}" in err
    ledger = workspace / "results" / "policy-dies" / "episodes.jsonl"
    before = read_episodes(ledger)
    # the episode it was serving is an infrastructure error, or unrecorded when another worker's result stopped the
    # run first: either way it is not scored, and the resume runs it again
    assert all(e["outcome"] == "infra_error" for e in before if e["seed"] == bad)
    assert motus_eval(["--resume", "policy-dies", "--out", str(workspace / "results")]) == 0
    meta = json.loads((workspace / "results" / "policy-dies" / "run.json").read_text())
    assert meta["policy_process"]["mode"] == "shared"  # the resumed part ran as the run started
    from evaluation.reporting.results import load_run

    latest = load_run(ledger.parent).episodes
    assert len(latest) == 2 and all(e["outcome"] == "success" for e in latest)


def test_a_policy_process_outlives_no_killed_parent(tmp_path, protocol):
    """motus-serve --watch-parent: a motus-eval killed with SIGKILL leaves no model loaded behind."""
    ready = tmp_path / "ready.json"
    launcher = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([{str(BIN / 'motus-serve')!r}, '--agent', 'random', '--port', '0', '--ready-file', "
        f"{str(ready)!r}, '--watch-parent'])\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", launcher])
    deadline = time.monotonic() + 120
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    server = json.loads(ready.read_text())["pid"]
    assert alive(server)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 15
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(server)


def test_workers_build_their_first_scenes_while_the_policy_loads(protocol):
    """Before the policy serves, each worker builds and resets the scene of one of the first episodes (one per
    worker, in the plan's order), and its supervisor knows it holds that scene, so the episode goes to it. The
    warm-up renders only when the episodes will (not for the random agent)."""
    items = [
        WorkItem(index, "episode", task, "clean", seed, index)
        for index, (task, seed) in enumerate(
            [("lift_pot", protocol.seeds("lift_pot")[0]), ("click_bell", protocol.seeds("click_bell")[0])]
            + [("click_bell", seed) for seed in protocol.seeds("click_bell")[1:]]
        )
    ]
    with WorkerPool(evaluation_worker_config(agent="random", warm_images=False), 2, timeout_s=120) as pool:
        warmed = warm_workers(pool, items)
        assert sorted(item.task for item, _ in warmed) == ["click_bell", "lift_pot"]
        assert all(item.kind == "warm" and "fatal" not in result for item, result in warmed)
        assert not any(result["rendered"] for _, result in warmed)  # its episodes render no camera: nor does this
        assert len({result["worker_pid"] for _, result in warmed}) == 2  # one scene per worker
        held = sorted(tuple(slot.environments) for slot in pool.slots)
        assert held == [(("click_bell", "clean"),), (("lift_pot", "clean"),)]
