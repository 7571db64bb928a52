"""motus-serve and RemoteAgent: same actions as in process, batching, token, size limit, fuzzed input, dead servers."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import msgpack
import numpy as np
import pytest

from agents import AgentError
from agents.action_space import ActionWidthError
from agents.motus_agent import MotusAgent
from agents.server import PolicyServer
from agents.server import main as motus_serve
from envs.embodiment import load_embodiment
from evaluation.running.agent_inputs import agent_arguments
from evaluation.running.cli import load_eval_config, parse_args
from evaluation.running.errors import EvalConfigError
from evaluation.running.protocol import ExpertActionCache
from motus.mot import mot_layer
from motus_client.remote import RemoteAgent
from motus_client.wire import pack, unpack
from tests.agents.serving import TimedAgent, observation, start_server, tiny_checkpoint_in


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    return tiny_checkpoint_in(tmp_path_factory.mktemp("served") / "ckpt", "motus_tiny")


@pytest.fixture(scope="module")
def motus_server(tiny_checkpoint):
    server = PolicyServer("motus", {"checkpoint": str(tiny_checkpoint), "device": "cpu"}, max_batch=8, max_wait_ms=50)
    return start_server(server)


def local_chunks(checkpoint: Path, instruction: str, seed: int, observations: list[dict]) -> list[np.ndarray]:
    agent = MotusAgent(str(checkpoint), device="cpu")
    agent.reset(task="click_bell", instruction=instruction, seed=seed)
    return [agent.act(obs) for obs in observations]


def test_served_actions_equal_in_process_actions(motus_server, tiny_checkpoint):
    observations = [observation(1), observation(2)]
    remote = RemoteAgent(motus_server)
    remote.reset(task="click_bell", instruction="press the bell", seed=100000, domain="clean")
    served = [remote.act(obs) for obs in observations]
    local = local_chunks(tiny_checkpoint, "press the bell", 100000, observations)
    for a, b in zip(served, local, strict=True):
        assert a.shape == (16, 16) and np.abs(a).max() > 1e-3
        np.testing.assert_array_equal(a, b)
    assert remote.metadata["model"]["config"] == "motus_tiny"


def test_batched_clients_get_their_own_answers(motus_server, tiny_checkpoint):
    clients = [(f"task number {i}", 100000 + i, observation(10 + i)) for i in range(4)]
    barrier = threading.Barrier(len(clients))
    answers: dict[int, tuple[np.ndarray, dict]] = {}

    def client(index: int) -> None:
        instruction, seed, obs = clients[index]
        remote = RemoteAgent(motus_server)
        remote.reset(task="click_bell", instruction=instruction, seed=seed)
        barrier.wait()
        answers[index] = (remote.act(obs), remote.last_timing)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert max(timing["batch_size"] for _, timing in answers.values()) > 1  # they did share a model call
    for index, (instruction, seed, obs) in enumerate(clients):
        (expected,) = local_chunks(tiny_checkpoint, instruction, seed, [obs])
        np.testing.assert_allclose(answers[index][0], expected, rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def guarded_server():
    """A random-policy server that needs a token and accepts messages of at most 100 kB."""
    server = PolicyServer("random", {}, token="s3cret", max_wait_ms=1)
    return start_server(server, max_bytes=100_000)


@pytest.mark.parametrize("parallel_calls", [1, 2])
def test_model_calls_run_at_once_when_the_agent_takes_them(parallel_calls):
    """Two clients' requests, one call each (max batch 1): a second call starts before the first ends only when the
    agent says it takes two at once (a model on a CPU: one per core), and never otherwise."""
    TimedAgent.calls.clear()
    options = {"seconds": 0.5, "parallel_calls": parallel_calls}
    server = start_server(PolicyServer("tests.agents.serving:TimedAgent", options, max_batch=1, max_wait_ms=0))
    assert RemoteAgent(server).probe()["parallel_calls"] == parallel_calls
    barrier = threading.Barrier(2)

    def client() -> None:
        remote = RemoteAgent(server, retries=0)
        remote.reset(task="click_bell", instruction="x", seed=1)
        barrier.wait()
        remote.act({**observation(0, action_dim=14), "images": {}})

    threads = [threading.Thread(target=client) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = sorted(TimedAgent.calls)
    assert (second[0] < first[1]) == (parallel_calls == 2)


@pytest.mark.parametrize(("parallel_calls", "idle_clients", "waits"), [(2, 1, False), (1, 1, True), (1, 0, False)])
def test_a_request_waits_for_company_only_in_the_last_free_lane_and_while_others_could_send(
    parallel_calls, idle_clients, waits
):
    """A request starts at once while another lane stays free, or when no other client could send one to batch
    with; in the last free lane, with an idle client connected, it waits up to the max wait for company."""
    options = {"seconds": 0.0, "parallel_calls": parallel_calls}
    server = start_server(PolicyServer("tests.agents.serving:TimedAgent", options, max_batch=2, max_wait_ms=1000))
    idle = [RemoteAgent(server, retries=0) for _ in range(idle_clients)]
    for client in idle:
        client.reset(task="click_bell", instruction="x", seed=2)  # connected, then silent
    remote = RemoteAgent(server, retries=0)
    remote.reset(task="click_bell", instruction="x", seed=1)
    remote.act({**observation(0, action_dim=14), "images": {}})
    assert (remote.last_timing["queue_ms"] > 900) == waits


def test_token_is_enforced(guarded_server):
    with pytest.raises(AgentError, match="HTTP 401"):
        RemoteAgent(guarded_server, retries=0).probe()
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(guarded_server.replace("ws://", "http://") + "/health", timeout=10)
    request = urllib.request.Request(
        guarded_server.replace("ws://", "http://") + "/health", headers={"Authorization": "Bearer s3cret"}
    )
    assert b'"ok": true' in urllib.request.urlopen(request, timeout=10).read()
    assert RemoteAgent(guarded_server, token="s3cret").probe()["agent"] == "random"


def test_oversized_messages_are_refused_and_the_server_goes_on(guarded_server):
    remote = RemoteAgent(guarded_server, token="s3cret", retries=1)
    remote.reset(task="click_bell", instruction="x", seed=1)
    with pytest.raises(AgentError, match="unreachable"):
        remote.act(observation(0))  # three 240x320 images are ~690 kB > 100 kB: the connection is closed
    assert RemoteAgent(guarded_server, token="s3cret").probe()["type"] == "metadata"


def random_structure(rng: random.Random, depth: int = 0):
    choices = ["int", "str", "bytes", "float", "none", "list", "map", "array"]
    kind = rng.choice(choices if depth < 3 else choices[:5])
    if kind == "int":
        return rng.randint(-(2**40), 2**40)
    if kind == "str":
        return rng.choice(["reset", "infer", "health", "type", "obs", "images", "__ndarray__", "x" * rng.randint(0, 9)])
    if kind == "bytes":
        return rng.randbytes(rng.randint(0, 32))
    if kind == "float":
        return rng.uniform(-1e9, 1e9)
    if kind == "none":
        return None
    if kind == "list":
        return [random_structure(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "array":
        return {
            "__ndarray__": True,
            "dtype": rng.choice(["<f4", "|O", "<f8", "object", 3]),
            "shape": rng.choice([[2, 2], [-1], "x", [10**12]]),
            "data": rng.randbytes(rng.randint(0, 40)),
        }
    keys = ["type", "obs", "images", "qpos", "task", "instruction", "seed", "chunk_index", "context"]
    return {rng.choice(keys): random_structure(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def test_fuzzed_input_gets_error_replies_and_the_server_keeps_serving(motus_server):
    from websockets.sync.client import connect

    rng = random.Random(1234)
    with connect(motus_server) as connection:
        assert unpack(connection.recv(timeout=30))["type"] == "metadata"
        for _ in range(150):
            connection.send(rng.randbytes(rng.randint(0, 200)))
            assert unpack(connection.recv(timeout=30))["type"] == "error"
        for _ in range(150):
            connection.send(msgpack.packb(random_structure(rng), use_bin_type=True))
            assert unpack(connection.recv(timeout=30))["type"] in ("error", "health")
        connection.send("text, not msgpack")
        assert unpack(connection.recv(timeout=30))["type"] == "error"
        connection.send(pack({"type": "infer", "chunk_index": 0, "obs": {"images": {}, "qpos": np.zeros(16)}}))
        assert "lacks 'head'" in unpack(connection.recv(timeout=30))["error"]
        connection.send(pack({"type": "health"}))
        assert unpack(connection.recv(timeout=30))["ok"] is True


def test_serve_refuses_public_binding_without_a_token():
    out = subprocess.run(
        [str(Path(sys.executable).parent / "motus-serve"), "--agent", "random", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "give --token" in out.stderr


def test_a_gone_server_is_a_clear_agent_error():
    remote = RemoteAgent("ws://127.0.0.1:9", retries=1)  # nothing listens on the discard port
    with pytest.raises(AgentError, match="unreachable after 2 attempts"):
        remote.reset(task="click_bell", instruction="x", seed=1)


def test_compiled_motus_agent_gives_the_eager_actions(tiny_checkpoint):
    """`compile=True` (one torch.compile graph for every MoT layer) changes speed, not answers."""
    observations = [observation(3), observation(4)]
    eager = local_chunks(tiny_checkpoint, "press the bell", 100001, observations)
    agent = MotusAgent(str(tiny_checkpoint), device="cpu", compile=True)
    agent.reset(task="click_bell", instruction="press the bell", seed=100001)
    compiled = [agent.act(obs) for obs in observations]
    for a, b in zip(compiled, eager, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert agent.policy.identity["compile"] == "layers"
    assert agent.policy.runtime.model.layer_fn is not mot_layer  # the compiled function ran


def test_a_whole_step_compiled_batch_is_padded_and_answers_as_eager(tiny_checkpoint):
    """`compile=step` (one graph per network evaluation): a batch of 3 runs as 4 (one graph per power of two) and
    every episode gets the chunk it gets alone and eager."""
    seeds, observations = [100001, 100002, 100003], [observation(3), observation(4), observation(5)]
    eager = [
        local_chunks(tiny_checkpoint, "press the bell", s, [o])[0] for s, o in zip(seeds, observations, strict=True)
    ]
    prototype = MotusAgent(str(tiny_checkpoint), device="cpu", compile="step")
    runtime = prototype.policy.runtime
    calls = []
    sample = runtime.model.sample
    runtime.model.sample = lambda latent, *args, **kwargs: (
        calls.append(latent.shape[0]) or sample(latent, *args, **kwargs)
    )
    agents = [prototype.fork() for _ in seeds]
    for agent, seed in zip(agents, seeds, strict=True):
        agent.reset(task="click_bell", instruction="press the bell", seed=seed)
    batched = MotusAgent.act_batch(agents, observations)
    assert calls == [4] and len(batched) == 3
    for a, b in zip(batched, eager, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert prototype.policy.identity["compile"] == "step" and runtime.model.network_fn is not None
    with pytest.raises(ValueError, match="compile=cudagraphs needs the model on a CUDA device"):
        MotusAgent(str(tiny_checkpoint), device="cpu", compile="cudagraphs")
    with pytest.raises(ValueError, match="unknown compile scope 'fast'; valid: layers, step, cudagraphs"):
        MotusAgent(str(tiny_checkpoint), device="cpu", compile="fast")


ALOHA_LAYOUT = r"14-D actions \[left 6 joints, left gripper, right 6 joints, right gripper\]"
PANDA_LAYOUT = r"16-D actions are dual_panda's \[left 7 joints, left gripper, right 7 joints, right gripper\]"


@pytest.fixture(scope="module")
def aloha_checkpoint(tmp_path_factory):
    return tiny_checkpoint_in(tmp_path_factory.mktemp("served-aloha") / "ckpt", "motus_tiny_aloha", inputs_matter=False)


def test_the_served_width_is_the_models_or_the_embodiments(tiny_checkpoint, aloha_checkpoint):
    def served(agent: str, **kwargs) -> tuple[int, str | None]:
        embodiment = kwargs.pop("embodiment", None)
        metadata = PolicyServer(agent, kwargs, embodiment=embodiment).metadata
        return metadata["action_dim"], metadata["embodiment"]

    assert served("random") == (14, None)  # no model, no embodiment named: the default robot's width
    assert served("random", embodiment="dual_panda") == (16, "dual_panda")
    assert served("motus", checkpoint=str(aloha_checkpoint), device="cpu") == (14, None)  # the model's own
    assert served("motus", checkpoint=str(tiny_checkpoint), device="cpu", embodiment="dual_panda") == (16, "dual_panda")
    with pytest.raises(
        ActionWidthError,
        match=rf"model config motus_tiny\) has action_dim 16 but embodiment "
        rf"aloha_agilex takes {ALOHA_LAYOUT} \({PANDA_LAYOUT}\)",
    ):
        PolicyServer("motus", {"checkpoint": str(tiny_checkpoint), "device": "cpu"}, embodiment="aloha_agilex")


def test_serve_refuses_a_model_of_another_width_and_unknown_embodiments(tiny_checkpoint, capsys):
    assert motus_serve(["--checkpoint", str(tiny_checkpoint), "--embodiment", "aloha_agilex", "device=cpu"]) == 2
    assert "has action_dim 16 but embodiment aloha_agilex takes 14-D actions" in capsys.readouterr().err
    assert motus_serve(["--agent", "random", "--embodiment", "moon"]) == 2
    assert "unknown embodiment 'moon'; valid choices: aloha_agilex, dual_panda" in capsys.readouterr().err


def test_a_served_agent_acts_for_the_served_embodiment(tmp_path):
    server = start_server(PolicyServer("random", {}, embodiment="aloha_agilex", max_wait_ms=1))
    low, high = load_embodiment("aloha_agilex").action_limits()
    remote = RemoteAgent(server, retries=0)
    remote.reset(task="click_bell", instruction="x", seed=1)  # no embodiment in the context: the server's
    chunk = remote.act(observation(0, action_dim=14))
    assert chunk.shape == (16, 14) and (chunk >= low).all() and (chunk <= high).all()
    with pytest.raises(AgentError, match=r"qpos must be float \[14\]"):
        remote.act(observation(0, action_dim=16))

    def evaluate(embodiment: str) -> dict:
        cfg = load_eval_config(parse_args(["--server", server, f"embodiment={embodiment}"]))
        return agent_arguments(cfg, "remote", ExpertActionCache(tmp_path))

    assert evaluate("aloha_agilex")["server"] == server
    with pytest.raises(
        EvalConfigError,
        match=rf"policy server {server} \(agent random\) has action_dim 14 but "
        r"embodiment dual_panda takes 16-D actions \[left 7 joints",
    ):
        evaluate("dual_panda")


def test_a_served_agent_that_acts_on_joints_alone_is_sent_no_images(motus_server):
    """The server says whether its agent looks: clients of a blind one (random, expert, replay) render and send no
    camera, while a model that looks refuses an observation without its images."""
    blind = RemoteAgent(start_server(PolicyServer("random", {}, max_wait_ms=1)), retries=0)
    assert blind.uses_images is False  # known before the first episode: the runner decides what to render on it
    blind.reset(task="click_bell", instruction="x", seed=1)
    assert blind.act({**observation(0, action_dim=14), "images": {}}).shape == (16, 14)  # the default robot's width
    joints_only = {**observation(0), "images": {}}
    looking = RemoteAgent(motus_server, retries=0)
    assert looking.uses_images is True
    looking.reset(task="click_bell", instruction="press the bell", seed=1)
    with pytest.raises(AgentError, match="infer.obs.images request lacks 'head'"):
        looking.act(joints_only)


def test_model_calls_in_two_threads_at_once_answer_as_one_at_a_time(tiny_checkpoint):
    """A policy server's parallel calls share one loaded model: calls running at once (over and over, so that they
    overlap everywhere) must give each episode the chunk it gets alone."""
    first = MotusAgent(str(tiny_checkpoint), device="cpu")
    agents = [first, first.fork()]
    observations = [observation(20), observation(21)]

    def reset() -> None:
        for index, agent in enumerate(agents):
            agent.reset(task="click_bell", instruction=f"press bell {index}", seed=100000 + index)

    reset()
    alone = [agent.act(obs) for agent, obs in zip(agents, observations, strict=True)]
    for _ in range(6):
        reset()
        together: dict[int, np.ndarray] = {}
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=act_after, args=(barrier, agents[index], observations[index], together, index))
            for index in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for index in range(2):
            np.testing.assert_array_equal(together[index], alone[index])


def act_after(barrier: threading.Barrier, agent, obs: dict, answers: dict, key: int) -> None:
    barrier.wait()
    answers[key] = agent.act(obs)
