"""The Mixture-of-Transformers core: video, action and understanding experts joined by one attention per layer.

Per layer (the reference's order): AdaLN'd video tokens through Wan's q/k/v + RMSNorm + 3-D RoPE; AdaLN'd action
tokens and plainly normalised understanding tokens through their own q/k/v into the same head space; one full,
non-causal attention over [video | action | understanding]; each stream back through its own output projection
(video and action gated, understanding not); video alone cross-attends to the text; each expert runs its own FFN.

Everything that is constant over a chunk's denoising steps (the understanding tokens from the VLM, the text
context and each layer's cross-attention keys/values) is prepared once by the caller and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from motus.config import MotusConfig
from motus.experts import ActionExpert, UnderstandingExpert
from motus.video_expert import apply_rope, build_video_expert, video_time_embedding

try:  # flash-attn is optional: used on CUDA when importable, SDPA otherwise
    from flash_attn import flash_attn_func
except ImportError:  # pragma: no cover - depends on the machine
    flash_attn_func = None


COMPILE_SCOPES = ("layers", "step", "cudagraphs")


def joint_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor | None) -> torch.Tensor:
    """Full attention over [B, L, H, D] tensors; ``key_mask`` [B, L] marks keys that may be attended to."""
    if key_mask is None and flash_attn_func is not None and q.is_cuda and q.dtype in (torch.float16, torch.bfloat16):
        return flash_attn_func(q, k, v)
    mask = None if key_mask is None else key_mask[:, None, None, :]
    out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=mask)
    return out.transpose(1, 2)


class VideoModel(nn.Module):
    """Holds the Wan transformer as ``wan_model`` so parameter paths match the release (``video_model.wan_model``)."""

    def __init__(self, config: MotusConfig):
        super().__init__()
        self.wan_model = build_video_expert(config.video)


@dataclass
class ChunkContext:
    """What stays fixed across the denoising steps of one chunk."""

    und_tokens: torch.Tensor  # [B, Lu, und_dim], the adapted VLM features
    und_mask: torch.Tensor | None  # [B, Lu] bool, False on padding; None when nothing is padded
    cross_kv: list[tuple[torch.Tensor, torch.Tensor]]  # per layer: text keys/values [B, Lt, H, D]


class MotusTransformer(nn.Module):
    def __init__(self, config: MotusConfig):
        super().__init__()
        self.config = config
        self.video_model = VideoModel(config)
        self.action_expert = ActionExpert(config)
        self.und_expert = UnderstandingExpert(config)
        self.gradient_checkpointing = False
        self.layer_fn = mot_layer  # compile_layers() swaps in torch.compile(mot_layer)
        self.network_fn = None  # compile_network("step" | "cudagraphs") sets a compiled forward for the sampler
        self.compiled = None  # the compile scope in use (None: eager)

    @property
    def wan(self):
        return self.video_model.wan_model

    # ----- per-chunk preparation -----
    def embed_text(self, t5_embeddings: torch.Tensor) -> torch.Tensor:
        """[B, text_len, text_dim] umT5 features -> [B, text_len, dim] (Wan's text projection)."""
        return self.wan.condition_embedder.text_embedder(t5_embeddings.to(self.wan.patch_embedding.weight.dtype))

    def prepare_chunk(self, vlm_hidden: torch.Tensor, vlm_mask: torch.Tensor | None, t5_embeddings: torch.Tensor):
        context = self.embed_text(t5_embeddings)
        heads = self.config.video.num_heads
        cross_kv = []
        for block in self.wan.blocks:
            attn = block.attn2
            k = attn.norm_k(attn.to_k(context)).unflatten(-1, (heads, -1))
            v = attn.to_v(context).unflatten(-1, (heads, -1))
            cross_kv.append((k, v))
        und_tokens = self.und_expert.vlm_adapter(vlm_hidden.to(self.und_expert.vlm_adapter[0].weight.dtype))
        if vlm_mask is not None and bool(vlm_mask.all()):
            vlm_mask = None
        return ChunkContext(und_tokens=und_tokens, und_mask=vlm_mask, cross_kv=cross_kv)

    # ----- one network evaluation -----
    def forward(
        self,
        video_latents: torch.Tensor,
        video_timesteps: torch.Tensor,
        state: torch.Tensor,
        actions: torch.Tensor,
        action_timesteps: torch.Tensor,
        chunk: ChunkContext,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Velocities for video latents [B, C, T, H, W] and actions [B, K, A] at timesteps [B] in 0..1000."""
        wan = self.wan
        batch = video_latents.shape[0]
        dtype = wan.patch_embedding.weight.dtype
        rope = wan.rope(video_latents)
        x_v = wan.patch_embedding(video_latents.to(dtype)).flatten(2).transpose(1, 2).contiguous()
        v_emb, v_mods = video_time_embedding(
            wan, video_timesteps[:, None].expand(batch, x_v.shape[1]), wan.config.freq_dim
        )
        x_a = self.action_expert.encode(state.to(dtype), actions.to(dtype))
        a_emb, a_mods = self.action_expert.time_conditioning(action_timesteps[:, None].expand(batch, x_a.shape[1]))
        x_u = chunk.und_tokens
        key_mask = None
        if chunk.und_mask is not None:
            ones = torch.ones(batch, x_v.shape[1] + x_a.shape[1], dtype=torch.bool, device=x_v.device)
            key_mask = torch.cat([ones, chunk.und_mask.to(x_v.device)], dim=1)

        for index in range(len(wan.blocks)):
            args = (x_v, x_a, x_u, v_mods, a_mods, rope, chunk.cross_kv[index], key_mask)
            if self.gradient_checkpointing and torch.is_grad_enabled():
                x_v, x_a, x_u = checkpoint(self._layer, index, *args, use_reentrant=False)
            else:
                x_v, x_a, x_u = self._layer(index, *args)

        shift, scale = (wan.scale_shift_table.unsqueeze(0).float() + v_emb.unsqueeze(2)).unbind(2)
        out = wan.proj_out((wan.norm_out(x_v.float()) * (1 + scale) + shift).to(dtype))
        video_velocity = self._unpatchify(out, video_latents.shape)
        action_out = self.action_expert.decoder(x_a, a_emb)
        start = self.action_expert.action_offset
        action_velocity = action_out[:, start : start + actions.shape[1]]
        return video_velocity.float(), action_velocity.float()

    def compile_layers(self, mode: str = "default") -> None:
        """``torch.compile`` the MoT layer: one graph serves all layers (``mot_layer`` takes the blocks as
        arguments). The first forward pays the compilation (about a minute for the 8B model on an H200); each new
        batch size compiles once more. Measured on an H200: VLA chunk 0.544 s eager -> 0.295 s compiled."""
        self.layer_fn = torch.compile(mot_layer, mode=mode, dynamic=False)
        self.compiled = "layers"

    def compile_network(self, scope: str) -> None:
        """Compile for sampling. ``layers``: the MoT layer (above). ``step``: one whole network evaluation (every
        layer, the embeddings and the heads) as one graph, so the kernels of a denoising step fuse across layers.
        ``cudagraphs``: the same graph replayed as a CUDA graph (``mode="reduce-overhead"``): at batch 1 a step is
        hundreds of small kernels, and launching them costs more than running them. Each batch size is its own graph,
        so the runtime pads batches to powers of two (``MotusRuntime.predict``)."""
        if scope not in COMPILE_SCOPES:
            raise ValueError(f"unknown compile scope {scope!r}; valid: {', '.join(COMPILE_SCOPES)}")
        if scope == "layers":
            self.compile_layers()
            return
        if scope == "cudagraphs" and self.wan.patch_embedding.weight.device.type != "cuda":
            raise ValueError("compile=cudagraphs needs the model on a CUDA device; on a CPU use step or layers")
        mode = "reduce-overhead" if scope == "cudagraphs" else "default"
        self.network_fn = torch.compile(self.forward, mode=mode, dynamic=False)
        self.compiled = scope

    def evaluate(self, *args) -> tuple[torch.Tensor, torch.Tensor]:
        """One network evaluation of the sampler: the compiled forward when there is one."""
        if self.network_fn is None:
            return self(*args)
        if self.compiled == "cudagraphs":  # a new replay: the previous step's outputs were consumed
            torch.compiler.cudagraph_mark_step_begin()
        return self.network_fn(*args)

    def _layer(self, index, x_v, x_a, x_u, v_mods, a_mods, rope, cross_kv, key_mask):
        """Layer ``index`` of the three experts. The work is ``self.layer_fn`` (``mot_layer``), which takes the
        blocks as arguments: ``torch.compile`` of it gives one graph for every layer instead of one per index."""
        blocks = (self.wan.blocks[index], self.action_expert.blocks[index], self.und_expert.blocks[index])
        heads = self.config.video.num_heads
        return self.layer_fn(*blocks, heads, x_v, x_a, x_u, v_mods, a_mods, rope, cross_kv, key_mask)

    def _unpatchify(self, tokens: torch.Tensor, shape: torch.Size) -> torch.Tensor:
        batch, channels, frames, height, width = shape
        pt, ph, pw = self.config.video.patch_size
        x = tokens.reshape(batch, frames // pt, height // ph, width // pw, pt, ph, pw, channels)
        return x.permute(0, 7, 1, 4, 2, 5, 3, 6).reshape(batch, channels, frames, height, width)


def mot_layer(wb, ab, ub, heads: int, x_v, x_a, x_u, v_mods, a_mods, rope, cross_kv, key_mask):
    """One Mixture-of-Transformers layer: each expert projects its own tokens, one joint attention over video,
    action and understanding tokens, then the video expert's cross-attention to the text and each expert's FFN."""
    vm = (wb.scale_shift_table.unsqueeze(0).float() + v_mods).unbind(2)
    am = (ab.modulation.unsqueeze(0).float() + a_mods).unbind(2)

    norm_v = (wb.norm1(x_v.float()) * (1 + vm[1]) + vm[0]).to(x_v.dtype)
    attn = wb.attn1
    q_v = attn.norm_q(attn.to_q(norm_v)).unflatten(-1, (heads, -1))
    k_v = attn.norm_k(attn.to_k(norm_v)).unflatten(-1, (heads, -1))
    v_v = attn.to_v(norm_v).unflatten(-1, (heads, -1))
    q_v, k_v = apply_rope(q_v, *rope), apply_rope(k_v, *rope)
    norm_a = (ab.norm1(x_a.float()) * (1 + am[1]) + am[0]).to(x_a.dtype)
    q_a, k_a, v_a = ab.project_qkv(norm_a)
    q_u, k_u, v_u = ub.project_qkv(ub.norm1(x_u))

    dtype = q_v.dtype
    q = torch.cat([q_v, q_a.to(dtype), q_u.to(dtype)], dim=1)
    k = torch.cat([k_v, k_a.to(dtype), k_u.to(dtype)], dim=1)
    v = torch.cat([v_v, v_a.to(dtype), v_u.to(dtype)], dim=1)
    out = joint_attention(q, k, v, key_mask)
    o_v, o_a, o_u = out.split([x_v.shape[1], x_a.shape[1], x_u.shape[1]], dim=1)

    x_v = (x_v.float() + attn.to_out[0](o_v.flatten(-2)).float() * vm[2]).to(x_v.dtype)
    x_a = (x_a.float() + ab.project_out(o_a.to(x_a.dtype)).float() * am[2]).to(x_a.dtype)
    x_u = x_u + ub.project_out(o_u.to(x_u.dtype))

    cross = wb.attn2
    q_c = cross.norm_q(cross.to_q(wb.norm2(x_v.float()).to(x_v.dtype))).unflatten(-1, (heads, -1))
    k_c, v_c = cross_kv
    x_v = x_v + cross.to_out[0](joint_attention(q_c, k_c, v_c, None).flatten(-2))

    ffn_in = (wb.norm3(x_v.float()) * (1 + vm[4]) + vm[3]).to(x_v.dtype)
    x_v = (x_v.float() + wb.ffn(ffn_in).float() * vm[5]).to(x_v.dtype)
    ffn_in = (ab.norm2(x_a.float()) * (1 + am[4]) + am[3]).to(x_a.dtype)
    x_a = (x_a.float() + ab.ffn(ffn_in).float() * am[5]).to(x_a.dtype)
    x_u = x_u + ub.ffn(ub.norm2(x_u))
    return x_v, x_a, x_u
