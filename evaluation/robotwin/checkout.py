"""A user's RoboTwin 2.0 checkout as the orchestrator sees it, from its files alone (the orchestrating process has the
harness's own ``envs`` package, so it never imports RoboTwin's): the layout, the git revision, the tasks, the task
configs with their step limits and robot, and whether the downloaded assets are there.

Two layouts exist. The current one (RoboTwin ``main`` since 2026-08) keeps task configs in ``env_cfg/task_config/``
and scripts in ``scripts/``; the legacy one, used for every 2025 result (branch ``stable_2.0``), keeps them in
``task_config/`` and ``script/``. Everything RoboTwin reads here is relative to the checkout (``./assets/...``), which
is why its workers run from inside it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from motus_client.robotwin import ROBOTWIN_EMBODIMENTS, TASK_CONFIG_DOMAINS

LAYOUTS = {  # layout -> (task config folder, scripts folder)
    "current": ("env_cfg/task_config", "scripts"),
    "legacy": ("task_config", "script"),
}
ASSET_FOLDERS = ("embodiments", "objects", "background_texture")  # what RoboTwin's _download_assets.sh unpacks
DEFAULT_STEP_LIMIT = 1000  # RoboTwin's own, for a task missing from _eval_step_limit.yml


class RoboTwinCheckoutError(ValueError):
    """The folder is not a usable RoboTwin checkout; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class RoboTwinCheckout:
    root: Path
    layout: str  # "current" | "legacy"
    config_dir: Path
    scripts_dir: Path

    @classmethod
    def open(cls, root: str | Path | None) -> RoboTwinCheckout:
        if not root:
            raise RoboTwinCheckoutError("--backend robotwin needs --robotwin-root DIR (a RoboTwin 2.0 checkout)")
        path = Path(root).expanduser().resolve()
        if not path.is_dir():
            raise RoboTwinCheckoutError(f"--robotwin-root {root}: no such folder")
        if not (path / "envs" / "_base_task.py").is_file():
            raise RoboTwinCheckoutError(
                f"--robotwin-root {root}: not a RoboTwin 2.0 checkout (no envs/_base_task.py); clone it with "
                "git clone https://github.com/RoboTwin-Platform/RoboTwin"
            )
        for layout, (configs, scripts) in LAYOUTS.items():
            if (path / configs / "_eval_step_limit.yml").is_file():
                return cls(path, layout, path / configs, path / scripts)
        raise RoboTwinCheckoutError(
            f"--robotwin-root {root}: found no task configs (neither env_cfg/task_config/ of the current layout nor "
            "task_config/ of the legacy one, each with _eval_step_limit.yml)"
        )

    def tasks(self) -> list[str]:
        """RoboTwin's tasks: one module per task in ``envs/``, named as its class (helpers start with ``_``)."""
        return sorted(p.stem for p in (self.root / "envs").glob("*.py") if not p.stem.startswith("_"))

    def parse_tasks(self, spec: str) -> list[str]:
        available = self.tasks()
        if spec == "all":
            return available
        tasks = [t.strip() for t in str(spec).split(",") if t.strip()]
        unknown = [t for t in tasks if t not in available]
        if unknown or not tasks:
            raise RoboTwinCheckoutError(
                f"unknown RoboTwin task(s) {', '.join(unknown) or repr(spec)} in {self.root}/envs; valid: all or "
                + ", ".join(available)
            )
        return tasks

    def task_config_names(self) -> list[str]:
        return sorted(p.stem for p in self.config_dir.glob("*.yml") if not p.stem.startswith("_"))

    def task_config(self, name: str) -> dict[str, Any]:
        path = self.config_dir / f"{name}.yml"
        if not path.is_file():
            raise RoboTwinCheckoutError(
                f"unknown task config {name!r}: no {path}; valid: {', '.join(self.task_config_names())}"
            )
        return yaml.safe_load(path.read_text()) or {}

    def step_limits(self, tasks: list[str]) -> dict[str, int]:
        limits = self._config_file("_eval_step_limit.yml")
        return {task: int(limits.get(task, DEFAULT_STEP_LIMIT)) for task in tasks}

    def _config_file(self, name: str) -> dict[str, Any]:
        return yaml.safe_load((self.config_dir / name).read_text()) or {}

    def camera_size(self, camera_type: str) -> tuple[int, int]:
        """(height, width) of a camera type (``_camera_config.yml``)."""
        camera = self._config_file("_camera_config.yml")[camera_type]
        return int(camera["h"]), int(camera["w"])

    def robot_files(self, task_config: str) -> dict[str, str]:
        """Each robot the task config names, to its description folder as ``_embodiment_config.yml`` writes it
        (relative to the checkout: RoboTwin opens it from there)."""
        embodiment = self.task_config(task_config).get("embodiment") or []
        table = self._config_file("_embodiment_config.yml")
        files = {}
        for name in [e for e in embodiment if isinstance(e, str)]:
            entry = table.get(name) or {}
            if not entry.get("file_path"):
                raise RoboTwinCheckoutError(
                    f"task config {task_config} names embodiment {name!r}, which {self.config_dir}/"
                    f"_embodiment_config.yml does not map to a folder; known: {', '.join(sorted(table))}"
                )
            files[name] = str(entry["file_path"])
        return files

    def robot_folders(self, task_config: str) -> dict[str, Path]:
        return {name: (self.root / path).resolve() for name, path in self.robot_files(task_config).items()}

    def arm_configs(self, task_config: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The left and the right arm's robot configs (``<robot folder>/config.yml``; one robot serves both arms)."""
        folders = list(self.robot_folders(task_config).values())
        left, right = folders[0], folders[min(1, len(folders) - 1)]
        return tuple(yaml.safe_load((folder / "config.yml").read_text()) for folder in (left, right))

    def embodiment(self, task_config: str) -> str:
        """The robot the task config evaluates, by the harness's name where it has one (``aloha-agilex`` ->
        ``aloha_agilex``); two different arms read ``left+right``."""
        names = [e for e in self.task_config(task_config).get("embodiment") or [] if isinstance(e, str)]
        if not names:
            raise RoboTwinCheckoutError(f"task config {task_config} names no embodiment")
        robot = names[0] if len(names) == 1 else f"{names[0]}+{names[1]}"
        return ROBOTWIN_EMBODIMENTS.get(robot, robot)

    def check_assets(self, task_configs: list[str]) -> None:
        """RoboTwin's downloaded assets: present, and holding the robot of every task config."""
        script = f"bash {self.scripts_dir.name}/_download_assets.sh"
        missing = [name for name in ASSET_FOLDERS if not (self.root / "assets" / name).is_dir()]
        if missing:
            raise RoboTwinCheckoutError(
                f"RoboTwin's assets are missing in {self.root}/assets ({', '.join(missing)}); download them with "
                f"`cd {self.root} && {script}`"
            )
        for task_config in task_configs:
            for name, folder in self.robot_folders(task_config).items():
                if not (folder / "config.yml").is_file():
                    raise RoboTwinCheckoutError(
                        f"embodiment {name!r} of task config {task_config} has no {folder}/config.yml: the assets "
                        f"are incomplete (re-run `cd {self.root} && {script}`)"
                    )

    def revision(self) -> dict[str, Any]:
        """The checkout's git commit and whether it has local changes (None where it is not a git checkout)."""

        def git(*args: str) -> str | None:
            try:
                out = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, timeout=10)
            except (OSError, subprocess.SubprocessError):
                return None
            return out.stdout.strip() if out.returncode == 0 else None

        commit = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no") if commit else None
        return {"commit": commit, "dirty": bool(status) if status is not None else None}

    def describe(self) -> dict[str, Any]:
        """What ``run.json`` records of the checkout."""
        return {
            "root": str(self.root),
            "layout": self.layout,
            "task_config_dir": str(self.config_dir.relative_to(self.root)),
            **self.revision(),
        }


def qpos_width(left_config: dict[str, Any], right_config: dict[str, Any]) -> int:
    """RoboTwin's qpos action: each arm's joints (its robot config's ``arm_joints_name``) and a gripper."""
    return len(left_config["arm_joints_name"][0]) + len(right_config["arm_joints_name"][1]) + 2


def domain_of(task_config: str) -> str:
    """The ledger's domain for a task config: ``clean`` / ``randomized`` for RoboTwin's two, else its own name."""
    return TASK_CONFIG_DOMAINS.get(task_config, task_config)


def task_configs_for(domain: str, task_config: str | None) -> list[str]:
    """``--task-config`` (comma-separated) when given, else RoboTwin's configs for ``--domain``."""
    if task_config:
        return [name.strip() for name in str(task_config).split(",") if name.strip()]
    by_domain = {domain: config for config, domain in TASK_CONFIG_DOMAINS.items()}
    if domain == "both":
        return list(TASK_CONFIG_DOMAINS)
    if domain not in by_domain:
        raise RoboTwinCheckoutError(f"unknown domain {domain!r}; valid: {', '.join(by_domain)}, both")
    return [by_domain[domain]]
