"""The video expert: diffusers' ``WanTransformer3DModel`` at Wan2.2-TI2V-5B size, and its released key names.

We build the Wan blocks from diffusers (the real Wan2.2 modules, RoPE included) but run them layer by layer from
``motus.mot`` because the self-attention is shared with the other experts. The released checkpoint names parameters
as the original Wan2.2 code does; ``WAN_KEY_RULES`` translates in both directions so loading, saving and
``motus-model-info --keys`` speak the release's names.
"""

from __future__ import annotations

import re

import torch

from motus.config import VideoExpertConfig

# (diffusers name pattern, released Wan name pattern); applied to the part after the ``blocks.N.`` / top-level prefix.
_BLOCK_RULES = [
    ("scale_shift_table", "modulation"),
    ("attn1.to_q.", "self_attn.q."),
    ("attn1.to_k.", "self_attn.k."),
    ("attn1.to_v.", "self_attn.v."),
    ("attn1.to_out.0.", "self_attn.o."),
    ("attn1.norm_q.", "self_attn.norm_q."),
    ("attn1.norm_k.", "self_attn.norm_k."),
    ("attn2.to_q.", "cross_attn.q."),
    ("attn2.to_k.", "cross_attn.k."),
    ("attn2.to_v.", "cross_attn.v."),
    ("attn2.to_out.0.", "cross_attn.o."),
    ("attn2.norm_q.", "cross_attn.norm_q."),
    ("attn2.norm_k.", "cross_attn.norm_k."),
    ("norm2.", "norm3."),  # diffusers' norm2 is the (affine) cross-attention norm, Wan calls it norm3
    ("ffn.net.0.proj.", "ffn.0."),
    ("ffn.net.2.", "ffn.2."),
]
_TOP_RULES = [
    ("patch_embedding.", "patch_embedding."),
    ("condition_embedder.text_embedder.linear_1.", "text_embedding.0."),
    ("condition_embedder.text_embedder.linear_2.", "text_embedding.2."),
    ("condition_embedder.time_embedder.linear_1.", "time_embedding.0."),
    ("condition_embedder.time_embedder.linear_2.", "time_embedding.2."),
    ("condition_embedder.time_proj.", "time_projection.1."),
    ("proj_out.", "head.head."),
    ("scale_shift_table", "head.modulation"),
]
_BLOCK = re.compile(r"^blocks\.(\d+)\.(.*)$")


def _rename(key: str, forward: bool) -> str:
    match = _BLOCK.match(key)
    rules, rest, prefix = (
        (_BLOCK_RULES, match.group(2), f"blocks.{match.group(1)}.") if match else (_TOP_RULES, key, "")
    )
    for diffusers_name, wan_name in rules:
        src, dst = (diffusers_name, wan_name) if forward else (wan_name, diffusers_name)
        if rest.startswith(src):
            return prefix + dst + rest[len(src) :]
    raise KeyError(key)


def diffusers_to_wan_key(key: str) -> str:
    """``blocks.3.attn1.to_q.weight`` -> ``blocks.3.self_attn.q.weight``; KeyError for a name with no rule."""
    return _rename(key, forward=True)


def wan_to_diffusers_key(key: str) -> str:
    """Inverse of ``diffusers_to_wan_key``."""
    return _rename(key, forward=False)


def build_video_expert(config: VideoExpertConfig):
    """A randomly initialised Wan transformer of the configured size (on the current default device)."""
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=tuple(config.patch_size),
        num_attention_heads=config.num_heads,
        attention_head_dim=config.head_dim,
        in_channels=config.latent_channels,
        out_channels=config.latent_channels,
        text_dim=config.text_dim,
        freq_dim=config.freq_dim,
        ffn_dim=config.ffn_dim,
        num_layers=config.num_layers,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=config.eps,
    )


def sinusoidal_embedding(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """Wan's timestep features: [cos | sin] of t * 10000^(-i/half), computed in float64 for stability, as Wan does."""
    half = dim // 2
    freqs = torch.pow(10000.0, -torch.arange(half, dtype=torch.float64, device=timesteps.device) / half)
    args = timesteps.to(torch.float64).unsqueeze(-1) * freqs
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1).float()


def video_time_embedding(wan, timesteps: torch.Tensor, freq_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token time embedding [B, L, D] and its 6 AdaLN modulations [B, L, 6, D], kept in float32."""
    embedder = wan.condition_embedder
    dtype = embedder.time_embedder.linear_1.weight.dtype
    with torch.autocast(device_type=timesteps.device.type, enabled=False):
        emb = embedder.time_embedder(sinusoidal_embedding(timesteps, freq_dim).to(dtype)).float()
        mods = embedder.time_proj(embedder.act_fn(emb).to(dtype)).float()
    return emb, mods.unflatten(-1, (6, -1))


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs of channels (diffusers' real-valued form of Wan's complex 3-D RoPE)."""
    x1, x2 = x.float().unflatten(-1, (-1, 2)).unbind(-1)
    cos, sin = cos[..., 0::2], sin[..., 1::2]
    out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)
    return out.type_as(x)
