"""``motus-serve``: any agent behind a WebSocket + msgpack policy server that batches requests from many clients.

Protocols: ours by default, or RoboTwin's XPolicyLab with ``--protocol xpolicylab`` (``agents/xpolicylab.py``: so
that RoboTwin's own evaluator calls any agent here; the batching, limits and token below apply to both).

Our protocol (``motus_client/wire.py`` for the encoding): on connect the server sends ``metadata`` (action dim,
embodiment, chunk size, camera names, image size, whether the agent uses images, model identity); a client sends
``reset`` (task, instruction, seed, context) and then ``infer`` (the observation and the chunk index; no images for an
agent that uses none) and gets ``action`` (the chunk, with per-request timing); ``health`` works as a message and as
``GET /health``. Each connection is one episode stream with its own agent; agents made by ``fork`` share the loaded
model, and agents with a batched ``act_batch`` are called once per batch of up to ``--max-batch`` requests gathered
within ``--max-wait-ms``; an agent's ``parallel_calls`` (a model on a CPU: one per core) says how many such calls may
run at once, each in its own thread.

Action width: a served model's own (its config's ``action_dim``); ``--embodiment`` names the robot the clients drive,
so a model of another width is refused at start, and gives agents without a model (random, expert, replay) their
width and the ``embodiment`` of a reset whose context names none (otherwise the harness's default robot).

Security: binds 127.0.0.1 by default; any other address needs a token (``--token`` or ``MOTUS_SERVE_TOKEN``) that
clients send as ``Authorization: Bearer <token>`` or as ``?token=<token>`` in the URL; messages above
``--max-message-mb`` close that connection; a malformed request gets an error reply and the server goes on serving
everyone.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import yaml

from agents import make_agent
from agents.action_space import ActionWidthError, check_action_width
from agents.xpolicylab import XPolicyLabSession
from conventions import CAMERA_NAMES, TOKEN_ENV
from envs.embodiment import DEFAULT_EMBODIMENT, UnknownEmbodimentError, load_embodiment
from motus_client.wire import WireError, pack, unpack, validate_request

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PROTOCOLS = ("motus", "xpolicylab")  # ours (motus_client/wire.py), RoboTwin's XPolicyLab (agents/xpolicylab.py)
IMAGE_SHAPE = (240, 320, 3)


@dataclass
class Pending:
    agent: Any
    obs: dict
    chunk_index: int
    future: asyncio.Future
    received: float = field(default_factory=time.perf_counter)


class PolicyServer:
    def __init__(
        self,
        agent: str,
        agent_kwargs: dict[str, Any],
        *,
        max_batch: int = 8,
        max_wait_ms: float = 5.0,
        token: str | None = None,
        embodiment: str | None = None,
        protocol: str = "motus",
    ):
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; valid choices: {', '.join(PROTOCOLS)}")
        self.protocol = protocol
        self.spec, self.agent_kwargs = agent, agent_kwargs
        if embodiment is not None:
            load_embodiment(embodiment)  # an unknown name fails before a model loads
        self.embodiment = embodiment
        self.prototype = make_agent(agent, **agent_kwargs)  # load once (a model), before accepting anyone
        self.max_batch, self.max_wait = max(1, max_batch), max_wait_ms / 1000
        self.token = token
        # model calls that may run at once: what the agent says it can take (a model on a CPU: one per core), else 1
        self.lanes = max(1, int(getattr(self.prototype, "parallel_calls", 1)))
        self.executor = ThreadPoolExecutor(max_workers=self.lanes, thread_name_prefix="policy")
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.started = time.time()
        self.clients = 0
        self.served = 0
        self.answering = 0  # requests in a model call now
        policy = getattr(self.prototype, "policy", None)
        # An agent that acts on joints alone (expert, replay, random) needs no camera: its clients render none.
        self.uses_images = bool(getattr(self.prototype, "uses_images", True))
        self.metadata = {
            "type": "metadata",
            "agent": agent,
            "model": getattr(policy, "identity", {"agent": agent}),
            "action_dim": served_action_dim(self.prototype, agent, embodiment),
            "embodiment": embodiment,
            "chunk_size": int(getattr(policy, "execute", 0) or agent_kwargs.get("chunk_size", 16)),
            "cameras": list(CAMERA_NAMES),
            "image_size": list(IMAGE_SHAPE),
            "uses_images": self.uses_images,
            "max_batch": self.max_batch,
            "parallel_calls": self.lanes,
        }

    # ----- connection handling -----
    def authorised(self, request) -> bool:
        """The token as ``Authorization: Bearer <token>``, or as ``?token=<token>`` in the URL (for clients that set
        no headers, as RoboTwin's evaluator given ``policy_server_url``)."""
        if not self.token:
            return True
        header = request.headers.get("Authorization", "")
        in_url = parse_qs(urlsplit(request.path).query).get("token", [""])[0]
        return hmac.compare_digest(header, f"Bearer {self.token}") or hmac.compare_digest(in_url, self.token)

    def process_request(self, connection, request):
        if not self.authorised(request):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "missing or wrong token\n")
        if urlsplit(request.path).path == "/health":
            return connection.respond(HTTPStatus.OK, json.dumps(self.health()) + "\n")
        return None

    def health(self) -> dict[str, Any]:
        return {
            "type": "health",
            "ok": True,
            "clients": self.clients,
            "served": self.served,
            "uptime_s": round(time.time() - self.started, 1),
            "model": self.metadata["model"],
        }

    def new_agent(self):
        fork = getattr(self.prototype, "fork", None)
        return fork() if callable(fork) else make_agent(self.spec, **self.agent_kwargs)

    async def handle(self, connection) -> None:
        loop = asyncio.get_running_loop()
        agent = await loop.run_in_executor(None, self.new_agent)
        self.clients += 1
        try:
            if self.protocol == "xpolicylab":
                await XPolicyLabSession(self, agent).run(connection)
                return
            await connection.send(pack(self.metadata))
            async for payload in connection:
                reply = await self.answer(agent, payload)
                await connection.send(pack(reply))
        finally:
            self.clients -= 1

    async def answer(self, agent, payload) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            message = unpack(payload)
            cameras = CAMERA_NAMES if self.uses_images else ()
            kind = validate_request(message, self.metadata["action_dim"], IMAGE_SHAPE, cameras)
        except WireError as exc:
            return {"type": "error", "error": str(exc)}
        if kind == "health":
            return self.health()
        try:
            if kind == "reset":
                context = dict(message.get("context", {}))
                await self.reset_agent(agent, message["task"], message["instruction"], message["seed"], context)
                return {"type": "reset_ok", "timing": {"total_ms": 1000 * (time.perf_counter() - start)}}
            actions, timing = await self.infer(agent, message["obs"], message["chunk_index"])
        except Exception as exc:  # the agent failed on this request: tell this client, keep serving
            return {"type": "error", "error": f"{type(exc).__name__}: {exc}"}
        return {"type": "action", "actions": np.asarray(actions, dtype=np.float32), "timing": timing}

    async def reset_agent(self, agent, task: str, instruction: str, seed: int, context: dict[str, Any]) -> None:
        """Start an episode on ``agent`` (in the model's thread); the served embodiment when ``context`` names none."""
        if self.embodiment is not None:
            context.setdefault("embodiment", self.embodiment)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self.executor, lambda: agent.reset(task=task, instruction=instruction, seed=seed, **context)
        )

    async def infer(self, agent, obs: dict[str, Any], chunk_index: int) -> tuple[Any, dict[str, Any]]:
        """The next action chunk of ``agent`` for ``obs``, batched with other clients' requests; (actions, timing)."""
        pending = Pending(agent, obs, chunk_index, asyncio.get_running_loop().create_future())
        await self.queue.put(pending)
        actions, timing = await pending.future
        self.served += 1
        return actions, timing

    # ----- batching -----
    async def batcher(self) -> None:
        """Gathers a batch once a model call may start (up to ``lanes`` run at once), so requests that arrive while
        every lane is busy join one batch. A batch waits up to ``max_wait`` for more requests only when it takes the
        last free lane and some client could still send one (each connection has at most one request in flight):
        while another lane is free, or every client is already being answered, waiting leaves a core idle for nothing
        (on 2 cores, a batch of two on one thread took 66 ms, two calls at once 60 ms)."""
        loop = asyncio.get_running_loop()
        lanes = asyncio.Semaphore(self.lanes)
        calls: set[asyncio.Task] = set()
        while True:
            await lanes.acquire()
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():  # what is waiting already, even at 0 ms
                batch.append(self.queue.get_nowait())
            others_may_send = self.clients > self.answering + len(batch)
            deadline = loop.time() + (self.max_wait if lanes.locked() and others_may_send else 0.0)
            while len(batch) < self.max_batch and (remaining := deadline - loop.time()) > 0:
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), remaining))
                except TimeoutError:
                    break
            call = asyncio.create_task(self.call(batch, lanes))
            calls.add(call)  # the loop keeps only weak references to tasks
            call.add_done_callback(calls.discard)

    async def call(self, batch: list[Pending], lanes: asyncio.Semaphore) -> None:
        """One model call for ``batch`` in a free lane; each request's future gets its chunk or its error."""
        loop = asyncio.get_running_loop()
        self.answering += len(batch)
        try:
            started = time.perf_counter()
            outcomes = await loop.run_in_executor(self.executor, self.act, batch)
            infer_ms = 1000 * (time.perf_counter() - started)
        finally:
            self.answering -= len(batch)
            lanes.release()
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.future.done():
                continue
            if isinstance(outcome, Exception):
                pending.future.set_exception(outcome)
            else:
                queue_ms = 1000 * (started - pending.received)
                pending.future.set_result(
                    (outcome, {"queue_ms": queue_ms, "infer_ms": infer_ms, "batch_size": len(batch)})
                )

    @staticmethod
    def act(batch: list[Pending]) -> list[Any]:
        for pending in batch:
            if hasattr(pending.agent, "chunks"):
                pending.agent.chunks = pending.chunk_index  # seeds follow the client's chunk count
        agents, observations = [p.agent for p in batch], [p.obs for p in batch]
        batched = getattr(type(agents[0]), "act_batch", None)
        if batched is not None and all(type(a) is type(agents[0]) for a in agents):
            try:
                return list(batched(agents, observations))
            except Exception as exc:
                return [exc] * len(batch)
        outcomes: list[Any] = []
        for agent, obs in zip(agents, observations, strict=True):
            try:
                outcomes.append(agent.act(obs))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def serve(self, host: str, port: int, max_message_bytes: int, ready=None, watch_parent: bool = False) -> None:
        """Serve until cancelled; ``ready(port)`` once listening; with ``watch_parent``, stop when the process that
        started this one is gone (a policy process of a ``motus-eval`` run that was killed)."""
        from websockets.asyncio.server import serve

        parent = os.getppid()
        batcher = asyncio.create_task(self.batcher())
        async with serve(
            self.handle,
            host,
            port,
            process_request=self.process_request,
            max_size=max_message_bytes,
            compression=None,
        ) as server:
            bound = server.sockets[0].getsockname()[1]
            print(
                f"motus-serve: {self.spec} on ws://{host}:{bound} ({self.protocol} protocol, "
                f"max batch {self.max_batch}, max wait {1000 * self.max_wait:.0f} ms, "
                f"{self.lanes} model call(s) at once)",
                flush=True,
            )
            if ready is not None:
                ready(bound)
            watcher = asyncio.create_task(stop_when_orphaned(server, parent)) if watch_parent else None
            try:
                await server.serve_forever()
            finally:
                batcher.cancel()
                if watcher is not None:
                    watcher.cancel()


