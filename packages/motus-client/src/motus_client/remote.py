"""``RemoteAgent``: the Agent protocol over a ``motus-serve`` policy server.

The client keeps the episode's state (task, instruction, seed, chunk index) and sends the chunk index with every
request, so after a dropped connection it reconnects, replays ``reset`` and carries on with the same seeds. A server
that stays unreachable raises ``AgentUnavailable`` (an infrastructure error: excluded from rates, retried on resume); a
wrong token or a server-side error raise ``AgentError`` with the reason, which ends that episode as a policy error.
Neither hangs the run.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import numpy as np

from motus_client.errors import AgentError, AgentUnavailable
from motus_client.wire import WireError, pack, unpack

TOKEN_ENV = "MOTUS_SERVE_TOKEN"  # the policy server's shared secret, when not given on the command line


class RemoteAgent:
    def __init__(
        self,
        server: str,
        token: str | None = None,
        retries: int = 3,
        timeout_s: float = 300.0,
        max_message_mb: float = 16.0,
    ):
        if not server or not server.startswith(("ws://", "wss://")):
            raise ValueError(f"RemoteAgent needs a ws:// or wss:// server address, got {server!r}")
        self.server = server
        self.token = token or os.environ.get(TOKEN_ENV)
        self.retries, self.timeout_s = retries, timeout_s
        self.max_size = int(max_message_mb * 2**20)
        self.connection = None
        self.metadata: dict[str, Any] = {}
        self.episode: dict[str, Any] | None = None
        self.chunk_index = 0
        self.last_timing: dict[str, float] = {}

    # ----- connection -----
    def _connect(self) -> None:
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        try:
            self.connection = connect(
                self.server, additional_headers=headers, max_size=self.max_size, open_timeout=10, close_timeout=2
            ).__enter__()  # the sync client is a context manager; we close it ourselves
        except InvalidStatus as exc:
            status = exc.response.status_code
            hint = " (wrong or missing token)" if status == 401 else ""
            raise AgentError(f"policy server {self.server} refused the connection: HTTP {status}{hint}") from exc
        self.metadata = unpack(self.connection.recv(timeout=self.timeout_s))

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the reply, reconnecting (and replaying reset) on a dropped connection."""
        from websockets.exceptions import WebSocketException

        error: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                if self.connection is None:
                    self._connect()
                    if self.episode is not None and message.get("type") != "reset":
                        self._checked(self._roundtrip(self.episode))
                return self._checked(self._roundtrip(message))
            except AgentError:
                raise
            except (OSError, TimeoutError, WebSocketException, WireError) as exc:
                error = exc
                self.close()
                time.sleep(min(2.0, 0.2 * 2**attempt))
        raise AgentUnavailable(f"policy server {self.server} is unreachable after {self.retries + 1} attempts: {error}")

    def _roundtrip(self, message: dict[str, Any]) -> dict[str, Any]:
        self.connection.send(pack(message))
        return unpack(self.connection.recv(timeout=self.timeout_s))

    @staticmethod
    def _checked(reply: dict[str, Any]) -> dict[str, Any]:
        if reply.get("type") == "error":
            raise AgentError(f"policy server error: {reply.get('error')}")
        return reply

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to close
                self.connection.close()
            self.connection = None

    def probe(self) -> dict[str, Any]:
        """Connect once and return the server's metadata (used to fail fast and to record the model identity)."""
        self._exchange({"type": "health"})
        return dict(self.metadata)

    @property
    def uses_images(self) -> bool:
        """Whether the served agent looks at the cameras (the server says so on connect): for one that acts on joints
        alone (an expert, a replay), the episode renders no camera, so ``act`` sends none. A server that cannot be
        reached yet counts as looking; the episode's reset then reports it."""
        if not self.metadata:
            with contextlib.suppress(AgentError, AgentUnavailable):
                self.probe()
        return bool(self.metadata.get("uses_images", True))

    # ----- Agent protocol -----
    def reset(self, *, task: str, instruction: str, seed: int, **context: Any) -> None:
        plain = {k: v for k, v in context.items() if isinstance(v, (str, int, float, bool)) or v is None}
        self.episode = {"type": "reset", "task": task, "instruction": instruction, "seed": int(seed), "context": plain}
        self.chunk_index = 0
        self._exchange(self.episode)

    def act(self, obs: dict) -> np.ndarray:
        message = {
            "type": "infer",
            "chunk_index": self.chunk_index,
            "obs": {
                "images": {name: np.asarray(image, dtype=np.uint8) for name, image in obs.get("images", {}).items()},
                "qpos": np.asarray(obs["qpos"], dtype=np.float32),
                "endpose": np.asarray(obs.get("endpose", np.zeros(16)), dtype=np.float32),
            },
        }
        reply = self._exchange(message)
        self.chunk_index += 1
        self.last_timing = reply.get("timing", {})
        return np.asarray(reply["actions"], dtype=np.float32)
