"""A shared policy process against a copy of the policy in every worker: memory and episodes/hour of the same
``motus-eval`` run (agent, seeds, workers) once per ``policy_process`` mode.

Memory: the sum of PSS (proportional set size: a page shared by k processes counts 1/k in each, so the sum is what
the run occupies) over motus-eval and every process it starts, sampled every 0.25 s; the peak sum is reported, with
each role's part at that moment (the orchestrator, the simulator workers, the policy processes).
Throughput: episodes / wall time of the whole command (start-up and model loading included), and the mean policy
time per chunk as the workers saw it (queueing and the round trip included when shared).
CPU: the CPU seconds (user + system) of the whole process tree, and each role's part: on a machine with as many cores
as workers, a mode that needs more CPU for the same episodes cannot be faster.
Outcomes: same seeds and same noise in both modes, so the outcomes should agree; the script lists any seed whose
outcome or step count differs from the first run. A batch of several requests is one model call whose floating-point
rounding differs from separate calls (~1e-7), which can move a closed-loop episode that sits on an edge.
Usage: python bench/shared_policy.py [--checkpoint DIR] [--tasks click_bell] [--seeds 10] [--workers 2] [--json F]
Without --checkpoint an untrained motus_tiny_aloha is made (its episodes run to the step limit).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MODES = ("per_worker", "shared")
SAMPLE_S = 0.25
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        table[int(entry.name)] = (parent, command)
    return table


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def role(command: str) -> str:
    if "agents.server" in command:
        return "policy"
    if "multiprocessing" in command:
        return "workers"
    return "orchestrator"


class MemorySampler(threading.Thread):
    """The peak summed PSS of a process tree, each role's share at that moment, and each process's CPU time as last
    seen (a process's last quarter second before it exits is missed)."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.stop = root, threading.Event()
        self.peak_kib, self.peak_roles, self.processes = 0, {}, set()
        self.cpu: dict[int, tuple[str, float]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            table = process_table()
            tree, frontier = {self.root}, [self.root]
            while frontier:
                parent = frontier.pop()
                children = [pid for pid, (ppid, _) in table.items() if ppid == parent and pid not in tree]
                tree.update(children)
                frontier.extend(children)
            roles: dict[str, int] = {}
            for pid in tree:
                kib = pss_kib(pid)
                name = role(table.get(pid, (0, ""))[1]) if pid != self.root else "orchestrator"
                roles[name] = roles.get(name, 0) + kib
                if kib:
                    self.processes.add((pid, name))
                    seen = self.cpu.get(pid, (name, 0.0))[1]
                    self.cpu[pid] = (name, max(seen, cpu_s(pid)))  # 0 when it exited since its PSS was read
            total = sum(roles.values())
            if total > self.peak_kib:
                self.peak_kib, self.peak_roles = total, roles
            self.stop.wait(SAMPLE_S)


def measure(mode: str, args: argparse.Namespace, out: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "evaluation.running.cli",
        "--agent",
        "motus",
        "--checkpoint",
        str(args.checkpoint),
        "--tasks",
        args.tasks,
        "--seeds",
        str(args.seeds),
        "--workers",
        str(args.workers),
        "--run-id",
        f"bench-{mode}",
        "--out",
        str(out),
        "--policy-process",
        mode,
        *args.overrides,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, started_at = time.perf_counter(), time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = MemorySampler(process.pid)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.stop.set()
    sampler.join()
    cpu_by_role: dict[str, float] = {}
    for name, seconds in sampler.cpu.values():
        cpu_by_role[name] = cpu_by_role.get(name, 0.0) + seconds
    if process.returncode != 0:
        raise SystemExit(f"motus-eval ({mode}) failed with exit code {process.returncode}:\n{output}")
    episodes = [json.loads(line) for line in (out / f"bench-{mode}" / "episodes.jsonl").read_text().splitlines()]
    chunks = sum(e["chunks"] for e in episodes)
    return {
        "mode": mode,
        "episodes": len(episodes),
        "wall_s": round(wall, 1),
        "per_hour": round(len(episodes) / wall * 3600, 1),
        "policy_s_per_chunk": round(sum(e["policy_s"] for e in episodes) / max(1, chunks), 4),
        "first_episode_s": round(min(e["finished_at"] for e in episodes) - started_at, 1),
        "last_episode_s": round(max(e["finished_at"] for e in episodes) - started_at, 1),
        "peak_pss_mib": round(sampler.peak_kib / 1024, 1),
        "peak_by_role_mib": {k: round(v / 1024, 1) for k, v in sorted(sampler.peak_roles.items())},
        "processes": len(sampler.processes),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "cpu_s_by_role": {k: round(v, 1) for k, v in sorted(cpu_by_role.items())},
        "outcomes": sorted((e["task"], e["seed"], e["success"], e["steps"]) for e in episodes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="a Motus checkpoint (default: an untrained motus_tiny)")
    parser.add_argument("--tasks", default="click_bell")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES), help="policy_process modes to run, in this order")
    parser.add_argument("--repeats", type=int, default=1, help="rounds over the modes (alternating, for the noise)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("overrides", nargs="*", help="more motus-eval key=value overrides")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.checkpoint is None:
            from motus.cli import main_init

            args.checkpoint = Path(scratch) / "tiny"
            main_init(["--config", "motus_tiny_aloha", "--output", str(args.checkpoint)])
        rows = [
            measure(mode, args, Path(scratch) / f"results-{round_}")
            for round_ in range(args.repeats)
            for mode in args.modes.split(",")
        ]
    if args.json:
        Path(args.json).write_text(json.dumps({"workers": args.workers, "rows": rows}, indent=1))
    for row in rows:
        roles = ", ".join(f"{name} {mib:.0f}" for name, mib in row["peak_by_role_mib"].items())
        cpus = ", ".join(f"{name} {seconds:.0f}" for name, seconds in row["cpu_s_by_role"].items())
        print(
            f"{row['mode']:10s}  {row['episodes']} episodes in {row['wall_s']:.0f} s = {row['per_hour']:.0f} episodes/h"
            f" (first/last episode at {row['first_episode_s']:.0f}/{row['last_episode_s']:.0f} s)"
            f"  policy {1000 * row['policy_s_per_chunk']:.0f} ms/chunk  peak PSS {row['peak_pss_mib']:.0f} MiB "
            f"({roles}; {row['processes']} processes)  CPU {row['cpu_s']:.0f} s ({cpus})"
        )
    by_mode = {mode: [r for r in rows if r["mode"] == mode] for mode in MODES}
    if not all(by_mode.values()):
        return
    keys = ("per_hour", "peak_pss_mib")
    mean = {mode: {k: sum(r[k] for r in runs) / len(runs) for k in keys} for mode, runs in by_mode.items()}
    shared, copies = mean["shared"], mean["per_worker"]
    print(
        f"shared vs per-worker copies (means of {args.repeats} round(s)): memory {shared['peak_pss_mib']:.0f} vs "
        f"{copies['peak_pss_mib']:.0f} MiB ({shared['peak_pss_mib'] / copies['peak_pss_mib']:.2f}x), episodes/hour "
        f"{shared['per_hour']:.0f} vs {copies['per_hour']:.0f} ({shared['per_hour'] / copies['per_hour']:.2f}x)"
    )
    reference = rows[0]
    for number, row in enumerate(rows):
        differing = [
            f"{task} seed {seed}: {'success' if won else 'failure'} at step {steps} (round 1: {other[3]})"
            for (task, seed, won, steps), other in zip(row["outcomes"], reference["outcomes"], strict=True)
            if (won, steps) != (other[2], other[3])
        ]
        if differing:
            print(
                f"round {number // len(MODES) + 1} {row['mode']}: differs from round 1 {reference['mode']} on "
                f"{len(differing)} seed(s): {'; '.join(differing)}"
            )
    same = all(r["outcomes"] == reference["outcomes"] for r in rows)
    print(f"same outcomes and steps for every seed in every run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