async def stop_when_orphaned(server, parent: int, every_s: float = 2.0) -> None:
    while os.getppid() == parent:
        await asyncio.sleep(every_s)
    print("motus-serve: the process that started this server is gone; stopping", flush=True)
    server.close()


def write_ready_file(path: str, port: int) -> None:
    """Say, atomically, that the server listens (and where): what a process waiting on it polls for."""
    temporary = f"{path}.tmp"
    with open(temporary, "w") as handle:
        json.dump({"port": port, "pid": os.getpid()}, handle)
    os.replace(temporary, path)


def model_config(agent: Any) -> Any:
    """The config of the model an agent holds (a Motus agent's ``policy.runtime.config``), None for agents without
    one."""
    policy = getattr(agent, "policy", None)
    return getattr(getattr(policy, "runtime", None), "config", None)


def served_action_dim(agent: Any, spec: str, embodiment: str | None) -> int:
    """The action width clients send (qpos) and receive: a model's own, refused when ``embodiment`` is named and
    takes another width; for agents without a model, the embodiment's (``DEFAULT_EMBODIMENT`` when none is named)."""
    config = model_config(agent)
    if config is None:
        return load_embodiment(embodiment or DEFAULT_EMBODIMENT).action_dim
    if embodiment is not None:
        check_action_width(f"served agent {spec!r} (model config {config.name})", config.action_dim, embodiment)
    return int(config.action_dim)


