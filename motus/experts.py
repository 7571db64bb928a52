"""The action expert and the understanding expert, with the released checkpoint's parameter names.

Each block owns only its expert's side of the shared attention: q/k/v weights that project its tokens straight into
the video expert's head space ([3, heads, dim, head_dim]), RMSNorm on q and k across heads, an output projection back
to its own width, and its own FFN. The attention itself runs once per layer over all tokens in ``motus.mot``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from motus.config import ActionExpertConfig, MotusConfig, UnderstandingExpertConfig
from motus.video_expert import sinusoidal_embedding

TIME_FREQ_DIM = 256


def silu_mlp(in_features: int, out_features: int, depth: int) -> nn.Sequential:
    """Linear, then (SiLU, Linear) x (depth - 1): the release's ``mlpNx_silu`` projector, same module indices."""
    layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
    for _ in range(depth - 1):
        layers += [nn.SiLU(), nn.Linear(out_features, out_features)]
    return nn.Sequential(*layers)


def sincos_positions(length: int, dim: int) -> torch.Tensor:
    """Fixed 1-D sin-cos position table [length, dim] ([sin | cos], as the release's action encoder uses)."""
    omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2))
    angles = np.outer(np.arange(length, dtype=np.float64), omega)
    table = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    # as_tensor with the default device: from_numpy would ignore a `with torch.device(...)` build context.
    return torch.as_tensor(table, dtype=torch.float32, device=torch.get_default_device())


def feed_forward(dim: int, ffn_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, ffn_dim), nn.GELU(approximate="tanh"), nn.Linear(ffn_dim, dim))


