"""Robot assets: the Franka Panda description taken from the ``mani-skill==3.0.1`` wheel on PyPI.

RoboTwin's own assets live on a model hub we cannot reach, so the robot comes from a registry package instead.
The wheel is only downloaded and unpacked (never installed: it pins an old mplib). ``make setup``
is the set-up step; at run time :func:`panda_dir` finds the cache or says which step to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_SPEC = "mani-skill==3.0.1"
WHEEL_ROBOT_PREFIX = "mani_skill/assets/robots/panda/"
REQUIRED_FILES = ("panda_v2.urdf", "panda_v2.srdf", "franka_description/meshes/collision/link0.stl")


class AssetsMissingError(RuntimeError):
    """Raised when the robot assets have not been installed by the set-up step."""


def cache_root() -> Path:
    """Root of the project's user cache (``$MOTUS_CACHE`` or ``~/.cache/motus``)."""
    return Path(os.environ.get("MOTUS_CACHE", Path.home() / ".cache" / "motus"))


def panda_dir(*, required: bool = True) -> Path:
    """Directory holding ``panda_v2.urdf``/``.srdf`` and meshes; raises a set-up hint when absent."""
    path = cache_root() / "robots" / "panda"
    if required and not all((path / name).exists() for name in REQUIRED_FILES):
        raise AssetsMissingError(
            f"Panda robot assets not found in {path}. Run `make setup` to unpack them from the {WHEEL_SPEC} wheel."
        )
    return path


def ensure_panda_assets(wheel: Path | None = None) -> Path:
    """Unpack the Panda description into the cache unless it is already there; returns its directory."""
    target = panda_dir(required=False)
    if all((target / name).exists() for name in REQUIRED_FILES):
        return target
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", WHEEL_SPEC, "-d", tmp],
                check=True,
            )
            wheel = next(Path(tmp).glob("mani_skill-*.whl"))
        staging = Path(tmp) / "unpacked"
        with zipfile.ZipFile(wheel) as archive:
            members = [n for n in archive.namelist() if n.startswith(WHEEL_ROBOT_PREFIX) and not n.endswith("/")]
            archive.extractall(staging, members)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.move(str(staging / WHEEL_ROBOT_PREFIX), partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)  # atomic: a crash never leaves a half-filled cache behind
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["ensure"]:
        print("usage: envs.assets.main(['ensure'])", file=sys.stderr)
        return 2
    print(f"[setup] robot assets in {ensure_panda_assets()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
