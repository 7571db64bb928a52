"""The worker pool on Ray: long-lived simulator actors (one per CPU by default) behind the same ``run(items)`` as the
local pool, under the same ``SupervisedPool`` policy. Only the parent writes results down, so an actor or a node that
dies can lose no finished item and duplicate none."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from workers.runner import ItemRunner, WorkerConfig, WorkItem
from workers.supervision import Died, Slot, SupervisedPool

INSTALL_HINT = "Ray is not installed: pip install 'motus-harness[ray]' (or pip install ray==2.60.0)"


class RayUnavailable(RuntimeError):
    pass


def import_ray():
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(INSTALL_HINT) from exc
    return ray


@dataclass
class _Actor:
    actor: Any
    ref: Any = None  # the pending result of its current item


class RayPool(SupervisedPool):
    what = "actor"

    def __init__(
        self,
        config: WorkerConfig,
        workers: int | None,
        timeout_s: float,
        address: str | None = None,
        cpus_per_worker: float = 1.0,
    ):
        super().__init__(timeout_s, config.env_cache_size)
        self.ray = import_ray()
        self.started_ray = not self.ray.is_initialized()  # a Ray this pool starts, it also shuts down
        if self.started_ray:
            # actors import the harness like the parent does (plug-in agents may live in the working directory)
            path = os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH", "")) if p)
            self.ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": {"LP_NUM_THREADS": "1", "PYTHONPATH": path}},
            )
        total = int(self.ray.cluster_resources().get("CPU", 1) // cpus_per_worker)
        self.size = max(1, int(workers) if workers else total)
        self.config = replace(config, render_threads=max(1, int(cpus_per_worker)))
        self.actor_class = self.ray.remote(num_cpus=cpus_per_worker, max_restarts=0)(ItemRunner)
        self.next_id = 0

    def __enter__(self) -> RayPool:
        self.open(self.size)
        return self

    def _start(self) -> _Actor:
        worker_id, self.next_id = self.next_id, self.next_id + 1
        return _Actor(self.actor_class.remote(self.config, worker_id))

    def _submit(self, slot: Slot, item: WorkItem) -> bool:
        slot.handle.ref = slot.handle.actor.run.remote(item)
        return True

    def _poll(self, busy: list[Slot], timeout_s: float) -> Iterator[tuple[Slot, dict[str, Any] | Died]]:
        ray = self.ray
        by_ref = {slot.handle.ref: slot for slot in busy}
        ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=timeout_s)
        for ref in ready:
            slot = by_ref[ref]
            slot.handle.ref = None
            try:
                yield slot, ray.get(ref)
            except ray.exceptions.RayActorError as exc:  # the actor (or its node) died
                yield slot, Died("simulator actor died", f": {type(exc).__name__}")
            except ray.exceptions.RayError as exc:
                yield slot, {"error": f"ray error: {type(exc).__name__}: {exc}", "outcome": "infra_error"}

    def _reap_idle(self) -> None:
        """Nothing to do: Ray reports an idle actor's death with the result of its next item."""

    def _stop(self, handle: _Actor) -> None:
        self.ray.kill(handle.actor, no_restart=True)

    def close(self) -> None:
        super().close()
        if self.started_ray:
            self.ray.shutdown()
            self.started_ray = False
