"""Soak: the worker pool on more (task, domain) environments than a worker's cache holds, for a given time, recording
each worker's resident memory after every item.

Each item resets a scene (build, settle, render the three cameras) in the environment of its (task, domain), cycling
through the list, so workers keep building environments and closing the least recently used ones. After warm-up the
memory must stay under the budget and grow no more than the allowed fraction between the first and the last part of
the run. Prints the figures and exits non-zero when a bound is broken.
Usage: python bench/soak.py [--tasks all] [--domain both] [--workers 2] [--minutes 60] [--cache-size 6]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # workers import this module as bench.soak

BUDGET_PER_ENV_MB = 90.0  # measured ~75 MB per cached environment, plus margin
BASE_MB = 700.0  # a worker with its imports, renderer and one scene


def reset_and_measure(env, item) -> dict[str, Any]:
    """Worker-side handler: one reset of the item's environment, then this process's resident memory."""
    import psutil

    env.reset(seed=item.seed)
    return {"rss_mb": psutil.Process().memory_info().rss / 2**20, "pid": os.getpid()}


@dataclass
class SoakResult:
    samples: dict[int, list[tuple[float, float]]]  # pid -> [(seconds since start, rss MB)]
    items: int
    seconds: float

    def per_worker(self, warmup_s: float = 0.0, warmup_items: int = 0) -> dict[int, dict[str, float]]:
        """Per worker: peak after warm-up (the first ``warmup_s`` seconds and the worker's first ``warmup_items``
        samples), and the mean of the first and last quarter of the later samples."""
        figures = {}
        for pid, samples in self.samples.items():
            steady = [rss for n, (t, rss) in enumerate(samples) if t >= warmup_s and n >= warmup_items]
            steady = steady or [samples[-1][1]]
            quarter = max(1, len(steady) // 4)
            first, last = statistics.mean(steady[:quarter]), statistics.mean(steady[-quarter:])
            figures[pid] = {"peak_mb": max(steady), "first_mb": first, "last_mb": last, "growth": last / first - 1}
        return figures


def soak(
    tasks: list[str], domains: list[str], workers: int, seconds: float, cache_size: int, max_items: int | None = None
) -> SoakResult:
    """Cycle the environments until ``seconds`` pass or ``max_items`` resets are done, whichever comes first; a test
    bounds the count, so what it checks does not depend on how fast the machine is."""
    from workers.pool import WorkerPool
    from workers.runner import WorkerConfig, WorkItem

    config = WorkerConfig(handlers={"soak": "bench.soak:reset_and_measure"}, env_cache_size=cache_size)
    keys = itertools.cycle([(task, domain) for task in tasks for domain in domains])
    samples: dict[int, list[tuple[float, float]]] = {}
    count = 0
    with WorkerPool(config, workers, timeout_s=600) as pool:
        start = time.monotonic()
        while time.monotonic() - start < seconds and (max_items is None or count < max_items):
            size = workers * 4 if max_items is None else min(workers * 4, max_items - count)
            batch = [WorkItem(count + n, "soak", *next(keys), seed=100000 + count + n) for n in range(size)]
            for _, result in pool.run(batch):
                if "rss_mb" not in result:
                    raise RuntimeError(f"soak item failed: {result}")
                samples.setdefault(result["pid"], []).append((time.monotonic() - start, result["rss_mb"]))
            count += len(batch)
        elapsed = time.monotonic() - start
    return SoakResult(samples, count, elapsed)


def main() -> int:
    from conventions import parse_domains
    from envs import parse_task_list

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--domain", default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--cache-size", type=int, default=6)
    parser.add_argument("--warmup-minutes", type=float, default=None, help="default: a tenth of the run")
    parser.add_argument("--max-growth", type=float, default=0.05)
    args = parser.parse_args()
    tasks, domains = parse_task_list(args.tasks), parse_domains(args.domain)
    budget = BASE_MB + BUDGET_PER_ENV_MB * args.cache_size
    print(
        f"soak: {len(tasks) * len(domains)} environments cycled on {args.workers} worker(s) caching "
        f"{args.cache_size} each, {args.minutes:.0f} min; budget {budget:.0f} MB per worker"
    )
    result = soak(tasks, domains, args.workers, args.minutes * 60, args.cache_size)
    warmup = (args.warmup_minutes if args.warmup_minutes is not None else args.minutes / 10) * 60
    ok = True
    for pid, f in result.per_worker(warmup).items():
        ok &= f["peak_mb"] <= budget and f["growth"] <= args.max_growth
        print(
            f"worker {pid}: peak {f['peak_mb']:.0f} MB after warm-up, first quarter {f['first_mb']:.0f} MB, "
            f"last quarter {f['last_mb']:.0f} MB, growth {100 * f['growth']:+.1f} %"
        )
    print(f"{result.items} resets in {result.seconds:.0f} s ({result.items / result.seconds * 60:.0f}/min)")
    print("within bounds" if ok else "OUT OF BOUNDS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
