"""Dataset readers for the Motus RoboTwin layout, and the release's sample cutting.

A sample starts at a condition frame c of an episode: the state is qpos[c]; the actions are qpos[c + s],
qpos[c + 2s], ..., qpos[c + K s] (s = ``downsample``, K = the action chunk); the video frames are the frames at
c + r s, c + 2 r s, ..., c + F r s (r = ``video_action_freq_ratio``, F = ``num_video_frames``), so the predicted frames
span the same time as the actions. Indices past the end repeat the last frame (the robot holds its final target).
Every frame index of an episode but the last is a possible condition frame.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)


class DatasetError(ValueError):
    """A dataset folder or episode that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Episode:
    task: str
    domain: str
    qpos: Path
    video: Path
    instruction: Path
    embedding: Path


@dataclass(frozen=True)
class Cutting:
    num_video_frames: int = 8
    video_action_freq_ratio: int = 2
    downsample: int = 1

    @property
    def action_chunk(self) -> int:
        return self.num_video_frames * self.video_action_freq_ratio

    def indices(self, condition: int, length: int) -> tuple[list[int], list[int]]:
        """(action frame indices, video frame indices) for a condition frame, clamped to the episode."""
        actions = [min(condition + k * self.downsample, length - 1) for k in range(1, self.action_chunk + 1)]
        step = self.downsample * self.video_action_freq_ratio
        video = [min(condition + j * step, length - 1) for j in range(1, self.num_video_frames + 1)]
        return actions, video


def scan_robotwin(root: str | Path, domain: str = "clean", tasks: list[str] | None = None) -> list[Episode]:
    """Episodes of the RoboTwin layout (``<root>/<domain>/<task>/{qpos,videos,metas,umt5_wan}/<i>``); ``domain``
    may be clean, randomized or both; ``tasks`` None means every task folder (multi-task)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    domains = ["clean", "randomized"] if domain == "both" else [domain]
    episodes = []
    for name in domains:
        split = root / name
        if not split.is_dir():
            continue
        folders = [split / t for t in tasks] if tasks else sorted(p for p in split.iterdir() if p.is_dir())
        for folder in folders:
            if not (folder / "qpos").is_dir():
                raise DatasetError(f"{folder} has no qpos/ folder (not a Motus RoboTwin task folder)")
            for qpos in sorted((folder / "qpos").glob("*.pt"), key=lambda p: (len(p.stem), p.stem)):
                episode = Episode(
                    folder.name,
                    name,
                    qpos,
                    folder / "videos" / f"{qpos.stem}.mp4",
                    folder / "metas" / f"{qpos.stem}.txt",
                    folder / "umt5_wan" / f"{qpos.stem}.pt",
                )
                missing = [p for p in (episode.video, episode.embedding) if not p.is_file()]
                if missing:
                    raise DatasetError(f"episode {qpos} lacks {', '.join(str(p) for p in missing)}")
                episodes.append(episode)
    if not episodes:
        raise DatasetError(f"no episodes under {root} for domain {domain!r}" + (f" and tasks {tasks}" if tasks else ""))
    return episodes


def scan_real_world(root: str | Path, tasks: list[str] | None = None) -> list[Episode]:
    """Episodes of the real-robot layout (ac_one, aloha_agilex_2): ``<root>/<category>/<variant>/{videos,qpos}/<i>``
    with one instruction per variant (``instructions/task.txt`` and its umT5 embedding ``instructions/task.pt``).
    The task name is ``<category>/<variant>``; ``tasks`` selects by that name or by category."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    episodes = []
    for folder in sorted(p.parent for p in root.glob("*/*/qpos") if p.is_dir()):
        name = f"{folder.parent.name}/{folder.name}"
        if tasks and name not in tasks and folder.parent.name not in tasks:
            continue
        instruction, embedding = folder / "instructions" / "task.txt", folder / "instructions" / "task.pt"
        if not embedding.is_file():
            raise DatasetError(f"{folder} lacks {embedding} (the variant's umT5 instruction embedding)")
        for qpos in sorted((folder / "qpos").glob("*.pt"), key=lambda p: (len(p.stem), p.stem)):
            video = folder / "videos" / f"{qpos.stem}.mp4"
            if not video.is_file():
                raise DatasetError(f"episode {qpos} lacks {video}")
            episodes.append(Episode(name, "real", qpos, video, instruction, embedding))
    if not episodes:
        raise DatasetError(f"no episodes under {root}" + (f" for tasks {tasks}" if tasks else ""))
    return episodes


