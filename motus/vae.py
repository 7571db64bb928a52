"""The frozen Wan2.2 video VAE (diffusers ``AutoencoderKLWan``) with per-channel latent normalisation.

Frames go in as [B, 3, T, H, W] in [-1, 1]; latents come out normalised with the VAE's latent mean/std, the space
the video expert is trained in. Decoding is separate so callers pay for it only when they want pictures.

diffusers' ``AutoencoderKLWan`` keeps its causal convolutions' frame caches on the instance during a call, so two
threads encoding at once (a policy server's parallel calls) would read each other's caches. Each thread therefore
calls its own shallow copy, which shares the weights and owns the caches. A lock did the same job but serialised the
calls: the encoding is ~40 % of a motus_tiny chunk on a CPU, so a second call waited while a core idled.
"""

from __future__ import annotations

import copy
import threading
import weakref

import torch
from torch import nn

_PER_THREAD = threading.local()  # module-level: an attribute of the module would keep it from being deep-copied


def thread_view(vae: nn.Module) -> nn.Module:
    """This thread's instance of ``vae``: a shallow copy, so its submodules, parameters and buffers are the very
    objects of ``vae`` (a later ``to()`` or weight load reaches both), while the attributes diffusers sets during a
    call land on the copy. Plain attributes set on ``vae`` after the copy was made (``enable_tiling()``) do not reach
    it. One per thread and VAE, dropped with the VAE."""
    views = getattr(_PER_THREAD, "views", None)
    if views is None:
        views = _PER_THREAD.views = weakref.WeakKeyDictionary()
    view = views.get(vae)
    if view is None:
        view = views[vae] = copy.copy(vae)
    return view


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
        latents = thread_view(self.vae).encode(frames.to(dtype)).latent_dist.mode().float()
        return (latents - self.mean) / self.std

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        dtype = next(self.vae.parameters()).dtype
        frames = thread_view(self.vae).decode((latents.float() * self.std + self.mean).to(dtype)).sample
        return frames.float().clamp(-1, 1)
