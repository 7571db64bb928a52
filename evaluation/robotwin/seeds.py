"""The seeds a RoboTwin run evaluates, found the way RoboTwin finds them and kept as that run's protocol.

There is no committed list for a user's checkout: its assets, code and machine decide which candidates the expert
solves. So each run examines candidates in RoboTwin's order (100000 x (1 + base seed), +1, ...) with RoboTwin's expert
check until every (task, task config) has the seeds asked for, and writes each list to ``<run>/protocol/<domain>/
<task>.json`` after every round: with the instruction each accepted seed gets, and why each rejected one was skipped.
A resumed run reads the lists back instead of checking again, so its episodes are the ones it started with.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from envs.files import atomic_write
from envs.seeds import eval_seed_candidates
from workers.candidates import SearchStopped, search_candidates

ROUND_CANDIDATES = 4  # candidates per list per round: a list reaches the disk after each round


@dataclass
class RunSeedList:
    """One (task, domain)'s candidates so far, in candidate order."""

    task: str
    domain: str
    task_config: str
    base_seed: int
    seeds: list[dict[str, Any]] = field(default_factory=list)  # {"seed", "instruction", "info"} per accepted seed
    rejected: dict[str, str] = field(default_factory=dict)  # seed -> "<kind>: <detail>"
    tried: int = 0
    run_dir: Path | None = field(default=None, repr=False)  # where the list is saved (not part of it)

    @staticmethod
    def location(run_dir: Path, domain: str, task: str) -> Path:
        return Path(run_dir) / "protocol" / domain / f"{task}.json"

    @classmethod
    def load_or_new(cls, run_dir: Path, task: str, domain: str, task_config: str, base_seed: int) -> RunSeedList:
        path = cls.location(run_dir, domain, task)
        if path.is_file():
            return cls(**json.loads(path.read_text()), run_dir=run_dir)
        return cls(task=task, domain=domain, task_config=task_config, base_seed=base_seed, run_dir=run_dir)

    def accepted_count(self) -> int:
        return len(self.seeds)

    def next_candidates(self, count: int) -> list[int]:
        return list(eval_seed_candidates(self.tried + count, self.base_seed))[self.tried :]

    def record(self, seed: int, result: dict[str, Any]) -> None:
        if result["accepted"]:
            self.seeds.append({"seed": int(seed), "instruction": result["instruction"], "info": result["info"]})
        else:
            self.rejected[str(seed)] = result["reason"]
        self.tried += 1

    def rejections(self) -> str:
        kinds: dict[str, int] = {}
        for reason in self.rejected.values():
            kind = reason.split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        examples = list(self.rejected.items())[-2:]
        return f"rejections: {kinds}, e.g. " + "; ".join(f"seed {s}: {r}" for s, r in examples)

    def save(self) -> None:
        content = {key: value for key, value in asdict(self).items() if key != "run_dir"}
        text = json.dumps(content, indent=1, sort_keys=True, default=str) + "\n"
        atomic_write(self.location(self.run_dir, self.domain, self.task), text)


def find_run_seeds(
    pool,
    run_dir: Path,
    task_configs: dict[str, str],
    tasks: list[str],
    base_seed: int,
    seeds: int,
    max_candidates: int,
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every (task, domain)'s first ``seeds`` accepted seeds, checking only the candidates its saved list lacks."""
    lists = {
        (task, domain): RunSeedList.load_or_new(run_dir, task, domain, config, base_seed)
        for task in tasks
        for domain, config in task_configs.items()
    }
    missing = sum(max(0, seeds - s.accepted_count()) for s in lists.values())
    if missing:
        with tqdm(total=missing, desc="expert check (RoboTwin)", unit="seed", disable=None) as bar:
            search_candidates(
                pool,
                lists,
                "expert_check",
                seeds,
                max_candidates,
                ROUND_CANDIDATES,
                on_result=lambda item, result: bar.update(int(bool(result.get("accepted")))),
            )
    return {key: seed_list.seeds[:seeds] for key, seed_list in lists.items()}


__all__ = ["RunSeedList", "SearchStopped", "find_run_seeds"]