DATASET_TYPES = {"robotwin": "RoboTwin layout", "ac_one": "real-world layout", "aloha_agilex_2": "real-world layout"}


def scan_dataset(kind: str, root: str | Path, domain: str = "clean", tasks: list[str] | None = None) -> list[Episode]:
    """The episodes of a dataset of the given type (the seed README's ``dataset.type``)."""
    if kind == "robotwin":
        return scan_robotwin(root, domain, tasks)
    if kind in ("ac_one", "aloha_agilex_2"):
        return scan_real_world(root, tasks)
    raise DatasetError(f"unknown dataset type {kind!r}; valid: {', '.join(DATASET_TYPES)}")


@lru_cache(maxsize=64)
def decode_video(path: str, height: int, width: int) -> np.ndarray:
    """All frames of an episode video as uint8 [T, height, width, 3] (cached: samples reuse their episode)."""
    import av

    from motus.images import resize

    with av.open(path) as container:
        frames = [resize(f.to_ndarray(format="rgb24"), height, width) for f in container.decode(video=0)]
    if not frames:
        raise DatasetError(f"{path} holds no video frames")
    return np.stack(frames)


class MotusDataset(torch.utils.data.Dataset):
    """Samples (condition frame, future frames, state, action chunk, instruction, umT5 embedding) for training."""

    def __init__(
        self, episodes: list[Episode], cutting: Cutting, height: int, width: int, text_dim: int, skip_bad: bool = False
    ):
        self.cutting, self.height, self.width, self.text_dim = cutting, height, width, text_dim
        self.episodes, self.index = [], []
        for episode in episodes:
            try:
                length = self._check(episode)
            except DatasetError as exc:
                if not skip_bad:
                    raise
                log.warning("skipping a bad episode: %s", exc)
                continue
            number = len(self.episodes)
            self.episodes.append(episode)
            self.index += [(number, condition) for condition in range(length - 1)]
        if not self.index:
            raise DatasetError("no usable samples in the dataset")

    def _check(self, episode: Episode) -> int:
        qpos = torch.load(episode.qpos, map_location="cpu", weights_only=True)
        if qpos.dim() != 2 or qpos.shape[0] < 2:
            raise DatasetError(f"{episode.qpos}: qpos must be [T >= 2, dim], got {tuple(qpos.shape)}")
        if not torch.isfinite(qpos).all():
            raise DatasetError(f"{episode.qpos}: qpos holds NaN or infinite values")
        frames = decode_video(str(episode.video), self.height, self.width).shape[0]
        if frames != qpos.shape[0]:
            raise DatasetError(f"{episode.video}: {frames} frames but {episode.qpos} has {qpos.shape[0]} rows")
        embedding = torch.load(episode.embedding, map_location="cpu", weights_only=True)
        if isinstance(embedding, list):
            embedding = embedding[0]
        if embedding.dim() != 2 or embedding.shape[1] != self.text_dim:
            raise DatasetError(
                f"{episode.embedding}: embedding {tuple(embedding.shape)}, expected [L, {self.text_dim}]"
            )
        return int(qpos.shape[0])

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, item: int) -> dict[str, Any]:
        number, condition = self.index[item]
        episode = self.episodes[number]
        qpos = torch.load(episode.qpos, map_location="cpu", weights_only=True).float()
        frames = decode_video(str(episode.video), self.height, self.width)
        actions, video = self.cutting.indices(condition, len(qpos))
        embedding = torch.load(episode.embedding, map_location="cpu", weights_only=True)
        return {
            "video": frames[[condition, *video]],
            "state": qpos[condition].numpy(),
            "actions": qpos[actions].numpy(),
            "instruction": episode.instruction.read_text().strip() if episode.instruction.is_file() else "",
            "t5": embedding[0] if isinstance(embedding, list) else embedding,
            "task": episode.task,
        }


def collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "video": np.stack([s["video"] for s in samples]),
        "state": np.stack([s["state"] for s in samples]),
        "actions": np.stack([s["actions"] for s in samples]),
        "instruction": [s["instruction"] for s in samples],
        "t5": [s["t5"] for s in samples],
    }


def dataset_summary(dataset: MotusDataset) -> dict[str, Any]:
    tasks: dict[str, int] = {}
    for episode in dataset.episodes:
        tasks[episode.task] = tasks.get(episode.task, 0) + 1
    return {
        "episodes": len(dataset.episodes),
        "samples": len(dataset),
        "tasks": tasks,
        "cutting": json.loads(json.dumps(dataset.cutting.__dict__)),
    }
