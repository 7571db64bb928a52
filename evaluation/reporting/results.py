"""Reading finished runs for reports: a run folder's ``run.json`` and ``episodes.jsonl``, with clear errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.ledger import LedgerError, RunLedger, outcome_of


class RunLoadError(ValueError):
    """A run folder that is missing, has no run.json, or has no finished episode."""


@dataclass
class Run:
    path: Path
    meta: dict[str, Any]
    episodes: list[dict[str, Any]]

    @property
    def run_id(self) -> str:
        return str(self.meta.get("run_id", self.path.name))

    @property
    def protocol(self) -> str:
        """The protocol's name; a RoboTwin run's own seeds also name the checkout they were found on, so runs on
        two RoboTwin revisions are never ranked as one benchmark."""
        robotwin = self.meta.get("robotwin")
        if robotwin:
            commit = (robotwin.get("commit") or "unknown")[:10] + ("+dirty" if robotwin.get("dirty") else "")
            return f"{self.meta.get('protocol', 'robotwin-run')} (RoboTwin {robotwin.get('layout')} layout @ {commit})"
        return str(self.meta.get("protocol", "unknown"))

    @property
    def domains(self) -> list[str]:
        return sorted({e["domain"] for e in self.episodes})

    @property
    def expected_episodes(self) -> int:
        return len(self.meta.get("tasks", [])) * int(self.meta.get("seeds", 0)) * len(self.meta.get("domains", []))

    @property
    def complete(self) -> bool:
        """Every planned episode has a scored outcome (an infrastructure error leaves the run incomplete)."""
        scored = sum(outcome_of(e) != "infra_error" for e in self.episodes)
        return scored >= self.expected_episodes

    def label(self) -> str:
        checkpoint = (self.meta.get("checkpoint") or {}).get("path")
        return (
            f"{self.run_id} ({self.meta.get('agent', '?')}" + (f", {Path(checkpoint).name}" if checkpoint else "") + ")"
        )


def load_run(path: str | Path) -> Run:
    path = Path(path)
    if not path.is_dir():
        raise RunLoadError(f"{path}: no such run folder")
    ledger = RunLedger(path)
    if not ledger.exists():
        raise RunLoadError(f"{path}: no run.json (not a motus-eval run folder)")
    try:
        meta = ledger.read_run()
    except LedgerError as exc:
        raise RunLoadError(str(exc)) from exc
    if not ledger.episodes_file.is_file():
        raise RunLoadError(f"{path}: no episodes.jsonl (the run finished no episode yet)")
    episodes = ledger.episodes()
    if not episodes:
        raise RunLoadError(f"{path}: episodes.jsonl holds no complete episode")
    return Run(path, meta, episodes)


def find_runs(root: str | Path) -> list[Path]:
    """Every run folder (one with a run.json) directly under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise RunLoadError(f"{root}: no such results folder")
    return sorted(p for p in root.iterdir() if (p / "run.json").is_file())
