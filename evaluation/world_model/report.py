"""The offline suite's results, summarised from ``samples.jsonl`` alone: per model, mode and task the mean of each
metric at each horizon step and over the chunk; the check that the model beats the baseline on every metric of
every mode; plots of each metric against the horizon; and the strips of predicted beside real frames.

Written as ``summary.json``, ``report.md`` and ``report.html`` in the suite's folder (the plots inlined; the strips,
megabytes of frames, linked from ``strips/`` beside the page).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.reporting.report import STYLE, data_uri, html_table, md_table

METRICS = {  # name -> (label, higher is better)
    "psnr": ("PSNR (dB)", True),
    "ssim": ("SSIM", True),
    "latent_distance": ("VAE latent distance", False),
    "joint_error": ("joint error (rad)", False),
    "gripper_accuracy": ("gripper open/closed accuracy", True),
}


def summarize(folder: Path) -> dict[str, Any]:
    folder = Path(folder)
    suite = json.loads((folder / "suite.json").read_text())
    records = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines() if line.strip()]
    latest = {(r["model"], r["mode"], r["sample"]): r for r in records}  # a repeated sample counts once
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for record in latest.values():
        groups.setdefault((record["model"], record["mode"], record["task"]), []).append(record)
    results = []
    for (model, mode, task), members in sorted(groups.items()):
        horizon = {name: np.mean([r[name] for r in members], axis=0).tolist() for name in METRICS if name in members[0]}
        results.append(
            {
                "model": model,
                "mode": mode,
                "task": task,
                "n": len(members),
                "horizon": horizon,
                "mean": {name: float(np.mean(values)) for name, values in horizon.items()},
                "strips": sorted(r["strip"] for r in members if r.get("strip")),
            }
        )
    overall = overall_means(results)
    return {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "settings": {k: v for k, v in suite.items() if k != "samples"},
        "samples": len(suite["samples"]),
        "results": results,
        "overall": overall,
        "baseline_check": baseline_check(overall),
    }


def overall_means(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """model -> mode -> metric -> the mean over tasks of the per-task means."""
    table: dict[str, dict[str, dict[str, list[float]]]] = {}
    for row in results:
        modes = table.setdefault(row["model"], {}).setdefault(row["mode"], {})
        for name, value in row["mean"].items():
            modes.setdefault(name, []).append(value)
    return {
        model: {mode: {name: float(np.mean(v)) for name, v in metrics.items()} for mode, metrics in modes.items()}
        for model, modes in table.items()
    }


def baseline_check(overall: dict[str, Any]) -> list[dict[str, Any]]:
    """Per mode and metric: the model against the baseline (when the suite has one), and which is better."""
    if "model" not in overall or "baseline" not in overall:
        return []
    rows = []
    for mode, metrics in overall["model"].items():
        for name, value in metrics.items():
            reference = overall["baseline"].get(mode, {}).get(name)
            if reference is None:
                continue
            higher = METRICS[name][1]
            rows.append(
                {
                    "mode": mode,
                    "metric": name,
                    "model": value,
                    "baseline": reference,
                    "better": value > reference if higher else value < reference,
                }
            )
    return rows


def plot_horizons(summary: dict[str, Any], folder: Path) -> dict[str, Path]:
    """One figure per metric: a panel per mode, the metric against the horizon step, a line per task (the baseline
    dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {}
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    for name, (label, _) in METRICS.items():
        rows = [r for r in summary["results"] if name in r["horizon"]]
        if not rows:
            continue
        modes = sorted({r["mode"] for r in rows})
        fig, axes = plt.subplots(1, len(modes), figsize=(4.2 * len(modes), 3.4), squeeze=False)
        for ax, mode in zip(axes[0], modes, strict=True):
            for row in (r for r in rows if r["mode"] == mode):
                values = row["horizon"][name]
                style = {"model": "-", "baseline": "--"}.get(row["model"], ":")  # references dotted
                ax.plot(
                    range(1, len(values) + 1), values, style, marker="o", ms=3, label=f"{row['task']} ({row['model']})"
                )
            ax.set_title(mode)
            ax.set_xlabel("horizon step")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[0][-1].legend(fontsize=7)
        fig.tight_layout()
        path = folder / "figures" / f"{name}_vs_horizon.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        figures[name] = path
    return figures


def fmt(value: float) -> str:
    if value != 0 and abs(value) < 0.01:
        return f"{value:.2e}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


REFERENCE_NAMES = {
    "copy_condition": "the condition frame repeated (nothing moves)",
    "vae_roundtrip": "the real frames through the model's VAE (the ceiling of a decoded prediction)",
}


def reference_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The frame metrics' yardsticks, mean over tasks."""
    names = ["psnr", "ssim", "latent_distance"]
    header = ["reference", *(METRICS[n][0] for n in names)]
    rows = []
    for model, text in REFERENCE_NAMES.items():
        means = summary["overall"].get(model, {}).get("reference")
        if means:
            rows.append([text, *(fmt(means[n]) if n in means else "-" for n in names)])
    return header, rows


def overall_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    models = [m for m in ("model", "baseline") if m in summary["overall"]]
    header = ["mode", "metric", *models] + (["model better"] if summary["baseline_check"] else [])
    verdicts = {(r["mode"], r["metric"]): r["better"] for r in summary["baseline_check"]}
    rows = []
    for mode in summary["settings"]["modes"]:
        names = [n for n in METRICS if n in summary["overall"][models[0]].get(mode, {})]
        for name in names:
            row = [mode, METRICS[name][0]] + [fmt(summary["overall"][m][mode][name]) for m in models]
            if summary["baseline_check"]:
                row.append("yes" if verdicts.get((mode, name)) else "NO")
            rows.append(row)
    return header, rows


def task_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["model", "mode", "task", "samples"] + [METRICS[n][0] for n in METRICS]
    rows = []
    for r in summary["results"]:
        rows.append(
            [r["model"], r["mode"], r["task"], str(r["n"])]
            + [fmt(r["mean"][n]) if n in r["mean"] else "-" for n in METRICS]
        )
    return header, rows


def settings_lines(summary: dict[str, Any]) -> list[str]:
    s = summary["settings"]
    models = ", ".join(f"{label}: {path}" for label, path in s["models"].items())
    return [
        f"Models ({s['model_config']}): {models}",
        f"Data: {s['data']} ({s['domain']}), {summary['samples']} samples (every {s['stride']}th condition frame, "
        f"at most {s['samples_per_task']} per task, seed {s['seed']}), "
        f"denoising steps: {s['num_steps'] or 'the config'}",
        "Frame metrics per predicted frame: PSNR and SSIM (scikit-image, 8-bit range; identical frames give PSNR "
        "capped at 100 dB and SSIM 1), and the mean squared difference between the predicted video latents and the "
        "real clip's, in the space the video expert denoises (each latent step covers several frames). "
        "Action metrics per predicted action: mean absolute joint error (grippers "
        "excluded) and gripper open/closed agreement (threshold 0.5).",
    ]


def render_markdown(summary: dict[str, Any], figures: dict[str, Path], folder: Path) -> str:
    out = ["# Motus world-model evaluation", "", f"Generated {summary['generated_at']} from samples.jsonl only.", ""]
    out += [f"- {line}" for line in settings_lines(summary)] + ["", "## All modes, mean over tasks", ""]
    out += [md_table(*overall_rows(summary)), ""]
    if reference_rows(summary)[1]:
        out += ["Yardsticks for the frame metrics:", "", md_table(*reference_rows(summary)), ""]
    out += ["## Per task (means over the chunk)", "", md_table(*task_rows(summary))]
    out += ["", "## Error against the horizon", ""]
    out += [f"![{name}]({path.relative_to(folder).as_posix()})" for name, path in figures.items()]
    strips = [(r, s) for r in summary["results"] for s in r["strips"]]
    if strips:
        out += ["", "## Predicted (bottom) against real (top) frames", ""]
        out += [f"{r['model']} / {r['mode']} / {r['task']}:\n\n![strip]({s})\n" for r, s in strips]
    return "\n".join(out) + "\n"


def render_html(summary: dict[str, Any], figures: dict[str, Path], folder: Path) -> str:
    parts = ["<h1>Motus world-model evaluation</h1><ul>"]
    parts += [f"<li>{html.escape(line)}</li>" for line in settings_lines(summary)] + ["</ul>"]
    parts.append("<h2>All modes, mean over tasks</h2>" + html_table(*overall_rows(summary), table_id="overall"))
    if reference_rows(summary)[1]:
        parts.append("<p>Yardsticks for the frame metrics:</p>" + html_table(*reference_rows(summary)))
    parts.append("<h2>Per task</h2>" + html_table(*task_rows(summary), sortable=True))
    parts.append("<h2>Error against the horizon</h2>")
    parts += [f"<img alt='{name}' src='{data_uri(path)}'>" for name, path in figures.items()]
    strips = [(r, s) for r in summary["results"] for s in r["strips"]]
    if strips:
        parts.append("<h2>Predicted (bottom) against real (top) frames</h2>")
        for r, s in strips:
            caption = html.escape(f"{r['model']} / {r['mode']} / {r['task']}")
            parts.append(f"<p class='note'>{caption}</p><img alt='strip' src='{html.escape(s)}'>")  # beside the page
    body = "\n".join(parts)
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>{body}</body></html>"


def write_report(folder: Path) -> dict[str, Any]:
    folder = Path(folder)
    summary = summarize(folder)
    figures = plot_horizons(summary, folder)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (folder / "report.md").write_text(render_markdown(summary, figures, folder))
    (folder / "report.html").write_text(render_html(summary, figures, folder))
    return summary
