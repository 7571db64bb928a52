"""Workers: bounded memory, and workers that serve another simulator.

A worker keeps at most ``env_cache_size`` environments, closing the least recently used first, and its memory stays
flat while it cycles through more environments than that (a short version of bench/soak.py)."""

from __future__ import annotations

from bench.soak import BASE_MB, BUDGET_PER_ENV_MB, soak
from workers.runner import EnvironmentCache, WorkItem
from workers.supervision import take_next


def test_environment_cache_closes_the_least_recently_used():
    cache = EnvironmentCache(capacity=2, embodiment="dual_panda")
    first = cache.get("click_bell", "clean")
    first.reset(seed=1)
    cache.get("lift_pot", "clean")
    assert cache.get("click_bell", "clean") is first  # a hit refreshes it
    cache.get("stack_blocks_two", "clean")  # evicts lift_pot, the least recently used
    assert cache.keys() == [("click_bell", "clean"), ("stack_blocks_two", "clean")]
    cache.get("lift_pot", "randomized")
    assert first.scene is None and first.task is None  # closed: its SAPIEN scene is released
    assert len(cache.keys()) == 2
    cache.close()


def test_work_goes_to_the_worker_that_holds_its_environment():
    from collections import deque

    items = deque(WorkItem(n, "episode", task, "clean", n) for n, task in enumerate(["a", "b", "c", "b"]))
    assert take_next(items, [("b", "clean")]).id == 1
    assert take_next(items, [("z", "clean")]).id == 0
    assert [item.id for item in items] == [2, 3]


def test_memory_stays_flat_cycling_more_environments_than_the_cache_holds():
    """Six environments through a cache of two, six times round: every reset after the first round rebuilds an
    environment that was closed. A count, not a duration, so a slow machine checks the same thing."""
    environments = 6
    result = soak(
        ["click_bell", "lift_pot", "stack_blocks_two"], ["clean", "randomized"], 1, float("inf"), 2, 6 * environments
    )
    (figures,) = result.per_worker(warmup_items=environments).values()
    print(f"{result.items} resets in {result.seconds:.0f} s: {figures}")
    assert result.items == 6 * environments
    assert figures["peak_mb"] <= BASE_MB + 2 * BUDGET_PER_ENV_MB
    assert figures["growth"] <= 0.05


def test_a_worker_serving_another_simulator_never_imports_ours():
    """A worker builds its environments with ``WorkerConfig.environment``; ours is imported only when it is the one
    asked for, so another simulator's own ``envs`` package (RoboTwin's) can load in that process."""
    from workers.pool import WorkerPool
    from workers.runner import WorkerConfig

    config = WorkerConfig(
        handlers={"probe": "tests.workers.foreign:loaded_modules"},
        environment="tests.workers.foreign:ForeignEnvironment",
    )
    with WorkerPool(config, workers=1, timeout_s=120) as pool:
        ((_, result),) = list(pool.run([WorkItem(0, "probe", "beat_block_hammer", "randomized", 100000)]))
    assert result == {"loaded": [], "environment": ["beat_block_hammer", "randomized", "aloha_agilex"]}
