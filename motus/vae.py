"""The frozen Wan2.2 video VAE (diffusers ``AutoencoderKLWan``) with per-channel latent normalisation.

Frames go in as [B, 3, T, H, W] in [-1, 1]; latents come out normalised with the VAE's latent mean/std, the space
the video expert is trained in. Decoding is separate so callers pay for it only when they want pictures.

diffusers' ``AutoencoderKLWan`` keeps its causal convolutions' frame caches on the instance during a call, so two
threads encoding at once (a policy server's parallel calls) would read each other's caches: calls take a lock.
"""

from __future__ import annotations

import threading

import torch
from torch import nn

_ONE_CALL_AT_A_TIME = threading.Lock()  # process-wide: a lock attribute would keep the module from being copied


class VideoVAE(nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae.eval().requires_grad_(False)
        cfg = vae.config
        self.register_buffer("mean", torch.tensor(cfg.latents_mean, dtype=torch.float32).view(1, -1, 1, 1, 1))
        self.register_buffer("std", torch.tensor(cfg.latents_std, dtype=torch.float32).view(1, -1, 1, 1, 1))

    @classmethod
    def from_config(cls, config: dict) -> VideoVAE:
        from diffusers import AutoencoderKLWan

        return cls(AutoencoderKLWan(**config))

    @classmethod
    def from_pretrained(cls, folder: str, dtype: torch.dtype = torch.float32) -> VideoVAE:
        from diffusers import AutoencoderKLWan

        return cls(AutoencoderKLWan.from_pretrained(folder, torch_dtype=dtype))

    @property
    def z_dim(self) -> int:
        return int(self.vae.config.z_dim)

    @torch.no_grad()
    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        dtype = next(self.vae.parameters()).dtype
        with _ONE_CALL_AT_A_TIME:
            latents = self.vae.encode(frames.to(dtype)).latent_dist.mode().float()
        return (latents - self.mean) / self.std

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        dtype = next(self.vae.parameters()).dtype
        with _ONE_CALL_AT_A_TIME:
            frames = self.vae.decode((latents.float() * self.std + self.mean).to(dtype)).sample
        return frames.float().clamp(-1, 1)
