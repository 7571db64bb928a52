"""The evaluation protocol: expert-verified seed manifests, computed once and cached.

RoboTwin's rule: candidates 100000 x (1 + base seed), 100000 + 1, ...; a candidate is kept when the scripted expert
solves it. A manifest (one per protocol version, embodiment, domain and task) records the accepted seeds in order, the
rejected ones with their reason, and the expert's actions for every accepted seed, so no evaluation episode ever reruns
the expert and the expert agent replays exactly what was verified. A manifest written by other simulator code (any
change under ``envs/``) is stale and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from agents.expert import expert_actions_file
from envs.seeds import eval_seed_candidates

PROTOCOL_VERSION = "embedded-v1"
ROOT = Path(__file__).resolve().parents[1]


def envs_revision() -> str:
    """A hash of the simulator's source and embodiment configs: what a verified seed depends on."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "envs").rglob("*.py")) + sorted((ROOT / "configs" / "embodiment").glob("*.yaml"))
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class SeedManifest:
    task: str
    domain: str
    embodiment: str
    protocol: str = PROTOCOL_VERSION
    revision: str = ""
    base_seed: int = 0
    accepted: list[int] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # seed -> reason
    tried: int = 0  # candidates examined so far, in order

    @staticmethod
    def versioned(root: Path) -> Path:
        """``results/seed_manifests/<protocol>``: the expert agent's ``actions_root``."""
        return Path(root) / PROTOCOL_VERSION

    def path(self, root: Path) -> Path:
        return self.versioned(root) / self.embodiment / self.domain / f"{self.task}.json"

    def actions_path(self, root: Path, seed: int) -> Path:
        return expert_actions_file(self.versioned(root), self.embodiment, self.domain, self.task, seed)

    def next_candidates(self, count: int) -> list[int]:
        return list(eval_seed_candidates(self.tried + count, self.base_seed))[self.tried :]

    def record(self, seed: int, actions: np.ndarray | None, reason: str | None, root: Path) -> None:
        """Record one verified candidate (call in candidate order)."""
        if actions is not None:
            path = self.actions_path(root, seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, np.asarray(actions, dtype=np.float32))
            self.accepted.append(seed)
        else:
            self.rejected[str(seed)] = reason or "rejected"
        self.tried += 1

    def save(self, root: Path) -> None:
        path = self.path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(self), indent=1))
        os.replace(temporary, path)  # a crash mid-write never leaves a broken manifest

    @classmethod
    def load(cls, root: Path, task: str, domain: str, embodiment: str) -> SeedManifest:
        """The cached manifest, or a fresh one when there is none or it is stale."""
        revision = envs_revision()
        fresh = cls(task=task, domain=domain, embodiment=embodiment, revision=revision)
        path = fresh.path(root)
        if not path.is_file():
            return fresh
        try:
            manifest = cls(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError):
            return fresh
        return manifest if manifest.revision == revision else fresh

    def expert_actions(self, root: Path, seed: int) -> np.ndarray:
        return np.load(self.actions_path(root, seed))
