"""``MotusRuntime``: a loaded model plus its frozen front ends, taking pictures and text and returning action chunks.

One ``predict`` call is one chunk: the condition frame is VAE-encoded once, the VLM runs once, the instruction's
umT5 embedding comes from a file or the encoder's per-instruction cache, then the sampler runs its Euler steps;
predicted frames are VAE-decoded only when asked for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from motus.checkpoint import CheckpointError, load_weights, read_config
from motus.components import load_text_encoder, load_vae, vlm_dir
from motus.config import MotusConfig, load_config
from motus.model import InputShapeError, Motus
from motus.preset import InputPreset, get_preset
from motus.text import TextEmbeddingError, TextEncoder, pad_embeddings
from motus.vae import VideoVAE
from motus.vlm import VLMProcessor

log = logging.getLogger(__name__)


class DeviceError(RuntimeError):
    """A device that this machine does not have (e.g. ``cuda`` without a GPU)."""


def resolve_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device {device!r} requested but CUDA is not available on this machine; use --device cpu")
    return resolved


def load_pretrained_vlm(model: Motus, folder) -> None:
    """The frozen Qwen3-VL's pretrained weights from its folder (strict)."""
    from transformers import Qwen3VLForConditionalGeneration

    pretrained = Qwen3VLForConditionalGeneration.from_pretrained(str(folder))
    model.vlm_model.load_state_dict(pretrained.state_dict(), strict=True)


def default_dtype(device: torch.device) -> torch.dtype:
    """bf16 on GPUs (as the release runs), float32 on CPUs (bf16 matmuls are slow there)."""
    return torch.bfloat16 if device.type == "cuda" else torch.float32


@dataclass
class Prediction:
    actions: np.ndarray | None  # [B, K, A] float32
    frames: np.ndarray | None  # [B, 1 + T, H, W, 3] uint8 (condition frame first) when decoded
    video_latents: torch.Tensor | None
    timings: dict[str, float] = field(default_factory=dict)

    def first(self, count: int) -> Prediction:
        """The first ``count`` samples (a padded batch's real ones)."""
        return Prediction(
            actions=None if self.actions is None else self.actions[:count],
            frames=None if self.frames is None else self.frames[:count],
            video_latents=None if self.video_latents is None else self.video_latents[:count],
            timings=self.timings,
        )


def batch_bucket(batch: int) -> int:
    """The power of two a compiled model runs ``batch`` samples at (1, 2, 4, 8, 16, ...)."""
    return 1 << max(0, batch - 1).bit_length()


def repeat_last(items: np.ndarray | Sequence, extra: int) -> np.ndarray | list:
    """``items`` with its last entry repeated ``extra`` more times (an array along its first axis; any other sequence
    as a list)."""
    if isinstance(items, np.ndarray):
        return np.concatenate([items, np.repeat(items[-1:], extra, axis=0)])
    return [*items, *[items[-1]] * extra]


