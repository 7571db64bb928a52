"""A pool of long-lived worker processes (spawn start method) fed from a queue of work items.

The parent hands one item at a time to each idle worker and watches them: an item that runs past the timeout has its
worker killed and replaced and is reported as timed out; a worker that dies is replaced and its item retried once,
then reported as crashed. Results stream back as (item, result) pairs in completion order.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from evaluation.worker import WorkerConfig, WorkItem, worker_main

POLL_S = 0.2


@dataclass
class _Worker:
    process: mp.Process
    inbox: Any
    item: WorkItem | None = None
    started: float = 0.0


class WorkerPool:
    def __init__(self, config: WorkerConfig, workers: int, timeout_s: float):
        self.size = max(1, int(workers))
        if config.render_threads is None:
            config = replace(config, render_threads=max(1, (os.cpu_count() or 1) // self.size))
        self.config = config
        self.timeout_s = timeout_s
        self.context = mp.get_context("spawn")
        self.outbox = self.context.Queue()
        self.workers: dict[int, _Worker] = {}
        self.next_id = 0
        self.replaced = 0

    def __enter__(self) -> WorkerPool:
        for _ in range(self.size):
            self._start_worker()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start_worker(self) -> int:
        worker_id, self.next_id = self.next_id, self.next_id + 1
        inbox = self.context.Queue()
        process = self.context.Process(
            target=worker_main, args=(worker_id, self.config, inbox, self.outbox), name=f"motus-eval-{worker_id}"
        )
        process.daemon = True
        process.start()
        self.workers[worker_id] = _Worker(process, inbox)
        return worker_id

    def _replace(self, worker_id: int) -> None:
        worker = self.workers.pop(worker_id)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        self.replaced += 1
        self._start_worker()

    def run(self, items: Iterable[WorkItem]) -> Iterator[tuple[WorkItem, dict[str, Any]]]:
        pending = deque(items)
        while pending or any(w.item is not None for w in self.workers.values()):
            for worker in self.workers.values():
                if worker.item is None and pending:
                    worker.item, worker.started = pending.popleft(), time.monotonic()
                    worker.inbox.put(worker.item)
            try:
                worker_id, item_id, result = self.outbox.get(timeout=POLL_S)
            except queue.Empty:
                pass
            else:
                worker = self.workers.get(worker_id)
                if worker is not None and worker.item is not None and worker.item.id == item_id:
                    item, worker.item = worker.item, None
                    yield item, result
            yield from self._check_workers(pending)

    def _check_workers(self, pending: deque) -> Iterator[tuple[WorkItem, dict[str, Any]]]:
        now = time.monotonic()
        for worker_id, worker in list(self.workers.items()):
            item = worker.item
            if item is None:
                if not worker.process.is_alive():
                    self._replace(worker_id)
                continue
            if now - worker.started > self.timeout_s:
                self._replace(worker_id)
                yield item, {"error": f"timed out after {self.timeout_s:.0f} s (worker killed and replaced)"}
            elif not worker.process.is_alive():
                code = worker.process.exitcode
                self._replace(worker_id)
                if item.attempt == 0:
                    pending.appendleft(replace(item, attempt=1))
                else:
                    yield item, {"error": f"worker crashed twice on this item (exit code {code})"}

    def close(self) -> None:
        for worker in self.workers.values():
            if worker.process.is_alive():
                with contextlib.suppress(OSError, ValueError):
                    worker.inbox.put(None)
        deadline = time.monotonic() + 5
        for worker in self.workers.values():
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
        self.workers.clear()
