"""Checkpoint IO: our directory format and the released DeepSpeed layout, both loaded strictly.

Our format: ``<dir>/config.json`` (the full model config) + ``<dir>/model.safetensors``. The released format:
``mp_rank_00_model_states.pt`` (directly or under ``pytorch_model/``) whose ``module`` entry is the state dict.
Both use the released parameter names (Wan's original names inside ``video_model.wan_model.``), so a checkpoint
written by one loads with the other's tools. A missing, unexpected or mis-shaped key is a ``CheckpointMismatchError``
that lists them; nothing is ever left at its random initial value.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from motus.config import MotusConfig, config_from_dict
from motus.video_expert import diffusers_to_wan_key, wan_to_diffusers_key

log = logging.getLogger(__name__)

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
RELEASED_NAME = "mp_rank_00_model_states.pt"
WAN_PREFIX = "video_model.wan_model."
# The release's model object holds its modules twice; these prefixes repeat tensors stored under the main names.
RELEASED_ALIAS_PREFIXES = (
    "video_module.video_model.",
    "action_module.video_model.",
    "und_module.vlm_model.",
    "action_module.vlm_model.",
    "und_module.und_expert.",
    "action_module.action_expert.",
)
LIST_LIMIT = 20
STAGE2_TO_STAGE3_DROPPED = ("action_expert.input_encoder.", "action_expert.decoder.")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be found or read."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose keys or shapes differ from the model's; the message lists them."""


def to_released_key(name: str) -> str:
    if name.startswith(WAN_PREFIX):
        return WAN_PREFIX + diffusers_to_wan_key(name[len(WAN_PREFIX) :])
    return name


def from_released_key(name: str) -> str:
    if name.startswith(WAN_PREFIX):
        return WAN_PREFIX + wan_to_diffusers_key(name[len(WAN_PREFIX) :])
    return name


def released_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {to_released_key(k): v for k, v in model.state_dict().items()}


def released_shapes(model: torch.nn.Module) -> dict[str, list[int]]:
    """Every key the released checkpoint of this configuration holds, with its shape (works on the meta device)."""
    return {k: list(v.shape) for k, v in released_state_dict(model).items()}


def _listing(title: str, keys: list[str]) -> str:
    shown = "\n    ".join(keys[:LIST_LIMIT])
    more = f"\n    ... and {len(keys) - LIST_LIMIT} more" if len(keys) > LIST_LIMIT else ""
    return f"  {title} ({len(keys)}):\n    {shown}{more}"