def parse_value(text: str) -> Any:
    return yaml.safe_load(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="motus-serve", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agent", default="motus", help="expert | random | replay | motus | package.module:Class")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--token", default=None, help=f"required when binding beyond localhost (or ${TOKEN_ENV})")
    parser.add_argument("--max-message-mb", type=float, default=16.0)
    parser.add_argument(
        "--embodiment",
        default=None,
        help="the robot the clients drive: a model of another action width is refused; agents without a model take "
        f"its width (default: a model's own width, {DEFAULT_EMBODIMENT} for agents without a model)",
    )
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="motus",
        help="motus: this harness's own (RemoteAgent, motus-eval --agent remote); xpolicylab: RoboTwin's "
        "XPolicyLab WebSocket protocol, for RoboTwin's scripts/eval_policy_xpolicylab.py",
    )
    parser.add_argument(
        "--ready-file", default=None, help="write {port, pid} as JSON to this file once listening (for launchers)"
    )
    parser.add_argument(
        "--watch-parent", action="store_true", help="stop when the process that started this server is gone"
    )
    parser.add_argument("options", nargs="*", help="agent keyword arguments as key=value (e.g. mode=joint)")
    args = parser.parse_args(argv)
    token = args.token or os.environ.get(TOKEN_ENV)
    if args.host not in LOCAL_HOSTS and not token:
        print(
            f"motus-serve: error: binding {args.host} exposes the policy beyond this machine; give --token or "
            f"set {TOKEN_ENV}",
            file=sys.stderr,
        )
        return 2
    kwargs: dict[str, Any] = {}
    for option in args.options:
        key, sep, value = option.partition("=")
        if not sep:
            print(f"motus-serve: error: option {option!r} is not key=value", file=sys.stderr)
            return 2
        kwargs[key] = parse_value(value)
    if args.checkpoint:
        kwargs["checkpoint"] = args.checkpoint
    try:
        server = PolicyServer(
            args.agent,
            kwargs,
            max_batch=args.max_batch,
            max_wait_ms=args.max_wait_ms,
            token=token,
            embodiment=args.embodiment,
            protocol=args.protocol,
        )
    except (ActionWidthError, UnknownEmbodimentError) as exc:
        print(f"motus-serve: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"motus-serve: error: cannot build agent {args.agent!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    try:
        ready = (lambda port: write_ready_file(args.ready_file, port)) if args.ready_file else None
        asyncio.run(server.serve(args.host, args.port, int(args.max_message_mb * 2**20), ready, args.watch_parent))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
