"""The video stream of the MoT layer is exactly diffusers' Wan block, and key names translate both ways."""

from __future__ import annotations

import pytest
import torch

from motus.mot import MotusTransformer
from motus.video_expert import diffusers_to_wan_key, video_time_embedding, wan_to_diffusers_key


def test_key_names_round_trip(tiny_config):
    model = MotusTransformer(tiny_config).video_model.wan_model
    for key in model.state_dict():
        wan = diffusers_to_wan_key(key)
        assert wan_to_diffusers_key(wan) == key
    assert diffusers_to_wan_key("blocks.1.attn2.to_out.0.weight") == "blocks.1.cross_attn.o.weight"
    assert diffusers_to_wan_key("condition_embedder.time_proj.bias") == "time_projection.1.bias"
    with pytest.raises(KeyError):
        diffusers_to_wan_key("blocks.0.something_new.weight")


def test_layer_without_other_experts_equals_diffusers_block(tiny_config):
    """With no action or understanding tokens, one MoT layer must compute what diffusers' WanTransformerBlock does."""
    torch.manual_seed(0)
    model = MotusTransformer(tiny_config).eval()
    wan = model.wan
    batch, dim = 2, tiny_config.video.dim
    latents = torch.randn(batch, tiny_config.video.latent_channels, 3, 12, 10)
    rope = wan.rope(latents)
    x_v = torch.randn(batch, 3 * 6 * 5, dim)
    timesteps = torch.tensor([[700.0], [20.0]]).expand(batch, x_v.shape[1])
    _, mods = video_time_embedding(wan, timesteps, wan.config.freq_dim)
    text = model.embed_text(torch.randn(batch, tiny_config.video.text_len, tiny_config.video.text_dim))
    heads = tiny_config.video.num_heads
    attn = wan.blocks[0].attn2
    kv = (attn.norm_k(attn.to_k(text)).unflatten(-1, (heads, -1)), attn.to_v(text).unflatten(-1, (heads, -1)))
    empty_a = torch.zeros(batch, 0, tiny_config.action.dim)
    empty_u = torch.zeros(batch, 0, tiny_config.understanding.dim)
    a_mods = torch.zeros(batch, 0, 6, tiny_config.action.dim)
    with torch.no_grad():
        ours, _, _ = model._layer(0, x_v, empty_a, empty_u, mods, a_mods, rope, kv, None)
        reference = wan.blocks[0](x_v, text, mods, rope)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-5)


def test_time_embedding_matches_diffusers(tiny_config):
    wan = MotusTransformer(tiny_config).wan
    t = torch.tensor([0.0, 250.0, 999.0])
    ours, ours_proj = video_time_embedding(wan, t[:, None], wan.config.freq_dim)
    temb, proj, _, _ = wan.condition_embedder(t, torch.zeros(3, 4, tiny_config.video.text_dim))
    torch.testing.assert_close(ours[:, 0], temb, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours_proj[:, 0].flatten(1), proj, rtol=1e-5, atol=1e-5)