def check_state_dict(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor], source: str) -> None:
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    misshaped = sorted(
        f"{k}: checkpoint {list(found[k].shape)} vs model {list(expected[k].shape)}"
        for k in set(expected) & set(found)
        if tuple(found[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or misshaped:
        parts = [f"checkpoint {source} does not match the model configuration:"]
        if missing:
            parts.append(_listing("missing keys", missing))
        if unexpected:
            parts.append(_listing("unexpected keys", unexpected))
        if misshaped:
            parts.append(_listing("shape mismatches", misshaped))
        raise CheckpointMismatchError("\n".join(parts))


def drop_released_aliases(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    kept = {k: v for k, v in state.items() if not k.startswith(RELEASED_ALIAS_PREFIXES)}
    if len(kept) != len(state):
        log.info("dropped %d duplicate helper-module keys of the released layout", len(state) - len(kept))
    return kept


def find_checkpoint(path: str | Path) -> tuple[str, Path]:
    """('ours' | 'released', file) for a checkpoint directory or file."""
    path = Path(path)
    if path.is_file():
        return ("ours" if path.suffix == ".safetensors" else "released"), path
    if not path.is_dir():
        raise CheckpointError(f"checkpoint not found: {path}")
    candidates = [("ours", path / WEIGHTS_NAME), ("released", path / RELEASED_NAME)]
    candidates.append(("released", path / "pytorch_model" / RELEASED_NAME))
    for kind, file in candidates:
        if file.is_file():
            return kind, file
    tried = ", ".join(str(f) for _, f in candidates)
    raise CheckpointError(f"no Motus checkpoint in {path}; looked for {tried}")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a checkpoint, in released names, aliases dropped."""
    kind, file = find_checkpoint(path)
    try:
        if kind == "ours":
            from safetensors.torch import load_file

            return load_file(str(file))
        try:
            data = torch.load(file, map_location="cpu", weights_only=True, mmap=True)
        except Exception:  # DeepSpeed also pickles its config objects next to the weights
            log.warning("%s holds more than tensors; loading it with full unpickling (trust the file's source)", file)
            data = torch.load(file, map_location="cpu", weights_only=False, mmap=True)
    except Exception as exc:
        raise CheckpointError(f"cannot read checkpoint {file}: {exc}") from exc
    state = data.get("module", data) if isinstance(data, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{file} has no 'module' state dict of tensors")
    return drop_released_aliases(state)


def read_config(path: str | Path) -> MotusConfig | None:
    """The config stored with one of our checkpoints (None for the released layout, which stores none)."""
    path = Path(path)
    file = (path if path.is_dir() else path.parent) / CONFIG_NAME
    if not file.is_file():
        return None
    try:
        return config_from_dict(json.loads(file.read_text()), where=str(file))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{file} is not valid JSON: {exc}") from exc


def load_weights(model: torch.nn.Module, path: str | Path, drop_prefixes: tuple[str, ...] = ()) -> None:
    """Strictly load a checkpoint (either layout) into ``model``.

    ``drop_prefixes`` (stage-2 -> stage-3 fine-tuning: the action encoder and decoder) are removed from the
    checkpoint and keep the model's values; every other key must match exactly.
    """
    state = {k: v for k, v in read_state_dict(path).items() if not k.startswith(tuple(drop_prefixes))}
    expected = {k: v for k, v in released_state_dict(model).items() if not k.startswith(tuple(drop_prefixes))}
    check_state_dict(expected, state, str(path))
    model.load_state_dict({from_released_key(k): v for k, v in state.items()}, strict=not drop_prefixes)


def save_checkpoint(model: torch.nn.Module, config: MotusConfig, directory: str | Path, layout: str = "ours") -> Path:
    """Write ``model`` as our format (default) or the released layout (``pytorch_model/mp_rank_00_model_states.pt``)."""
    directory = Path(directory)
    state = released_state_dict(model)
    seen: set[int] = set()
    tensors = {}
    for key, value in state.items():  # tied weights (the VLM's lm_head) must be stored as separate tensors
        pointer = value.untyped_storage().data_ptr()
        tensors[key] = value.detach().clone().contiguous() if pointer in seen else value.detach().contiguous()
        seen.add(pointer)
    if layout == "ours":
        from safetensors.torch import save_file

        directory.mkdir(parents=True, exist_ok=True)
        save_file({k: v.cpu() for k, v in tensors.items()}, str(directory / WEIGHTS_NAME))
        (directory / CONFIG_NAME).write_text(json.dumps(config.to_dict(), indent=1))
        return directory / WEIGHTS_NAME
    if layout == "released":
        target = directory / "pytorch_model" / RELEASED_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"module": {k: v.cpu() for k, v in tensors.items()}}, target)
        return target
    raise ValueError(f"unknown checkpoint layout {layout!r}; valid: 'ours', 'released'")


def stored_shapes(path: str | Path) -> dict[str, list[int]]:
    """Key -> shape of a checkpoint without loading its tensors when the format allows (safetensors)."""
    kind, file = find_checkpoint(path)
    if kind == "ours":
        from safetensors import safe_open

        try:
            with safe_open(str(file), framework="pt") as handle:
                return {k: list(handle.get_slice(k).get_shape()) for k in handle.keys()}  # noqa: SIM118
        except Exception as exc:
            raise CheckpointError(f"cannot read checkpoint {file}: {exc}") from exc
    return {k: list(v.shape) for k, v in read_state_dict(path).items()}


def validate_checkpoint(path: str | Path, config: MotusConfig | None = None) -> MotusConfig:
    """Fail fast, before any worker starts, if a checkpoint cannot load into its configuration; returns the config."""
    from motus.model import Motus, meta_device

    config = config or read_config(path)
    if config is None:
        raise CheckpointError(f"{path} stores no config.json (the released layout): give the model config")
    with meta_device():
        expected = released_state_dict(Motus(config))
    shapes = stored_shapes(path)
    check_state_dict(expected, {k: torch.empty(v, device="meta") for k, v in shapes.items()}, str(path))
    return config