class MotusRuntime:
    def __init__(self, model: Motus, vae: VideoVAE, processor: VLMProcessor, text_encoder: TextEncoder | None = None):
        self.model = model.eval()
        self.config: MotusConfig = model.config
        self.vae = vae
        self.processor = processor
        self.text_encoder = text_encoder
        # predict may run in several threads at once (a policy server's parallel calls); Hugging Face fast tokenizers
        # may not be called from two threads at once ("Already borrowed"), so the prompts are built one at a time
        self.tokenizing = threading.Lock()
        self.use_preset(get_preset(self.config.preset))  # what the model was trained with; the agent may choose

    def use_preset(self, preset: InputPreset) -> None:
        """Build the VLM prompt and sample on the grid as ``preset`` says (instructions and composites are the
        caller's, built with the same preset)."""
        self.preset = preset
        self.processor.text_first = preset.vlm_text_first
        schedule = self.model.schedule
        schedule.sample_shift = preset.sample_shift if preset.sample_shift is not None else schedule.configured_shift

    @property
    def device(self) -> torch.device:
        return self.model.device

    @classmethod
    def load(
        cls,
        checkpoint: str | Path | None = None,
        config: str | Path | MotusConfig | None = None,
        *,
        wan_path: str | None = None,
        vlm_path: str | None = None,
        device: str | None = "auto",
        dtype: torch.dtype | None = None,
        use_t5: bool = False,
        random_init: bool = False,
        pretrained_vlm: bool = False,
        drop_prefixes: tuple[str, ...] = (),
    ) -> MotusRuntime:
        """Load a checkpoint (its stored config, or ``config`` for the released layout, which stores none).

        ``random_init=True`` is the only way to get untrained experts, and it must be asked for explicitly; with
        ``pretrained_vlm`` the frozen VLM then comes from its folder (training from scratch). ``drop_prefixes``
        names checkpoint keys to leave at their initial values (stage-2 -> stage-3 fine-tuning).
        """
        if checkpoint is None and not random_init:
            raise CheckpointError("no checkpoint given; pass one, or random_init=True for an untrained model")
        if isinstance(config, MotusConfig):
            cfg = config
        elif config is not None:
            cfg = load_config(config)
        else:
            cfg = read_config(checkpoint) if checkpoint is not None else None
            if cfg is None:
                raise CheckpointError(
                    f"{checkpoint} stores no config.json (the released layout): pass the model config (--model_config)"
                )
        torch_device = resolve_device(device)
        dtype = dtype or default_dtype(torch_device)
        model = Motus.build(cfg, torch_device, dtype)
        if checkpoint is not None:
            load_weights(model, checkpoint, drop_prefixes=drop_prefixes)
        elif pretrained_vlm:
            load_pretrained_vlm(model, vlm_dir(cfg, vlm_path))
        vae = load_vae(cfg, wan_path, dtype).to(torch_device)
        processor = VLMProcessor.from_pretrained(vlm_dir(cfg, vlm_path))
        text_encoder = None
        if use_t5:
            text_encoder = load_text_encoder(cfg, wan_path, dtype)
            text_encoder.model.to(torch_device)
        return cls(model, vae, processor, text_encoder)

    # ----- inputs -----
    def frames_to_tensor(self, images: np.ndarray) -> torch.Tensor:
        """uint8 [B, T, H, W, 3] -> float [B, 3, T, H, W] in [-1, 1]; the size must be the model's."""
        expected = (self.config.video_height, self.config.video_width, 3)
        if images.ndim != 5 or tuple(images.shape[2:]) != expected:
            raise InputShapeError(
                f"images have shape {tuple(images.shape)}; expected [B, T, {expected[0]}, {expected[1]}, 3] "
                f"(the model's video size {expected[0]}x{expected[1]}; see motus.images.compose_cameras / resize)"
            )
        tensor = torch.tensor(images, dtype=torch.float32, device=self.device)
        return tensor.permute(0, 4, 1, 2, 3) / 127.5 - 1.0

    def text_context(self, instructions: list[str], t5_embeddings: list[torch.Tensor] | None) -> torch.Tensor:
        video = self.config.video
        if t5_embeddings is None:
            if self.text_encoder is None:
                raise TextEmbeddingError(
                    "no pre-encoded instruction embeddings given and no text encoder loaded "
                    "(pass --t5_embeds or --use_t5)"
                )
            t5_embeddings = self.text_encoder.encode(instructions)
        if len(t5_embeddings) != len(instructions):
            raise TextEmbeddingError(
                f"{len(t5_embeddings)} instruction embeddings for {len(instructions)} instructions"
            )
        return pad_embeddings(t5_embeddings, video.text_len, video.text_dim)

    # ----- one chunk -----
    @torch.no_grad()
    def predict(
        self,
        images: np.ndarray,
        instructions: list[str],
        state: np.ndarray,
        *,
        mode: str = "joint",
        num_steps: int | None = None,
        seed: int | list[int] | None = None,
        t5_embeddings: list[torch.Tensor] | None = None,
        decode_video: bool = False,
        given_actions: np.ndarray | None = None,
        given_frames: np.ndarray | None = None,
    ) -> Prediction:
        """Predict one chunk for a batch: ``images`` uint8 [B, H, W, 3] condition frames, ``state`` [B, state_dim].

        ``given_actions`` [B, K, A] feed the world-model mode, ``given_frames`` uint8 [B, T, H, W, 3] (the future
        frames) the inverse-dynamics mode. ``seed`` (one per sample, or one for the batch: sample i then uses
        seed + i) fixes the sampling noise.
        """
        timings: dict[str, float] = {}
        images = np.asarray(images)
        batch = images.shape[0] if images.ndim == 4 else -1
        if len(instructions) != batch:
            raise InputShapeError(f"{len(instructions)} instructions for images of shape {tuple(images.shape)}")
        seeds = None
        if seed is not None:
            seeds = list(seed) if isinstance(seed, (list, tuple)) else [seed + i for i in range(batch)]
            if len(seeds) != batch:
                raise InputShapeError(f"{len(seeds)} seeds for a batch of {batch}")
        if self.model.compiled and (extra := batch_bucket(batch) - batch):
            # a compiled graph (a CUDA graph) per batch size: pad to a power of two by repeating the last sample,
            # whose copies cost compute but change no other sample's answer (each has its own noise)
            def pad(items):
                return None if items is None else repeat_last(items, extra)

            padded = self.predict(
                pad(images),
                pad(instructions),
                pad(np.asarray(state)),
                mode=mode,
                num_steps=num_steps,
                seed=pad(seeds),
                t5_embeddings=pad(t5_embeddings),
                decode_video=decode_video,
                given_actions=pad(None if given_actions is None else np.asarray(given_actions)),
                given_frames=pad(None if given_frames is None else np.asarray(given_frames)),
            )
            return padded.first(batch)
        state_t = torch.as_tensor(np.asarray(state, dtype=np.float32))
        self.model.check_state(state_t, batch)
        generators = None if seeds is None else [torch.Generator().manual_seed(int(s)) for s in seeds]

        start = time.perf_counter()
        condition = self.frames_to_tensor(images[:, None])
        condition_latent = self.vae.encode(condition)
        given_latents = None
        if given_frames is not None:
            future = self.frames_to_tensor(np.asarray(given_frames))
            if future.shape[2] != self.config.num_video_frames:
                raise InputShapeError(
                    f"given_frames has {future.shape[2]} frames; expected {self.config.num_video_frames}"
                )
            given_latents = self.vae.encode(torch.cat([condition, future], dim=2))
            given_latents[:, :, :1] = condition_latent
        timings["encode_s"] = time.perf_counter() - start

        start = time.perf_counter()
        with self.tokenizing:
            context = self.text_context(instructions, t5_embeddings)
            vlm_inputs = self.processor(list(images), instructions)
        chunk = self.model.chunk_context(vlm_inputs, context)
        timings["condition_s"] = time.perf_counter() - start

        start = time.perf_counter()
        out = self.model.sample(
            condition_latent,
            state_t,
            chunk,
            mode=mode,
            num_steps=num_steps,
            generators=generators,
            given_actions=None if given_actions is None else torch.as_tensor(given_actions, dtype=torch.float32),
            given_video_latents=given_latents,
        )
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        timings["sample_s"] = time.perf_counter() - start

        frames = None
        if decode_video and out.video_latents is not None:
            start = time.perf_counter()
            decoded = self.vae.decode(out.video_latents)  # [B, 3, 1 + T, H, W]
            frames = ((decoded.permute(0, 2, 3, 4, 1) + 1) * 127.5).round().clamp(0, 255).byte().cpu().numpy()
            timings["decode_s"] = time.perf_counter() - start
        actions = None if out.actions is None else out.actions.float().cpu().numpy()
        return Prediction(actions=actions, frames=frames, video_latents=out.video_latents, timings=timings)

    # ----- training -----
    def training_loss(
        self,
        videos: np.ndarray,
        instructions: list[str],
        state: np.ndarray,
        actions: np.ndarray,
        *,
        t5_embeddings: list[torch.Tensor] | None = None,
        generators: list[torch.Generator] | None = None,
    ) -> dict[str, torch.Tensor]:
        """The rectified-flow loss for a batch: ``videos`` uint8 [B, 1 + T, H, W, 3] (condition frame first),
        ``state`` [B, state_dim], ``actions`` [B, K, action_dim]. Frozen parts run without gradients."""
        videos = np.asarray(videos)
        cfg = self.config
        expected_actions = (videos.shape[0], cfg.action_chunk_size, cfg.action_dim)
        if np.shape(actions) != expected_actions:
            raise InputShapeError(f"actions have shape {np.shape(actions)}; expected {expected_actions}")
        if videos.ndim != 5 or videos.shape[1] != 1 + cfg.num_video_frames:
            raise InputShapeError(
                f"videos have shape {videos.shape}; expected [B, {1 + cfg.num_video_frames}, H, W, 3] "
                "(condition frame + num_video_frames)"
            )
        frames = self.frames_to_tensor(videos)
        with torch.no_grad():
            clean = self.vae.encode(frames)
            condition = self.vae.encode(frames[:, :, :1])
            clean[:, :, :1] = condition
        context = self.text_context(instructions, t5_embeddings)
        chunk = self.model.chunk_context(self.processor(list(videos[:, 0]), instructions), context)
        state_t = torch.as_tensor(np.asarray(state, dtype=np.float32))
        self.model.check_state(state_t, videos.shape[0])
        return self.model.loss(clean, condition, state_t, torch.as_tensor(actions).float(), chunk, generators)
