"""Every number a report shows, computed from run ledgers only, as one JSON-ready dict (``summary.json``)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from statistics import mean
from typing import Any

from evaluation.ledger import outcome_of
from evaluation.reporting.results import Run
from evaluation.reporting.stats import (
    bootstrap_mean_of_rates,
    bootstrap_paired_mean_difference,
    newcombe_unpaired,
    paired_comparison,
    wilson_interval,
)

ALPHA = 0.05
PUBLISHED = Path(__file__).resolve().with_name("published.json")  # package data: the papers' reported scores
METHODS = {
    "task_interval": "95% Wilson score interval per task and domain",
    "overall_interval": "mean over tasks of per-task success rates; 95% percentile bootstrap (2000 replicates) "
    "resampling episodes within each task",
    "paired_difference": "same (task, domain, seed) in both runs: Newcombe's paired interval (method 10) and "
    "exact McNemar test; overall: paired bootstrap over seeds within tasks",
    "unpaired_difference": "no common seeds: Newcombe's hybrid score interval for independent rates",
    "imagination_gap": "joint mode with predicted video: each imagined frame against the frame rendered after the "
    "same action (PSNR, SSIM; per-episode means); failures against successes: two-sided Mann-Whitney U on SSIM",
    "outcomes": "episodes that ended in an infrastructure error (simulator failure, worker crash, policy server "
    "unreachable, out of memory) are excluded from every rate and counted apart; policy errors (the agent raised, "
    "returned a malformed chunk or hung) count as failures",
}


class ReportError(ValueError):
    """Runs that cannot be reported or compared (e.g. different protocols); the message says why."""


def group(episodes: list[dict]) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for episode in episodes:
        groups.setdefault((episode["task"], episode["domain"]), []).append(episode)
    return dict(sorted(groups.items()))


def scored(episodes: list[dict]) -> list[dict]:
    """Episodes that count towards success rates: all but infrastructure errors."""
    return [e for e in episodes if outcome_of(e) != "infra_error"]


def task_rows(episodes: list[dict]) -> list[dict[str, Any]]:
    """One row per (task, domain): scored episodes, successes, Wilson interval, errors by kind, and which success
    conditions were false at the end of the failures."""
    rows = []
    for (task, domain), group_episodes in group(episodes).items():
        outcomes = Counter(outcome_of(e) for e in group_episodes)
        counted = scored(group_episodes)
        n, k = len(counted), sum(bool(e["success"]) for e in counted)
        low, high = wilson_interval(k, n) if n else (0.0, 1.0)
        succeeded = [e["steps"] for e in counted if e["success"]]
        failed_conditions = Counter(
            name for e in counted if outcome_of(e) == "failure" for name in (e.get("failed_conditions") or [])
        )
        extras = Counter(name for e in counted for name, value in (e.get("extra_conditions") or {}).items() if value)
        rows.append(
            {
                "task": task,
                "domain": domain,
                "n": n,
                "successes": k,
                "rate": k / n if n else None,
                "ci_low": low,
                "ci_high": high,
                "mean_steps": mean(e["steps"] for e in counted) if counted else None,
                "mean_steps_success": mean(succeeded) if succeeded else None,
                "failures": outcomes["failure"],
                "policy_errors": outcomes["policy_error"],
                "infra_errors": outcomes["infra_error"],
                "failed_conditions": dict(failed_conditions.most_common()),
                "extra_conditions": dict(sorted(extras.items())),
            }
        )
    return rows


def imagination_rows(episodes: list[dict]) -> list[dict[str, Any]]:
    """Per (task, domain) of a run that measured the imagination gap (a Motus agent in joint mode with predicted
    video): the mean PSNR / SSIM of imagined against rendered frames beside the success rate, and whether episodes
    that imagined worse failed more often (SSIM of failures against successes, two-sided Mann-Whitney U; success
    rate of the episodes below and at-or-above the median SSIM)."""
    from scipy.stats import mannwhitneyu

    rows = []
    for (task, domain), group_episodes in group(episodes).items():
        measured = [e for e in scored(group_episodes) if e.get("imagination_ssim") is not None]
        if not measured:
            continue
        ssim = [float(e["imagination_ssim"]) for e in measured]
        wins = [float(e["imagination_ssim"]) for e in measured if e["success"]]
        losses = [float(e["imagination_ssim"]) for e in measured if not e["success"]]
        median = sorted(ssim)[len(ssim) // 2]
        below = [e["success"] for e in measured if e["imagination_ssim"] < median]
        above = [e["success"] for e in measured if e["imagination_ssim"] >= median]
        rows.append(
            {
                "task": task,
                "domain": domain,
                "n": len(measured),
                "rate": mean(bool(e["success"]) for e in measured),
                "psnr": mean(float(e["imagination_psnr"]) for e in measured),
                "ssim": mean(ssim),
                "ssim_successes": mean(wins) if wins else None,
                "ssim_failures": mean(losses) if losses else None,
                "p_value": float(mannwhitneyu(losses, wins).pvalue) if wins and losses else None,
                "rate_below_median": mean(below) if below else None,
                "rate_above_median": mean(above) if above else None,
            }
        )
    return rows


def overall(run: Run) -> dict[str, dict[str, float]]:
    result = {}
    for domain in run.domains:
        outcomes = {
            task: [bool(e["success"]) for e in scored(eps)]
            for (task, d), eps in group(run.episodes).items()
            if d == domain and scored(eps)
        }
        score, low, high = bootstrap_mean_of_rates(outcomes)
        result[domain] = {"score": score, "ci_low": low, "ci_high": high, "tasks": len(outcomes)}
    return result


def timing(run: Run) -> dict[str, Any]:
    episodes = run.episodes
    parts = {key: mean(float(e.get(key) or 0.0) for e in episodes) for key in ("policy_s", "sim_s", "render_s")}
    duration = mean(float(e.get("duration_s") or 0.0) for e in episodes)
    finished = [(e["finished_at"], float(e.get("duration_s") or 0.0)) for e in episodes if e.get("finished_at")]
    per_hour = None
    if len(finished) == len(episodes):
        span = max(t for t, _ in finished) - min(t - d for t, d in finished)
        per_hour = len(episodes) / span * 3600 if span > 0 else None
    return {
        **parts,
        "other_s": max(0.0, duration - sum(parts.values())),
        "duration_s": duration,
        "total_h": sum(float(e.get("duration_s") or 0.0) for e in episodes) / 3600,
        "episodes_per_hour": per_hour,
        "episodes_per_worker_hour": 3600 / duration if duration else None,
        "workers": run.meta.get("workers"),
    }


def failure_videos(run: Run) -> list[dict[str, Any]]:
    return [
        {"task": e["task"], "domain": e["domain"], "seed": e["seed"], "video": e["video"], "error": e.get("error")}
        for e in run.episodes
        if not e["success"] and e.get("video")
    ]


def compare(baseline: Run, other: Run) -> dict[str, Any]:
    if baseline.protocol != other.protocol:
        raise ReportError(
            f"cannot compare {other.run_id} (protocol {other.protocol}) with {baseline.run_id} (protocol "
            f"{baseline.protocol}): results under different protocols are not comparable"
        )
    if baseline.meta.get("embodiment") != other.meta.get("embodiment"):
        raise ReportError(
            f"cannot compare {other.run_id} (embodiment {other.meta.get('embodiment')}) with {baseline.run_id} "
            f"(embodiment {baseline.meta.get('embodiment')}): different robots"
        )
    base_groups, other_groups = group(scored(baseline.episodes)), group(scored(other.episodes))
    per_task, pairs_by_domain = [], {}
    for key in sorted(set(base_groups) & set(other_groups)):
        task, domain = key
        first = {int(e["seed"]): bool(e["success"]) for e in base_groups[key]}
        second = {int(e["seed"]): bool(e["success"]) for e in other_groups[key]}
        common = sorted(set(first) & set(second))
        if common:
            stats = paired_comparison([first[s] for s in common], [second[s] for s in common])
            row = {
                "paired": True,
                "n": stats.n,
                "diff": stats.diff,
                "low": stats.low,
                "high": stats.high,
                "p_value": stats.p_value,
                "significant": stats.p_value < ALPHA,
            }
            pairs_by_domain.setdefault(domain, {})[task] = [(first[s], second[s]) for s in common]
        else:
            k1, k2 = sum(first.values()), sum(second.values())
            diff, low, high = newcombe_unpaired(k1, len(first), k2, len(second))
            row = {
                "paired": False,
                "n": len(first) + len(second),
                "diff": diff,
                "low": low,
                "high": high,
                "p_value": None,
                "significant": low > 0 or high < 0,
            }
        per_task.append({"task": task, "domain": domain, **row})
    overall_diff = {}
    for domain, pairs in pairs_by_domain.items():
        diff, low, high = bootstrap_paired_mean_difference(pairs)
        overall_diff[domain] = {
            "diff": diff,
            "low": low,
            "high": high,
            "tasks": len(pairs),
            "significant": low > 0 or high < 0,
        }
    return {
        "baseline": baseline.run_id,
        "run": other.run_id,
        "per_task": per_task,
        "overall": overall_diff,
        "statements": statements(baseline, other, per_task, overall_diff),
    }


def statements(baseline: Run, other: Run, per_task: list[dict], overall_diff: dict) -> list[str]:
    lines = []
    for domain, o in sorted(overall_diff.items()):
        verdict = "a significant difference" if o["significant"] else "not a significant difference"
        lines.append(
            f"{domain}: {other.run_id} minus {baseline.run_id} = {100 * o['diff']:+.1f} points over {o['tasks']} tasks "
            f"(95% CI [{100 * o['low']:+.1f}, {100 * o['high']:+.1f}]): {verdict}."
        )
    significant = [r for r in per_task if r["significant"]]
    if significant:
        listed = ", ".join(f"{r['task']} ({r['domain']}) {100 * r['diff']:+.0f}" for r in significant)
        lines.append(f"Significant per-task differences (p < {ALPHA}): {listed}.")
    else:
        lines.append("No per-task difference is significant.")
    return lines


def published_scores() -> list[dict[str, Any]]:
    return json.loads(PUBLISHED.read_text())


def summarize(runs: list[Run]) -> dict[str, Any]:
    if not runs:
        raise ReportError("no runs to report")
    comparisons = [compare(runs[0], other) for other in runs[1:]]
    return {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "methods": METHODS,
        "runs": [
            {
                "run_id": run.run_id,
                "label": run.label(),
                "path": str(run.path),
                "agent": run.meta.get("agent"),
                "checkpoint": run.meta.get("checkpoint"),
                "protocol": run.protocol,
                "complete": run.complete,
                "expected_episodes": run.expected_episodes,
                "episodes": len(scored(run.episodes)),
                "infra_errors": len(run.episodes) - len(scored(run.episodes)),
                "tasks": task_rows(run.episodes),
                "overall": overall(run),
                "time": timing(run),
                "failure_videos": failure_videos(run),
                "imagination": imagination_rows(run.episodes),
            }
            for run in runs
        ],
        "comparisons": comparisons,
        "published": published_scores(),
    }
