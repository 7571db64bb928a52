"""The offline suite: every inference mode of a Motus checkpoint over held-out expert episodes, each prediction
compared with what the episode really did.

Samples are cut as training cuts them (``train.datasets``: a condition frame, the next K actions, the F frames that
span them), every ``stride``-th condition frame of each task's episodes, at most ``samples_per_task`` per task in a
seeded order. Per mode:

- ``world_model``: the condition frame and the true actions -> frames, against the real frames;
- ``video_generation``: the condition frame alone -> frames;
- ``inverse_dynamics``: the condition frame and the real future frames -> actions, against the true actions;
- ``vla``: the condition frame -> actions (open loop);
- ``joint``: the condition frame -> frames and actions, both compared.

Frame metrics come with two yardsticks per sample (``reference_records``): the condition frame repeated (nothing
moves) and the real clip through the model's VAE (the ceiling of anything that VAE decodes).

Each sample's sampling noise is seeded by (seed, sample id), whatever the batch it falls in. Results are appended
(and fsync'ed) to ``samples.jsonl`` batch by batch, keyed by (model, mode, sample): a killed run resumes where it
stopped and repeats nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from evaluation.world_model.metrics import action_metrics, frame_metrics, latent_distance
from motus.scheduler import MODES

FRAME_MODES = ("world_model", "video_generation", "joint")
REFERENCES = ("copy_condition", "vae_roundtrip")  # what frame metrics mean: a trivial forecast, the VAE's own limit
ACTION_MODES = ("inverse_dynamics", "vla", "joint")
ALL_MODES = ("world_model", "video_generation", "inverse_dynamics", "vla", "joint")


class SuiteError(ValueError):
    """Bad input to the suite (unknown mode, no samples, a results folder of another suite); nothing has run."""


@dataclass
class SuiteSettings:
    models: dict[str, str]  # label -> checkpoint folder ("model", and "baseline" when given)
    data: str
    out: str
    modes: list[str] = field(default_factory=lambda: list(ALL_MODES))
    domain: str = "clean"
    tasks: list[str] | None = None
    config: str | None = None  # the model config, for checkpoints in the released layout
    samples_per_task: int = 16
    stride: int = 8
    batch: int = 4
    seed: int = 0
    num_steps: int | None = None
    device: str = "auto"
    strips: int = 2  # samples per task and mode whose predicted frames are drawn beside the real ones


@dataclass(frozen=True)
class SampleRef:
    id: int
    task: str
    episode: str  # the episode's qpos file, relative to the data folder
    condition: int
    index: int  # position in the dataset's sample index


def parse_modes(spec: str) -> list[str]:
    names = list(ALL_MODES) if spec == "all" else [m.strip() for m in spec.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODES]
    if unknown or not names:
        raise SuiteError(f"unknown mode(s) {', '.join(unknown) or repr(spec)}; valid: all or {', '.join(ALL_MODES)}")
    return names


def build_dataset(settings: SuiteSettings, config):
    from train.datasets import Cutting, DatasetError, MotusDataset, scan_dataset

    try:
        episodes = scan_dataset("robotwin", settings.data, settings.domain, settings.tasks)
        cutting = Cutting(config.num_video_frames, config.video_action_freq_ratio, 1)
        return MotusDataset(
            episodes,
            cutting,
            config.video_height,
            config.video_width,
            config.video.text_dim,
            action_dim=config.action_dim,
        )
    except DatasetError as exc:
        raise SuiteError(str(exc)) from exc


def select_samples(dataset, settings: SuiteSettings) -> list[SampleRef]:
    """Every ``stride``-th condition frame per episode, then a seeded choice of ``samples_per_task`` per task."""
    root = Path(settings.data)
    by_task: dict[str, list[tuple[int, int, int]]] = {}
    for index, (number, condition) in enumerate(dataset.index):
        if condition % settings.stride == 0:
            by_task.setdefault(dataset.episodes[number].task, []).append((index, number, condition))
    samples = []
    for task in sorted(by_task):
        rng = np.random.default_rng([settings.seed, sum(task.encode())])
        candidates = by_task[task]
        chosen = sorted(rng.permutation(len(candidates))[: settings.samples_per_task])
        for position in chosen:
            index, number, condition = candidates[position]
            episode = dataset.episodes[number].qpos.relative_to(root).as_posix()
            samples.append(SampleRef(len(samples), task, episode, condition, index))
    if not samples:
        raise SuiteError(f"no samples in {settings.data} with stride {settings.stride}")
    return samples


class SampleLedger:
    """``samples.jsonl``: one line per (model, mode, sample), appended and fsync'ed as each batch finishes."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / "samples.jsonl"

    def read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        records = []
        for line in self.path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a damaged line: its sample runs again
        return records

    def done(self) -> set[tuple[str, str, int]]:
        """The finished (model, mode, sample) keys, after dropping a last line a kill cut short."""
        if self.path.is_file():
            data = self.path.read_bytes()
            if data and not data.endswith(b"\n"):
                with self.path.open("r+b") as handle:
                    handle.truncate(data.rfind(b"\n") + 1)
        return {(r["model"], r["mode"], r["sample"]) for r in self.read()}

    def append(self, records: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            for record in records:
                handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def clip_latents(runtime, video: np.ndarray) -> np.ndarray:
    """uint8 clips [B, 1 + F, H, W, 3] encoded as training encodes them -> latents [B, 1 + T, C, h, w] (the VAE
    compresses time: T latent steps span the F future frames)."""
    latents = runtime.vae.encode(runtime.frames_to_tensor(video))
    return latents.float().cpu().numpy().transpose(0, 2, 1, 3, 4)


class RealLatents:
    """The real clips' latents, encoded once per sample whatever the number of modes and models that compare with
    them (every model of a suite has the same frozen VAE: they share one model config)."""

    def __init__(self):
        self.cache: dict[int, np.ndarray] = {}

    def get(self, runtime, video: np.ndarray, refs: list[SampleRef]) -> np.ndarray:
        missing = [i for i, ref in enumerate(refs) if ref.id not in self.cache]
        if missing:
            for i, latents in zip(missing, clip_latents(runtime, video[missing]), strict=True):
                self.cache[refs[i].id] = latents
        return np.stack([self.cache[ref.id] for ref in refs])


def per_frame(values: list[float], frames: int) -> list[float]:
    """Per-latent-step values spread over the future frames each latent step covers."""
    return [values[j * len(values) // frames] for j in range(frames)]


def save_strip(path: Path, real: np.ndarray, predicted: np.ndarray) -> None:
    """The real future frames above the predicted ones, left to right in time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [np.concatenate(list(frames), axis=1) for frames in (real, predicted)]
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def strip_samples(samples: list[SampleRef], per_task: int) -> set[int]:
    """The first ``per_task`` samples of each task: those whose frames are drawn."""
    seen: dict[str, int] = {}
    chosen = set()
    for ref in samples:
        if seen.get(ref.task, 0) < per_task:
            chosen.add(ref.id)
            seen[ref.task] = seen.get(ref.task, 0) + 1
    return chosen


def evaluate_batch(
    runtime,
    batch: list[dict[str, Any]],
    refs: list[SampleRef],
    mode: str,
    settings: SuiteSettings,
    label: str,
    strips: set[int],
    real: RealLatents,
) -> list[dict[str, Any]]:
    """One model call for a batch of samples in one mode; returns their ledger records."""
    out = Path(settings.out)
    video = np.stack([s["video"] for s in batch])  # [B, 1 + F, H, W, 3]
    actions = np.stack([s["actions"] for s in batch])
    prediction = runtime.predict(
        video[:, 0],
        [s["instruction"] for s in batch],  # the data's, written for the model's preset (train.datasets)
        np.stack([s["state"] for s in batch]),
        mode=mode,
        num_steps=settings.num_steps,
        seed=[settings.seed * 1_000_003 + ref.id for ref in refs],
        t5_embeddings=[s["t5"] for s in batch],
        decode_video=mode in FRAME_MODES,
        given_actions=actions if mode == "world_model" else None,
        given_frames=video[:, 1:] if mode == "inverse_dynamics" else None,
    )
    real_latents = real.get(runtime, video, refs) if mode in FRAME_MODES else None
    records = []
    for i, ref in enumerate(refs):
        record = {"model": label, "mode": mode, "sample": ref.id, "task": ref.task, "episode": ref.episode}
        record["condition"] = ref.condition
        if mode in FRAME_MODES:
            real, predicted = video[i, 1:], prediction.frames[i, 1:]
            record.update(frame_metrics(predicted, real))
            predicted_latents = prediction.video_latents[i].float().cpu().numpy().transpose(1, 0, 2, 3)
            distance = latent_distance(predicted_latents[1:], real_latents[i, 1:])
            record["latent_distance"] = per_frame(distance, len(real))
            if ref.id in strips:
                strip = Path(out) / "strips" / f"{label}-{mode}-{ref.task}-{ref.id}.png"
                save_strip(strip, real, predicted)
                record["strip"] = strip.relative_to(out).as_posix()
        if mode in ACTION_MODES:
            record.update(action_metrics(prediction.actions[i], actions[i]))
        records.append(record)
    return records


def reference_records(
    runtime, batch: list[dict[str, Any]], refs: list[SampleRef], real: RealLatents
) -> list[dict[str, Any]]:
    """Two yardsticks for the frame metrics, per sample: ``copy_condition`` forecasts that nothing moves (the
    condition frame repeated), ``vae_roundtrip`` is the real clip encoded and decoded by the model's VAE, the best any
    prediction decoded by that VAE can score in pixel space (its latents are the real ones: no latent distance)."""
    import torch

    video = np.stack([s["video"] for s in batch])
    with torch.no_grad():
        decoded = runtime.vae.decode(runtime.vae.encode(runtime.frames_to_tensor(video)))
    roundtrip = ((decoded.permute(0, 2, 3, 4, 1) + 1) * 127.5).round().clamp(0, 255).byte().cpu().numpy()
    still = np.repeat(video[:, :1], video.shape[1], axis=1)
    real_latents, still_latents = real.get(runtime, video, refs), clip_latents(runtime, still)
    records = []
    for i, ref in enumerate(refs):
        real = video[i, 1:]
        for name, predicted in (("copy_condition", still[i, 1:]), ("vae_roundtrip", roundtrip[i, 1:])):
            record = {"model": name, "mode": "reference", "sample": ref.id, "task": ref.task, "episode": ref.episode}
            record["condition"] = ref.condition
            record.update(frame_metrics(predicted, real))
            if name == "copy_condition":
                distance = latent_distance(still_latents[i, 1:], real_latents[i, 1:])
                record["latent_distance"] = per_frame(distance, len(real))
            records.append(record)
    return records


def run_suite(settings: SuiteSettings) -> Path:
    """Run (or resume) the suite into ``settings.out``; returns the folder."""
    from motus.runtime import MotusRuntime

    out = Path(settings.out)
    stored = out / "suite.json"
    if stored.is_file():
        previous = json.loads(stored.read_text())
        keys = ("models", "data", "modes", "domain", "tasks", "samples_per_task", "stride", "seed", "num_steps")
        different = [k for k in keys if previous.get(k) != asdict(settings).get(k)]
        if different:
            raise SuiteError(f"{out} holds a suite with other settings ({', '.join(different)}); use another --out")
    out.mkdir(parents=True, exist_ok=True)
    ledger = SampleLedger(out)
    done = ledger.done()
    samples: list[SampleRef] | None = None
    config_name = None
    real = RealLatents()
    for label, checkpoint in settings.models.items():
        runtime = MotusRuntime.load(checkpoint, settings.config, device=settings.device)
        if samples is None:
            config_name = runtime.config.name
            dataset = build_dataset(settings, runtime.config)
            samples = select_samples(dataset, settings)
            strips = strip_samples(samples, settings.strips)
            meta = {**asdict(settings), "model_config": config_name, "samples": [asdict(s) for s in samples]}
            stored.write_text(json.dumps(meta, indent=1) + "\n")
        elif runtime.config.name != config_name:
            raise SuiteError(
                f"{label} checkpoint {checkpoint} is a {runtime.config.name} model, not {config_name}: the models of "
                "one suite must take the same samples"
            )
        todo = [(mode, s) for mode in settings.modes for s in samples if (label, mode, s.id) not in done]
        with tqdm(total=len(todo), desc=f"{label}", unit="sample", disable=None) as bar:
            for mode in settings.modes:
                refs = [s for s in samples if (label, mode, s.id) not in done]
                for start in range(0, len(refs), settings.batch):
                    chunk = refs[start : start + settings.batch]
                    batch = [dataset[ref.index] for ref in chunk]
                    ledger.append(evaluate_batch(runtime, batch, chunk, mode, settings, label, strips, real))
                    bar.update(len(chunk))
        if label == "model" and any(m in FRAME_MODES for m in settings.modes):
            refs = [s for s in samples if (REFERENCES[-1], "reference", s.id) not in done]
            for start in range(0, len(refs), settings.batch):
                chunk = refs[start : start + settings.batch]
                ledger.append(reference_records(runtime, [dataset[ref.index] for ref in chunk], chunk, real))
        del runtime
    return out