class ExpertBlock(nn.Module):
    """One layer of an expert: q/k/v/o into and out of the video expert's attention space, q/k RMSNorm, the two
    LayerNorms (without affine weights, as released) and the FFN."""

    def __init__(self, dim: int, ffn_dim: int, num_heads: int, head_dim: int, eps: float, prefix: str):
        super().__init__()
        self.prefix = prefix
        self.norm1 = nn.LayerNorm(dim, eps=eps, elementwise_affine=False)
        self.norm2 = nn.LayerNorm(dim, eps=eps, elementwise_affine=False)
        self.ffn = feed_forward(dim, ffn_dim)
        qkv = nn.Parameter(torch.randn(3, num_heads, dim, head_dim) / (dim * head_dim) ** 0.5)
        self.register_parameter(f"wan_{prefix}_qkv", qkv)
        self.add_module(f"wan_{prefix}_o", nn.Linear(num_heads * head_dim, dim, bias=False))
        self.add_module(f"wan_{prefix}_norm_q", nn.RMSNorm(num_heads * head_dim, eps=eps))
        self.add_module(f"wan_{prefix}_norm_k", nn.RMSNorm(num_heads * head_dim, eps=eps))

    def project_qkv(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """[B, L, dim] -> q, k, v each [B, L, heads, head_dim]; q and k normalised across all heads."""
        qkv = getattr(self, f"wan_{self.prefix}_qkv")
        q, k, v = torch.einsum("bld,khde->kblhe", tokens.to(qkv.dtype), qkv).unbind(0)
        norm_q = getattr(self, f"wan_{self.prefix}_norm_q")
        norm_k = getattr(self, f"wan_{self.prefix}_norm_k")
        q = norm_q(q.flatten(-2)).unflatten(-1, q.shape[-2:])
        k = norm_k(k.flatten(-2)).unflatten(-1, k.shape[-2:])
        return q, k, v

    def project_out(self, attended: torch.Tensor) -> torch.Tensor:
        return getattr(self, f"wan_{self.prefix}_o")(attended.flatten(-2))


class ActionExpertBlock(ExpertBlock):
    def __init__(self, config: ActionExpertConfig, num_heads: int, head_dim: int):
        super().__init__(config.dim, config.ffn_dim, num_heads, head_dim, config.eps, prefix="action")
        self.modulation = nn.Parameter(torch.randn(1, 6, config.dim) / config.dim**0.5)


class UnderstandingExpertBlock(ExpertBlock):
    def __init__(self, config: UnderstandingExpertConfig, num_heads: int, head_dim: int):
        super().__init__(config.dim, config.ffn_dim, num_heads, head_dim, config.eps, prefix="und")


class StateActionEncoder(nn.Module):
    """State token + action tokens (+ registers) -> expert width, plus fixed sin-cos positions."""

    def __init__(self, state_dim: int, action_dim: int, dim: int, positions: int):
        super().__init__()
        self.state_encoder = silu_mlp(state_dim, dim, depth=3)
        self.action_encoder = silu_mlp(action_dim, dim, depth=3)
        self.register_buffer("pos_embedding", sincos_positions(positions, dim).unsqueeze(0))

    def forward(self, state: torch.Tensor, actions: torch.Tensor, registers: torch.Tensor | None) -> torch.Tensor:
        parts = [self.state_encoder(state.unsqueeze(1)), self.action_encoder(actions)]
        if registers is not None:
            parts.append(registers.expand(actions.shape[0], -1, -1))
        tokens = torch.cat(parts, dim=1)
        return tokens + self.pos_embedding[:, : tokens.shape[1]].to(tokens.dtype)


class ActionOnlyEncoder(nn.Module):
    """Action tokens (+ registers) -> expert width, plus fixed sin-cos positions: the stage-2 (pretrain) encoder,
    for latent actions that come without a robot state."""

    def __init__(self, action_dim: int, dim: int, positions: int):
        super().__init__()
        self.action_encoder = silu_mlp(action_dim, dim, depth=3)
        self.register_buffer("pos_embedding", sincos_positions(positions, dim).unsqueeze(0))

    def forward(self, state: torch.Tensor, actions: torch.Tensor, registers: torch.Tensor | None) -> torch.Tensor:
        parts = [self.action_encoder(actions)]
        if registers is not None:
            parts.append(registers.expand(actions.shape[0], -1, -1))
        tokens = torch.cat(parts, dim=1)
        return tokens + self.pos_embedding[:, : tokens.shape[1]].to(tokens.dtype)


class ActionDecoder(nn.Module):
    """Time-modulated LayerNorm + Linear to the action width; zero-initialised so training starts from v = 0."""

    def __init__(self, dim: int, action_dim: int, eps: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=eps, elementwise_affine=False)
        self.action_head = silu_mlp(dim, action_dim, depth=1)
        self.modulation = nn.Parameter(torch.randn(1, 2, dim) / dim**0.5)
        nn.init.zeros_(self.action_head[0].weight)
        nn.init.zeros_(self.action_head[0].bias)

    def forward(self, tokens: torch.Tensor, time_emb: torch.Tensor) -> torch.Tensor:
        shift, scale = (self.modulation.unsqueeze(0).float() + time_emb.float().unsqueeze(2)).unbind(2)
        x = self.norm(tokens.float()) * (1 + scale) + shift
        return self.action_head(x.to(self.action_head[0].weight.dtype))


class ActionExpert(nn.Module):
    def __init__(self, config: MotusConfig):
        super().__init__()
        ac, video = config.action, config.video
        self.config = ac
        self.registers = nn.Parameter(torch.randn(1, ac.num_registers, ac.dim) * 0.02) if ac.num_registers else None
        positions = config.action_positions
        if ac.training_mode == "pretrain":
            self.input_encoder = ActionOnlyEncoder(config.action_dim, ac.dim, positions)
        else:
            self.input_encoder = StateActionEncoder(config.state_dim, config.action_dim, ac.dim, positions)
        # where the action tokens start in the expert's sequence (after the state token, when there is one)
        self.action_offset = 0 if ac.training_mode == "pretrain" else 1
        self.time_embedding = nn.Sequential(nn.Linear(TIME_FREQ_DIM, ac.dim), nn.SiLU(), nn.Linear(ac.dim, ac.dim))
        self.time_projection = nn.Sequential(nn.SiLU(), nn.Linear(ac.dim, ac.dim * 6))
        self.blocks = nn.ModuleList(
            ActionExpertBlock(ac, video.num_heads, video.head_dim) for _ in range(video.num_layers)
        )
        self.decoder = ActionDecoder(ac.dim, config.action_dim, ac.eps)

    def encode(self, state: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self.input_encoder(state, actions, self.registers)

    def time_conditioning(self, timesteps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-token [B, L] timesteps (0..1000) -> embedding [B, L, D] and modulations [B, L, 6, D], in float32."""
        with torch.autocast(device_type=timesteps.device.type, enabled=False):
            linear = self.time_embedding[0]
            emb = self.time_embedding(sinusoidal_embedding(timesteps, TIME_FREQ_DIM).to(linear.weight.dtype)).float()
            mods = self.time_projection(emb.to(linear.weight.dtype)).float()
        return emb, mods.unflatten(-1, (6, -1))


class UnderstandingExpert(nn.Module):
    def __init__(self, config: MotusConfig):
        super().__init__()
        uc, video = config.understanding, config.video
        self.config = uc
        self.vlm_adapter = silu_mlp(config.vlm_hidden_size, uc.dim, depth=3)
        self.blocks = nn.ModuleList(
            UnderstandingExpertBlock(uc, video.num_heads, video.head_dim) for _ in range(video.num_layers)
        )
