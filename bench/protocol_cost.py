"""What the full RoboTwin protocol (50 tasks x 100 seeds x 2 domains) costs with shared policy processes: GPU-hours
and CPU core-hours for N devices and M cores, beside RoboTwin's published 5-7 GPU-hours per task (its evaluator runs
one episode at a time on one GPU, ~30 % busy).

Inputs, all measured:
- the model's chunk latency per batch size (``bench/model.py --json``; default: the 8B model on an H200, compiled);
- the simulator's cost from a ``motus-eval`` ledger of model episodes: seconds per control step (physics), per
  observation (one per chunk: the three cameras) and per episode besides both (reset, scene check, bookkeeping);
- RoboTwin's step limits and expert demo lengths (``bench/figures/robotwin_tasks.json``).
An episode runs ``success x demo + (1 - success) x step limit`` actions (a success ends at about the expert's
length, a failure at the limit), ``execute`` per chunk.

Throughput per device (chunks/s), with W = (M - N) / N simulator workers per device (a core per policy process):
each worker alternates a chunk of simulation (S s) and a model call, so for batch b (up to W, and up to the largest
batch measured) X = min(W / (S + T(b)), b / T(b)): the workers' cycle and the device's capacity at that batch; the
best b is taken. T(b) is interpolated linearly between measured batch sizes. A bound for a steady state, not a
simulation: queueing makes the real figure somewhat lower.
Usage: python bench/protocol_cost.py --ledger RUN/episodes.jsonl [--model FIGURES.json] [--devices 1,8]
[--cores 16,64] [--success 0.87] [--execute 16] [--mode vla] [--compile SCOPE] [--steps N] [--json F]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

FIGURES = Path(__file__).resolve().parent / "figures"
TASKS, SEEDS, DOMAINS = 50, 100, 2
ROBOTWIN_GPU_HOURS_PER_TASK = (5.0, 7.0)  # per task and domain, one GPU (RoboTwin's users; robotwin-protocol.md)


def model_latency(path: Path, mode: str, compile_scope: str | None, steps: int | None) -> dict[int, float]:
    """Chunk seconds per batch size for ``mode`` (predicted frames not decoded), of the rows with that compile
    scope and step count when the figures have several (``bench/model.py --compile a,b --steps m,n``)."""
    figures = json.loads(path.read_text())
    rows = {
        r["batch"]: r["chunk_s"]
        for r in figures["rows"]
        if r["mode"] == mode
        and not r.get("decode")
        and compile_scope in (None, r.get("compile"))
        and steps in (None, r.get("steps"))
    }
    if not rows:
        raise SystemExit(f"{path} has no {mode} rows without decoding for compile {compile_scope}, steps {steps}")
    return dict(sorted(rows.items()))


def latency_at(latency: dict[int, float], batch: int) -> float:
    sizes = list(latency)
    if batch in latency:
        return latency[batch]
    lower = max(s for s in sizes if s < batch)
    upper = min(s for s in sizes if s > batch)
    share = (batch - lower) / (upper - lower)
    return latency[lower] + share * (latency[upper] - latency[lower])


def simulator_cost(ledgers: list[Path]) -> dict[str, float]:
    episodes = [json.loads(line) for path in ledgers for line in path.read_text().splitlines() if line.strip()]
    episodes = [e for e in episodes if e.get("chunks") and e.get("error") is None]
    if not episodes:
        raise SystemExit("the ledgers hold no finished model episodes")
    steps = sum(e["steps"] for e in episodes)
    chunks = sum(e["chunks"] for e in episodes)
    other = sum(e["duration_s"] - e["policy_s"] - e["sim_s"] - e["render_s"] for e in episodes)
    return {
        "episodes": len(episodes),
        "step_s": sum(e["sim_s"] for e in episodes) / steps,
        "observation_s": sum(e["render_s"] for e in episodes) / chunks,
        "episode_other_s": max(0.0, other / len(episodes)),
    }


def protocol_chunks(tasks: dict, success: float, execute: int) -> tuple[float, float]:
    """(chunks, actions) of the whole protocol."""
    chunks = actions = 0.0
    for task in tasks.values():
        length = success * task["demo"] + (1 - success) * task["step_limit"]
        actions += length
        chunks += math.ceil(length / execute)
    scale = SEEDS * DOMAINS * TASKS / len(tasks)
    return chunks * scale, actions * scale


def throughput(latency: dict[int, float], workers: float, chunk_sim_s: float) -> tuple[float, int]:
    """(chunks/s per device, the batch that gives it)."""
    best = (0.0, 1)
    for batch in range(1, min(int(workers), max(latency)) + 1):
        seconds = latency_at(latency, batch)
        rate = min(workers / (chunk_sim_s + seconds), batch / seconds)
        best = max(best, (rate, batch))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(FIGURES / "model_motus_8b_h200_compile.json"))
    parser.add_argument("--ledger", action="append", required=True, help="episodes.jsonl of a model run (repeatable)")
    parser.add_argument("--devices", default="1,2,4,8")
    parser.add_argument("--cores", default="8,16,32,64")
    parser.add_argument("--success", type=float, default=0.87, help="success rate assumed (Motus: 87 %%)")
    parser.add_argument("--execute", type=int, default=16, help="actions executed per chunk")
    parser.add_argument("--mode", default="vla")
    parser.add_argument("--compile", default=None, help="the compile scope's rows (figures of several scopes)")
    parser.add_argument("--steps", type=int, default=None, help="the rows of this many Euler steps")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    latency = model_latency(Path(args.model), args.mode, args.compile, args.steps)
    sim = simulator_cost([Path(p) for p in args.ledger])
    tasks = json.loads((FIGURES / "robotwin_tasks.json").read_text())["tasks"]
    chunks, actions = protocol_chunks(tasks, args.success, args.execute)
    episodes = TASKS * SEEDS * DOMAINS
    chunk_sim_s = sim["step_s"] * actions / chunks + sim["observation_s"] + sim["episode_other_s"] * episodes / chunks
    print(
        f"model ({Path(args.model).name}, {args.mode}): "
        + ", ".join(f"batch {b}: {s:.3f} s/chunk" for b, s in latency.items())
    )
    print(
        f"simulator ({sim['episodes']} episodes): {1000 * sim['step_s']:.1f} ms/action, "
        f"{1000 * sim['observation_s']:.0f} ms/observation, {sim['episode_other_s']:.2f} s/episode besides; "
        f"{chunk_sim_s:.3f} s of simulation per chunk on one core"
    )
    print(
        f"protocol: {episodes} episodes, {actions / episodes:.0f} actions and {chunks / episodes:.1f} chunks per "
        f"episode at {100 * args.success:.0f} % success; RoboTwin's evaluator: "
        f"{ROBOTWIN_GPU_HOURS_PER_TASK[0] * TASKS * DOMAINS:.0f}-{ROBOTWIN_GPU_HOURS_PER_TASK[1] * TASKS * DOMAINS:.0f}"
        " GPU-hours"
    )
    print(
        f"{'devices':>7} {'cores':>5} {'workers':>7} {'batch':>5} {'chunks/s':>8} {'wall h':>7} {'GPU-h':>7} "
        f"{'core-h':>7} {'GPU-h/task':>10} {'vs RoboTwin':>11}"
    )
    rows = []
    for devices in [int(n) for n in args.devices.split(",")]:
        for cores in [int(m) for m in args.cores.split(",")]:
            workers = (cores - devices) / devices
            if workers < 1:
                continue
            rate, batch = throughput(latency, workers, chunk_sim_s)
            wall_h = chunks / (rate * devices) / 3600
            per_task = wall_h * devices / (TASKS * DOMAINS)
            row = {
                "devices": devices,
                "cores": cores,
                "workers_per_device": round(workers, 1),
                "batch": batch,
                "chunks_per_s_per_device": round(rate, 2),
                "wall_h": round(wall_h, 2),
                "gpu_h": round(wall_h * devices, 2),
                "core_h": round(wall_h * cores, 1),
                "gpu_h_per_task": round(per_task, 3),
                "fraction_of_robotwin": round(per_task / ROBOTWIN_GPU_HOURS_PER_TASK[0], 4),
            }
            rows.append(row)
            print(
                f"{devices:7d} {cores:5d} {workers:7.1f} {batch:5d} {rate:8.2f} {wall_h:7.2f} {row['gpu_h']:7.2f} "
                f"{row['core_h']:7.1f} {per_task:10.3f} {1 / row['fraction_of_robotwin']:10.0f}x"
            )
    if args.json:
        summary = {"model": args.model, "simulator": sim, "chunks": chunks, "success": args.success, "rows": rows}
        Path(args.json).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
