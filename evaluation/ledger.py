"""The run ledger: ``<out>/<run_id>/run.json`` and ``episodes.jsonl``, one JSON object per finished episode.

Each line is appended, flushed and fsync'ed as its episode finishes, so a run killed at any moment keeps every episode
it finished. A line cut short by the kill is dropped (with a warning) when the ledger is reopened, and that episode
runs again; nothing is duplicated because finished episodes are skipped by (task, domain, seed).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EPISODE_KEYS = (
    "run_id",
    "task",
    "domain",
    "seed",
    "episode",
    "agent",
    "success",
    "steps",
    "step_limit",
    "instruction",
    "error",
    "duration_s",
    "policy_s",
    "sim_s",
    "render_s",
    "video",
)


class LedgerError(RuntimeError):
    pass


def read_episodes(path: Path) -> list[dict[str, Any]]:
    """Every complete episode line of a ledger; a truncated or corrupt line is skipped with a warning."""
    episodes = []
    if not path.is_file():
        return episodes
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                log.warning("%s: line %d is incomplete (the run was killed mid-write); ignoring it", path, number)
                continue
            try:
                episodes.append(json.loads(raw))
            except json.JSONDecodeError:
                log.warning("%s: line %d is not valid JSON; ignoring it", path, number)
    return episodes


class RunLedger:
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.run_file = self.run_dir / "run.json"
        self.episodes_file = self.run_dir / "episodes.jsonl"

    def exists(self) -> bool:
        return self.run_file.is_file()

    def read_run(self) -> dict[str, Any]:
        try:
            return json.loads(self.run_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise LedgerError(f"cannot read {self.run_file}: {exc}") from exc

    def write_run(self, meta: dict[str, Any]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.run_file.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(meta, indent=1, sort_keys=True))
        os.replace(temporary, self.run_file)

    def episodes(self) -> list[dict[str, Any]]:
        return read_episodes(self.episodes_file)

    def finished(self) -> set[tuple[str, str, int]]:
        return {(e["task"], e["domain"], int(e["seed"])) for e in self.episodes()}

    def _drop_partial_tail(self) -> None:
        """Cut an incomplete last line so the next append starts on a fresh line."""
        if not self.episodes_file.is_file():
            return
        data = self.episodes_file.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.episodes_file.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def open(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._drop_partial_tail()

    def append(self, record: dict[str, Any]) -> None:
        missing = [k for k in EPISODE_KEYS if k not in record]
        if missing:
            raise LedgerError(f"episode record lacks keys {missing}")
        line = json.dumps(record, sort_keys=False) + "\n"
        with self.episodes_file.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
