"""``Motus``: the checkpointed network (three experts + the frozen VLM), its sampler for all five modes and its loss.

The parameters of this module are exactly what a Motus checkpoint holds (``video_model.*``, ``action_expert.*``,
``und_expert.*``, ``vlm_model.*``); the VAE, the text encoder and the VLM's processor come from their own folders and
live in ``motus.runtime``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from motus.config import MotusConfig
from motus.mot import ChunkContext, MotusTransformer
from motus.scheduler import DENOISE, GIVEN, NOISE, FlowSchedule, get_mode
from motus.vlm import build_vlm, vlm_features


class InputShapeError(ValueError):
    """A model input whose shape does not match the configuration; the message names the expected shape."""


@dataclass
class SampleOutput:
    actions: torch.Tensor | None  # [B, K, A] (None in video-only modes)
    video_latents: torch.Tensor | None  # [B, C, T, h, w] including the condition latent (None in action-only modes)
    mode: str
    num_steps: int


class Motus(MotusTransformer):
    def __init__(self, config: MotusConfig, vlm_model=None):
        super().__init__(config)
        self.vlm_model = vlm_model if vlm_model is not None else build_vlm(config.vlm.config or {})
        self.vlm_model.requires_grad_(False)
        self.schedule = FlowSchedule(config.scheduler)

    @classmethod
    def build(cls, config: MotusConfig, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32):
        """A randomly initialised model on ``device`` in ``dtype`` (see ``cast``)."""
        previous = torch.get_default_dtype()
        torch.set_default_dtype(dtype)  # allocate in the target precision: no full float32 copy of 8B weights
        try:
            with torch.device(device):
                model = cls(config)
        finally:
            torch.set_default_dtype(previous)
        return model.cast(dtype)

    def cast(self, dtype: torch.dtype) -> Motus:
        """Weights in ``dtype``; time embeddings and the RoPE tables stay float32 (bf16 would round the angles)."""
        rope = self.wan.rope
        tables = {name: buffer.float() for name, buffer in rope.named_buffers()}
        self.to(dtype)
        for name, buffer in tables.items():
            rope._buffers[name] = buffer
        for module in (
            self.action_expert.time_embedding,
            self.action_expert.time_projection,
            self.wan.condition_embedder.time_embedder,
            self.wan.condition_embedder.time_proj,
        ):
            module.float()
        return self

    @property
    def device(self) -> torch.device:
        return self.wan.patch_embedding.weight.device

    def component_modules(self) -> dict[str, torch.nn.Module]:
        return {
            "video": self.video_model,
            "action": self.action_expert,
            "understanding": self.und_expert,
            "vlm": self.vlm_model,
        }

    def trainable_parameters(self):
        """The three experts; the VLM stays frozen (as in the release)."""
        for name, module in self.component_modules().items():
            if name != "vlm":
                yield from module.parameters()

    # ----- per-chunk conditioning -----
    def chunk_context(self, vlm_inputs: dict[str, torch.Tensor], t5_context: torch.Tensor) -> ChunkContext:
        """Run the VLM once and prepare the text context; reused by every denoising step of the chunk."""
        text = self.config.video
        if t5_context.dim() != 3 or t5_context.shape[1:] != (text.text_len, text.text_dim):
            raise InputShapeError(
                f"text context has shape {tuple(t5_context.shape)}; expected [B, {text.text_len}, {text.text_dim}]"
            )
        hidden, mask = vlm_features(self.vlm_model, vlm_inputs)
        if hidden.shape[1] > self.config.max_und_tokens:
            raise InputShapeError(
                f"the VLM prompt has {hidden.shape[1]} tokens, more than max_und_tokens={self.config.max_und_tokens}"
            )
        return self.prepare_chunk(hidden, mask, t5_context.to(self.device))

    def check_state(self, state: torch.Tensor, batch: int) -> None:
        if state.shape != (batch, self.config.state_dim):
            raise InputShapeError(f"state has shape {tuple(state.shape)}; expected [{batch}, {self.config.state_dim}]")

    def latent_shape(self, batch: int) -> tuple[int, ...]:
        h, w = self.config.latent_hw
        return (batch, self.config.video.latent_channels, self.config.latent_frames, h, w)

    # ----- sampling -----
    def draw_noise(self, batch: int, generators: list[torch.Generator] | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Initial video and action noise, drawn per sample on the CPU.

        Each sample's noise comes from its own generator, so an episode's actions depend on its seed only: not on
        the device, nor on which other episodes share the batch (a policy server batching clients gives each the
        same answer as running alone).
        """
        if generators is not None and len(generators) != batch:
            raise InputShapeError(f"{len(generators)} generators for a batch of {batch}")
        cfg = self.config
        video, action = [], []
        for i in range(batch):
            generator = generators[i] if generators is not None else None
            video.append(torch.randn(self.latent_shape(1)[1:], generator=generator))
            action.append(torch.randn(cfg.action_chunk_size, cfg.action_dim, generator=generator))
        return torch.stack(video).to(self.device), torch.stack(action).to(self.device)

    def draw_training_noise(
        self, video_shape: torch.Size, action_shape: torch.Size, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One sample's video and action noise levels and noise, in a fixed order from ``generator``."""
        sigma_video = self.schedule.training_sigmas(1, generator)[0]
        sigma_action = self.schedule.training_sigmas(1, generator)[0]
        return (
            sigma_video,
            sigma_action,
            torch.randn(video_shape, generator=generator),
            torch.randn(action_shape, generator=generator),
        )

    @torch.no_grad()
    def sample(
        self,
        condition_latent: torch.Tensor,
        state: torch.Tensor,
        chunk: ChunkContext,
        mode: str = "joint",
        num_steps: int | None = None,
        generators: list[torch.Generator] | None = None,
        given_actions: torch.Tensor | None = None,
        given_video_latents: torch.Tensor | None = None,
    ) -> SampleOutput:
        """Euler integration from sigma = 1 to 0 of whichever modalities ``mode`` denoises.

        ``generators`` holds one CPU generator per sample (see ``draw_noise``).
        """
        spec = get_mode(mode)
        batch = condition_latent.shape[0]
        self.check_state(state, batch)
        device, cfg = self.device, self.config
        action_shape = (batch, cfg.action_chunk_size, cfg.action_dim)
        video_noise, action_noise = self.draw_noise(batch, generators)
        condition_latent = condition_latent.to(device)
        if condition_latent.shape != (*self.latent_shape(batch)[:2], 1, *self.latent_shape(batch)[3:]):
            raise InputShapeError(
                f"condition latent has shape {tuple(condition_latent.shape)}; expected "
                f"{(*self.latent_shape(batch)[:2], 1, *self.latent_shape(batch)[3:])}"
            )

        if spec.video == GIVEN:
            if given_video_latents is None or given_video_latents.shape != self.latent_shape(batch):
                got = None if given_video_latents is None else tuple(given_video_latents.shape)
                raise InputShapeError(f"mode {mode!r} needs given video latents {self.latent_shape(batch)}, got {got}")
            video = given_video_latents.to(device).float().clone()
        else:
            video = video_noise
        if spec.action == GIVEN:
            if given_actions is None or given_actions.shape != action_shape:
                got = None if given_actions is None else tuple(given_actions.shape)
                raise InputShapeError(f"mode {mode!r} needs given actions of shape {action_shape}, got {got}")
            actions = given_actions.to(device).float().clone()
        else:
            actions = action_noise
        video[:, :, :1] = condition_latent

        sigmas = self.schedule.sampling_sigmas(num_steps).tolist()
        fixed = {DENOISE: None, NOISE: 1.0, GIVEN: 0.0}
        for sigma, sigma_next in zip(sigmas[:-1], sigmas[1:], strict=True):
            t_video = sigma if fixed[spec.video] is None else fixed[spec.video]
            t_action = sigma if fixed[spec.action] is None else fixed[spec.action]
            video_velocity, action_velocity = self.evaluate(
                video,
                torch.full((batch,), self.schedule.timestep(t_video), device=device),
                state.to(device),
                actions,
                torch.full((batch,), self.schedule.timestep(t_action), device=device),
                chunk,
            )
            if spec.video == DENOISE:
                video = video + (sigma_next - sigma) * video_velocity
                video[:, :, :1] = condition_latent
            if spec.action == DENOISE:
                actions = actions + (sigma_next - sigma) * action_velocity
        return SampleOutput(
            actions=None if spec.action == NOISE else actions,
            video_latents=None if spec.video == NOISE else video,
            mode=mode,
            num_steps=len(sigmas) - 1,
        )

    # ----- training -----
    def loss(
        self,
        clean_latents: torch.Tensor,
        condition_latent: torch.Tensor,
        state: torch.Tensor,
        actions: torch.Tensor,
        chunk: ChunkContext,
        generators: list[torch.Generator] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Rectified-flow loss with an independent noise level per sample for video and for actions (UniDiffuser).

        The condition latent is kept clean in the input and left out of the video loss. Each sample's noise levels
        and noise come from its own CPU generator, so a sample's loss does not depend on how the global batch is
        split over processes (a 2-process run reproduces the single-process run).
        """
        batch, device = clean_latents.shape[0], self.device
        if generators is not None and len(generators) != batch:
            raise InputShapeError(f"{len(generators)} generators for a batch of {batch}")
        per_sample = generators if generators is not None else [None] * batch
        draws = [self.draw_training_noise(clean_latents.shape[1:], actions.shape[1:], g) for g in per_sample]
        sigma_video, sigma_action, video_noise, action_noise = (
            torch.stack(part).to(device) for part in zip(*draws, strict=True)
        )
        clean_latents, actions = clean_latents.to(device).float(), actions.to(device).float()
        noisy_video = FlowSchedule.add_noise(clean_latents, video_noise, sigma_video)
        noisy_video[:, :, :1] = condition_latent.to(device)
        noisy_actions = FlowSchedule.add_noise(actions, action_noise, sigma_action)
        video_velocity, action_velocity = self(
            noisy_video,
            self.schedule.timestep(sigma_video),
            state.to(device),
            noisy_actions,
            self.schedule.timestep(sigma_action),
            chunk,
        )
        video_loss = F.mse_loss(video_velocity[:, :, 1:], (video_noise - clean_latents)[:, :, 1:])
        action_loss = F.mse_loss(action_velocity, action_noise - actions)
        total = self.config.video_loss_weight * video_loss + self.config.action_loss_weight * action_loss
        return {
            "loss": total,
            "video_loss": video_loss.detach(),
            "action_loss": action_loss.detach(),
            "video_sigma": sigma_video.mean(),
            "action_sigma": sigma_action.mean(),
        }


@contextlib.contextmanager
def meta_device():
    """Build modules without allocating memory (parameter counts and key listings of the 8B model)."""
    with torch.device("meta"):
        yield
