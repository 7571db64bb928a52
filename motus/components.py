"""Finding the frozen components' folders: the Qwen3-VL folder, and the Wan2.2 folder with the VAE and umT5.

The Wan folder may be given as the seed README does (the parent ``pretrained_models`` folder) or directly; it must be
in the diffusers layout (``vae/``, ``text_encoder/``, ``tokenizer/``, as ``Wan-AI/Wan2.2-TI2V-5B-Diffusers``).
``builtin:tiny`` resolves to the locally built components of ``motus_tiny``.
"""

from __future__ import annotations

from pathlib import Path

from motus.config import MotusConfig

BUILTIN_TINY = "builtin:tiny"
WAN_SUBFOLDERS = ("", "Wan2.2-TI2V-5B-Diffusers", "Wan2.2-TI2V-5B")


class ComponentError(FileNotFoundError):
    """A pretrained component folder that is missing or in a layout we cannot read."""


def _tiny_root(config: MotusConfig) -> Path:
    from motus.tiny import ensure_tiny_assets

    return ensure_tiny_assets(
        config.vlm.config or {},
        config.vae.config or {},
        config.text_encoder.config or {},
        image_pixels=config.video_height * config.video_width,
    )


def vlm_dir(config: MotusConfig, override: str | None = None) -> Path:
    path = override or config.vlm.path
    if path == BUILTIN_TINY:
        return _tiny_root(config) / "vlm"
    if not path or not (Path(path) / "config.json").is_file():
        raise ComponentError(
            f"Qwen3-VL folder {path!r} has no config.json (model config key vlm.path, or --vlm_path); "
            "download Qwen/Qwen3-VL-2B-Instruct there"
        )
    return Path(path)


def wan_dir(config: MotusConfig, part: str, override: str | None = None) -> Path:
    """The folder holding ``part`` ('vae', 'text_encoder' or 'tokenizer') of the Wan2.2 model."""
    source = config.vae if part == "vae" else config.text_encoder
    path = override or source.path
    if path == BUILTIN_TINY:
        return _tiny_root(config) / "wan" / part
    if not path:
        raise ComponentError(f"no Wan2.2 folder configured for {part} (model config or --wan_path)")
    for sub in WAN_SUBFOLDERS:
        candidate = Path(path) / sub / part
        if candidate.is_dir():
            return candidate
    original = [p for p in ("Wan2.2_VAE.pth", "models_t5_umt5-xxl-enc-bf16.pth") if any(Path(path).rglob(p))]
    hint = (
        f" Found original-format files {original}: convert them with diffusers' convert_wan_to_diffusers script "
        "or download Wan-AI/Wan2.2-TI2V-5B-Diffusers."
        if original
        else ""
    )
    tried = ", ".join(str(Path(path) / sub / part) for sub in WAN_SUBFOLDERS)
    raise ComponentError(f"Wan2.2 {part} not found; tried {tried}.{hint}")
