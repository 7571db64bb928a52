"""Rendering a summary as ``report.md`` (with PNGs beside it) and a self-contained ``report.html``.

The HTML embeds its images as data URIs, sorts its per-task table on a header click (a few lines of inline script),
and links failure videos relative to the report. Every number comes from the summary dict, which also goes to
``summary.json`` unchanged.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

NOTE_PUBLISHED = (
    "Published scores were measured on the original RoboTwin 2.0 assets, robots (Aloha-AgileX) and protocol. They "
    "are context, not comparable one-to-one with runs on the embedded simulator."
)
SORT_SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(th => th.addEventListener('click', () => {
  const col = th.cellIndex;
  const body = th.closest('table').tBodies[0];
  const rows = Array.from(body.rows);
  const asc = th.dataset.order !== 'asc';
  th.dataset.order = asc ? 'asc' : 'desc';
  const key = r => { const c = r.cells[col]; const v = c.dataset.value ?? c.textContent; const n = parseFloat(v);
                     return isNaN(n) ? v : n; };
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (asc ? 1 : -1));
  rows.forEach(r => body.appendChild(r));
}));
"""
STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #eee; cursor: pointer; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
.note { color: #555; font-size: 13px; } .warn { color: #b00; }
"""


def pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}"


def interval(low: float, high: float, signed: bool = False) -> str:
    return f"[{pct(low, signed)}, {pct(high, signed)}]"


def failure_reasons(row: dict[str, Any]) -> str:
    """ "grippers_open false in 12/40 failures; ..." from the conditions that were false when failures ended."""
    if not row["failures"] or not row["failed_conditions"]:
        return "-"
    return "; ".join(f"{name} false in {count}/{row['failures']}" for name, count in row["failed_conditions"].items())


def extra_conditions(row: dict[str, Any]) -> str:
    """Strict variants of weak success checks, shown apart from the score: "shaken 30/40"."""
    return "; ".join(f"{name} {count}/{row['n']}" for name, count in row["extra_conditions"].items()) or "-"


def task_table(run: dict[str, Any]) -> tuple[list[str], list[list[str]], list[list[Any]]]:
    header = [
        "task",
        "domain",
        "episodes",
        "successes",
        "success %",
        "95% CI",
        "mean steps",
        "policy errors",
        "infra errors",
        "failed conditions",
        "strict conditions",
    ]
    rows, values = [], []
    for r in run["tasks"]:
        mean_steps = "-" if r["mean_steps"] is None else f"{r['mean_steps']:.0f}"
        reasons, strict = failure_reasons(r), extra_conditions(r)
        rows.append(
            [
                r["task"],
                r["domain"],
                str(r["n"]),
                str(r["successes"]),
                pct(r["rate"]),
                interval(r["ci_low"], r["ci_high"]),
                mean_steps,
                str(r["policy_errors"]),
                str(r["infra_errors"]),
                reasons,
                strict,
            ]
        )
        values.append(
            [
                r["task"],
                r["domain"],
                r["n"],
                r["successes"],
                -1 if r["rate"] is None else r["rate"],
                r["ci_low"],
                -1 if r["mean_steps"] is None else r["mean_steps"],
                r["policy_errors"],
                r["infra_errors"],
                reasons,
                strict,
            ]
        )
    if not any(r["extra_conditions"] for r in run["tasks"]):  # no task in the run has a strict variant
        header, rows, values = header[:-1], [row[:-1] for row in rows], [value[:-1] for value in values]
    return header, rows, values


DOMAIN_HEADER = ["task", "clean %", "clean 95% CI", "randomized %", "randomized 95% CI", "drop (points)"]


def domain_rows(run: dict[str, Any]) -> list[list[str]]:
    """Clean and randomized side by side per task (only when the run has both)."""
    by_task: dict[str, dict[str, dict]] = {}
    for r in run["tasks"]:
        by_task.setdefault(r["task"], {})[r["domain"]] = r
    rows = []
    for task, domains in sorted(by_task.items()):
        if {"clean", "randomized"} <= set(domains):
            c, r = domains["clean"], domains["randomized"]
            rows.append(
                [
                    task,
                    pct(c["rate"]),
                    interval(c["ci_low"], c["ci_high"]),
                    pct(r["rate"]),
                    interval(r["ci_low"], r["ci_high"]),
                    "-" if None in (r["rate"], c["rate"]) else pct(r["rate"] - c["rate"], True),
                ]
            )
    return rows


def overall_rows(run: dict[str, Any]) -> list[list[str]]:
    return [
        [domain, str(o["tasks"]), pct(o["score"]), interval(o["ci_low"], o["ci_high"])]
        for domain, o in sorted(run["overall"].items())
    ]


def time_row(run: dict[str, Any]) -> list[str]:
    t = run["time"]
    per_hour = "-" if t["episodes_per_hour"] is None else f"{t['episodes_per_hour']:.0f}"
    return [
        run["run_id"],
        f"{t['policy_s']:.2f}",
        f"{t['sim_s']:.2f}",
        f"{t['render_s']:.2f}",
        f"{t['other_s']:.2f}",
        f"{t['duration_s']:.2f}",
        per_hour,
        str(t.get("workers") or "-"),
    ]


TIME_HEADER = ["run", "policy s", "simulation s", "rendering s", "other s", "episode s", "episodes/hour", "workers"]
OVERALL_HEADER = ["domain", "tasks", "score %", "95% CI (bootstrap)"]
COMPARE_HEADER = ["task", "domain", "paired", "n", "difference (points)", "95% CI", "McNemar p", "significant"]


def comparison_rows(comparison: dict[str, Any]) -> list[list[str]]:
    return [
        [
            r["task"],
            r["domain"],
            "yes" if r["paired"] else "no",
            str(r["n"]),
            pct(r["diff"], True),
            interval(r["low"], r["high"], True),
            "-" if r["p_value"] is None else f"{r['p_value']:.3f}",
            "yes" if r["significant"] else "no",
        ]
        for r in comparison["per_task"]
    ]


def published_rows(published: list[dict[str, Any]]) -> list[list[str]]:
    def score(value):
        return "-" if value is None else f"{value:.2f}"

    return [[p["method"], score(p["clean"]), score(p["randomized"]), p["protocol"], p["source"]] for p in published]


# ----- markdown -----
IMAGINATION_HEADER = [
    "task",
    "domain",
    "episodes",
    "success %",
    "imagined PSNR (dB)",
    "imagined SSIM",
    "SSIM successes",
    "SSIM failures",
    "p (Mann-Whitney)",
    "success % SSIM < median",
    "success % SSIM >= median",
]


def imagination_table(run: dict[str, Any]) -> list[list[str]]:
    def num(value: float | None, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    return [
        [
            r["task"],
            r["domain"],
            str(r["n"]),
            pct(r["rate"]),
            num(r["psnr"], 2),
            num(r["ssim"]),
            num(r["ssim_successes"]),
            num(r["ssim_failures"]),
            num(r["p_value"]),
            pct(r["rate_below_median"]),
            pct(r["rate_above_median"]),
        ]
        for r in run.get("imagination") or []
    ]


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(summary: dict[str, Any], figures: dict[str, Path], folder: Path) -> str:
    out = ["# Motus evaluation report", "", f"Generated {summary['generated_at']} from ledgers only.", ""]
    out += ["## Methods", ""] + [f"- {name.replace('_', ' ')}: {text}" for name, text in summary["methods"].items()]
    for run in summary["runs"]:
        out += [
            "",
            f"## Run {run['label']}",
            "",
            f"Protocol `{run['protocol']}`, {run['episodes']} scored episodes"
            + ("" if run["complete"] else f" of {run['expected_episodes']} expected (**incomplete run**)")
            + (
                f"; {run['infra_errors']} infrastructure error(s), excluded from the rates (`motus-eval --resume` "
                "retries them)"
                if run["infra_errors"]
                else ""
            )
            + ".",
            "",
        ]
        out += ["### Overall", "", md_table(OVERALL_HEADER, overall_rows(run)), ""]
        if domain_rows(run):
            out += ["### Clean vs randomized", "", md_table(DOMAIN_HEADER, domain_rows(run)), ""]
        header, rows, _ = task_table(run)
        out += ["### Per task", "", md_table(header, rows), ""]
        if imagination_table(run):
            out += ["### Imagination gap (imagined vs rendered frames)", ""]
            out += [md_table(IMAGINATION_HEADER, imagination_table(run)), ""]
        if run["failure_videos"]:
            out += ["### Failure videos", ""]
            out += [
                f"- {v['task']} ({v['domain']}) seed {v['seed']}: [{Path(v['video']).name}]"
                f"({os.path.relpath(v['video'], folder)})"
                for v in run["failure_videos"]
            ]
    for comparison in summary["comparisons"]:
        out += ["", f"## {comparison['run']} vs {comparison['baseline']}", ""]
        out += [f"- {line}" for line in comparison["statements"]]
        out += ["", md_table(COMPARE_HEADER, comparison_rows(comparison))]
    out += ["", "## Where time goes", "", md_table(TIME_HEADER, [time_row(run) for run in summary["runs"]]), ""]
    out += ["## Figures", ""] + [f"![{name}]({path.relative_to(folder)})" for name, path in figures.items()]
    if summary["published"]:
        out += ["", "## Published scores (original RoboTwin, for context)", "", f"*{NOTE_PUBLISHED}*", ""]
        out += [
            md_table(["method", "clean %", "randomized %", "protocol", "source"], published_rows(summary["published"]))
        ]
    return "\n".join(out) + "\n"


# ----- HTML -----
def html_table(
    header: list[str],
    rows: list[list[str]],
    values: list[list[Any]] | None = None,
    sortable: bool = False,
    table_id: str = "",
) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            value = "" if values is None else f' data-value="{html.escape(str(values[i][j]))}"'
            cells.append(f"<td{value}>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    attributes = (' class="sortable"' if sortable else "") + (f' id="{table_id}"' if table_id else "")
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def render_html(summary: dict[str, Any], figures: dict[str, Path], folder: Path) -> str:
    parts = [
        f"<h1>Motus evaluation report</h1><p class='note'>Generated {summary['generated_at']} from ledgers "
        "only. Click a column header to sort.</p><h2>Methods</h2><ul>"
    ]
    parts += [
        f"<li>{html.escape(name.replace('_', ' '))}: {html.escape(text)}</li>"
        for name, text in summary["methods"].items()
    ]
    parts.append("</ul>")
    for index, run in enumerate(summary["runs"]):
        status = (
            ""
            if run["complete"]
            else (f" <span class='warn'>incomplete: {run['episodes']} of {run['expected_episodes']} episodes</span>")
        )
        if run["infra_errors"]:
            status += (
                f" <span class='warn'>{run['infra_errors']} infrastructure error(s), excluded from the rates "
                "(motus-eval --resume retries them)</span>"
            )
        parts.append(
            f"<h2>Run {html.escape(run['label'])}</h2><p>Protocol <code>{html.escape(run['protocol'])}"
            f"</code>, {run['episodes']} scored episodes.{status}</p>"
        )
        parts.append("<h3>Overall</h3>" + html_table(OVERALL_HEADER, overall_rows(run)))
        if domain_rows(run):
            parts.append("<h3>Clean vs randomized</h3>" + html_table(DOMAIN_HEADER, domain_rows(run), sortable=True))
        header, rows, values = task_table(run)
        parts.append("<h3>Per task</h3>" + html_table(header, rows, values, sortable=True, table_id=f"tasks-{index}"))
        if imagination_table(run):
            table = html_table(IMAGINATION_HEADER, imagination_table(run), sortable=True)
            parts.append("<h3>Imagination gap (imagined vs rendered frames)</h3>" + table)
        if run["failure_videos"]:
            links = "".join(
                f"<li>{html.escape(v['task'])} ({v['domain']}) seed {v['seed']}: "
                f"<a href='{html.escape(os.path.relpath(v['video'], folder))}'>{html.escape(Path(v['video']).name)}</a>"
                "</li>"
                for v in run["failure_videos"]
            )
            parts.append(f"<h3>Failure videos</h3><ul>{links}</ul>")
    for comparison in summary["comparisons"]:
        parts.append(f"<h2>{html.escape(comparison['run'])} vs {html.escape(comparison['baseline'])}</h2><ul>")
        parts += [f"<li>{html.escape(line)}</li>" for line in comparison["statements"]]
        parts.append("</ul>" + html_table(COMPARE_HEADER, comparison_rows(comparison), sortable=True))
    parts.append("<h2>Where time goes</h2>" + html_table(TIME_HEADER, [time_row(run) for run in summary["runs"]]))
    parts.append("<h2>Figures</h2>")
    parts += [f"<img alt='{name}' src='{data_uri(path)}'>" for name, path in figures.items()]
    if summary["published"]:
        parts.append(f"<h2>Published scores (original RoboTwin, for context)</h2><p class='note'>{NOTE_PUBLISHED}</p>")
        parts.append(
            html_table(
                ["method", "clean %", "randomized %", "protocol", "source"], published_rows(summary["published"])
            )
        )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Motus evaluation report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(parts)}<script>{SORT_SCRIPT}</script></body></html>\n"
    )
