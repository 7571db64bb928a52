"""The inside of one simulator worker: a bounded set of environments kept alive across items, and the handlers that
serve each kind of item, built once per worker (so a policy loads once, not per episode).

A handler is named ``"module:attribute"`` in ``WorkerConfig.handlers``: a class is instantiated with its options and
its instances are called ``(env, item)``; a function is called ``(env, item, **options)``. Either returns the item's
result (a dict). A handler stops the whole run by raising ``FatalItemError``; any other exception is reported per item
by the handler's ``on_error`` when it has one (e.g. an episode scored as an infrastructure error), else it is fatal.
"""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
import os
import signal
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conventions import DEFAULT_EMBODIMENT

PARENT_CHECK_S = 2.0
ENV_CACHE_SIZE = 6  # environments a worker keeps (~75 MB each on a CPU); the least recently used one is closed
EMBEDDED_ENVIRONMENT = "envs.env:MotusTaskEnv"  # imported inside the worker only: a worker may serve another simulator


@dataclass(frozen=True)
class WorkItem:
    id: int
    kind: str  # a key of WorkerConfig.handlers (e.g. "episode", "verify", "collect")
    task: str
    domain: str
    seed: int
    episode: int = -1  # position of the seed in its list, for handlers that report it
    attempt: int = 0  # 1 when the item runs again after its worker died
    fingerprint: dict[str, Any] | None = None  # the scene this seed must build, checked at reset when given
    instruction: str | None = None  # the instruction the seed's list fixed (RoboTwin); None: the scene draws it


@dataclass
class WorkerConfig:
    handlers: dict[str, str]  # item kind -> "module:attribute" (class or function, see the module docstring)
    handler_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # item kind -> keyword arguments
    embodiment: str = DEFAULT_EMBODIMENT
    render_threads: int | None = None  # CPU threads per worker (rendering, torch); the pool sets cores // workers
    env_cache_size: int = ENV_CACHE_SIZE
    environment: str = EMBEDDED_ENVIRONMENT  # "module:attribute" called (task, domain=, embodiment=) -> environment
    environment_options: dict[str, Any] = field(default_factory=dict)  # more keyword arguments for it


class FatalItemError(RuntimeError):
    """Raised by a handler when the run must stop (e.g. the agent cannot be built): continuing would waste or bias
    every following item."""


class EnvironmentCache:
    """At most ``capacity`` environments, least recently used closed first, so a worker's memory stays bounded
    however many tasks, domains and embodiments it serves."""

    def __init__(
        self,
        capacity: int,
        embodiment: str,
        factory: str = EMBEDDED_ENVIRONMENT,
        options: dict[str, Any] | None = None,
    ):
        self.capacity = max(1, int(capacity))
        self.embodiment = embodiment
        self.factory, self.options = factory, dict(options or {})
        self.environments: OrderedDict[tuple[str, str], Any] = OrderedDict()

    def get(self, task: str, domain: str):
        key = (task, domain)
        if key in self.environments:
            self.environments.move_to_end(key)
            return self.environments[key]
        while len(self.environments) >= self.capacity:
            _, oldest = self.environments.popitem(last=False)
            oldest.close()
            gc.collect()  # SAPIEN frees a scene's physics and render memory when its last reference goes
        make = load_attribute(self.factory)
        env = self.environments[key] = make(task, domain=domain, embodiment=self.embodiment, **self.options)
        return env

    def keys(self) -> list[tuple[str, str]]:
        return list(self.environments)

    def close(self) -> None:
        for env in self.environments.values():
            env.close()
        self.environments.clear()
        gc.collect()


def load_attribute(spec: str) -> Any:
    """What ``"module:attribute"`` names, imported on first use (inside the worker that needs it)."""
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


def build_handler(spec: str, options: dict[str, Any], worker_id: int = 0) -> Callable[..., dict[str, Any]]:
    """The handler named by ``"module:attribute"``, bound to its options (and to ``worker_id``, the worker's index in
    its pool, when it takes one: e.g. to pick one of several policy processes)."""
    target = load_attribute(spec)
    if "worker_id" in inspect.signature(target).parameters:
        options = {**options, "worker_id": worker_id}
    return target(**options) if inspect.isclass(target) else functools.partial(target, **options)


class ItemRunner:
    """Serves work items in one process: a bounded cache of environments and one instance of each handler, both kept
    across items. Used by the local worker processes and by the Ray actors alike."""

    def __init__(self, config: WorkerConfig, worker_id: int = 0):
        if config.render_threads:  # share the cores between workers instead of oversubscribing them
            os.environ.setdefault("LP_NUM_THREADS", str(config.render_threads))  # software rendering
            os.environ.setdefault("OMP_NUM_THREADS", str(config.render_threads))  # torch (a policy in the worker)
        self.config, self.worker_id = config, worker_id
        self.environments = EnvironmentCache(
            config.env_cache_size, config.embodiment, config.environment, config.environment_options
        )
        self.handlers: dict[str, Callable[..., dict[str, Any]]] = {}

    def _handler(self, kind: str) -> Callable[..., dict[str, Any]]:
        if kind not in self.handlers:
            if kind not in self.config.handlers:
                raise FatalItemError(f"no handler for items of kind {kind!r}; known: {sorted(self.config.handlers)}")
            options = self.config.handler_options.get(kind, {})
            self.handlers[kind] = build_handler(self.config.handlers[kind], options, self.worker_id)
        return self.handlers[kind]

    def run(self, item: WorkItem) -> dict[str, Any]:
        """The item's result; ``{"fatal": message}`` stops the whole run."""
        handler = None
        try:
            handler = self._handler(item.kind)
            return handler(self.environments.get(item.task, item.domain), item)
        except FatalItemError as exc:
            return {"fatal": str(exc)}
        except Exception as exc:  # the simulator (or the handler) failed on this item
            message = f"worker error: {type(exc).__name__}: {exc}"
            trace = traceback.format_exc(limit=8)
            on_error = getattr(handler, "on_error", None)
            if on_error is not None:
                return on_error(item, message, trace)
            return {"fatal": f"{item.kind} of {item.task} seed {item.seed} ({item.domain}) failed: {message}\n{trace}"}

    def close(self) -> None:
        for handler in self.handlers.values():
            close = getattr(handler, "close", None)
            if close is not None:
                close()
        self.handlers.clear()
        self.environments.close()


def worker_main(worker_id: int, config: WorkerConfig, connection) -> None:
    """Serve items from this worker's own pipe until told to stop (None) or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
    runner = ItemRunner(config, worker_id)
    parent = os.getppid()
    try:
        while True:
            if not connection.poll(PARENT_CHECK_S):
                if os.getppid() != parent:  # the parent was killed (e.g. SIGKILL): do not linger as an orphan
                    return
                continue
            item = connection.recv()
            if item is None:
                return
            connection.send((item.id, runner.run(item)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the parent closed our pipe
    finally:
        runner.close()
