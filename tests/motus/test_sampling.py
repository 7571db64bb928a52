"""Sampling on motus_tiny: every mode's outputs, seeded determinism, given modalities untouched, one VLM pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motus.model import InputShapeError
from motus.scheduler import MODES, FlowSchedule, UnknownModeError
from motus.text import TextEmbeddingError


def predict(runtime, inputs, **kwargs):
    return runtime.predict(inputs["images"], inputs["instructions"], inputs["state"], **kwargs)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_output_shapes_per_mode(tiny_runtime, tiny_inputs, tiny_config, mode):
    kwargs = {}
    batch, chunk, dim = 2, tiny_config.action_chunk_size, tiny_config.action_dim
    if mode == "world_model":
        kwargs["given_actions"] = np.zeros((batch, chunk, dim), np.float32)
    if mode == "inverse_dynamics":
        kwargs["given_frames"] = np.zeros((batch, tiny_config.num_video_frames, 192, 160, 3), np.uint8)
    out = predict(tiny_runtime, tiny_inputs, mode=mode, seed=0, decode_video=True, num_steps=3, **kwargs)
    spec = MODES[mode]
    if spec.action == "noise":
        assert out.actions is None
    else:
        assert out.actions.shape == (batch, chunk, dim) and np.isfinite(out.actions).all()
    if spec.video == "noise":
        assert out.frames is None and out.video_latents is None
    else:
        assert out.video_latents.shape == (batch, 8, 3, 12, 10)
        assert out.frames.shape == (batch, 1 + tiny_config.num_video_frames, 192, 160, 3)
        assert out.frames.dtype == np.uint8


def test_seeded_sampling_is_identical_and_seeds_differ(tiny_runtime, tiny_inputs):
    first = predict(tiny_runtime, tiny_inputs, mode="joint", seed=11)
    second = predict(tiny_runtime, tiny_inputs, mode="joint", seed=11)
    other = predict(tiny_runtime, tiny_inputs, mode="joint", seed=12)
    np.testing.assert_array_equal(first.actions, second.actions)
    torch.testing.assert_close(first.video_latents, second.video_latents, rtol=0, atol=0)
    assert np.abs(first.actions - other.actions).max() > 1e-3


def test_batched_samples_equal_single_samples(tiny_runtime, tiny_inputs):
    """Each sample's noise depends on its own seed, and padding of the shorter prompt is masked out."""
    batched = predict(tiny_runtime, tiny_inputs, mode="vla", seed=[5, 9])
    for row, seed in enumerate([5, 9]):
        single = tiny_runtime.predict(
            tiny_inputs["images"][row : row + 1],
            tiny_inputs["instructions"][row : row + 1],
            tiny_inputs["state"][row : row + 1],
            mode="vla",
            seed=[seed],
        )
        np.testing.assert_allclose(batched.actions[row], single.actions[0], rtol=1e-4, atol=1e-5)


def test_world_model_keeps_given_actions(tiny_runtime, tiny_inputs, tiny_config):
    given = np.random.default_rng(1).normal(size=(2, tiny_config.action_chunk_size, tiny_config.action_dim))
    out = predict(tiny_runtime, tiny_inputs, mode="world_model", seed=0, given_actions=given.astype(np.float32))
    np.testing.assert_array_equal(out.actions, given.astype(np.float32))
    video_only = predict(tiny_runtime, tiny_inputs, mode="video_generation", seed=0)
    assert (out.video_latents - video_only.video_latents).abs().max() > 1e-4  # the actions did condition the video


def test_inverse_dynamics_keeps_given_video(tiny_runtime, tiny_inputs, tiny_config):
    frames = np.random.default_rng(2).integers(0, 256, (2, tiny_config.num_video_frames, 192, 160, 3), dtype=np.uint8)
    out = predict(tiny_runtime, tiny_inputs, mode="inverse_dynamics", seed=0, given_frames=frames)
    condition = tiny_runtime.frames_to_tensor(tiny_inputs["images"][:, None])
    future = tiny_runtime.frames_to_tensor(frames)
    expected = tiny_runtime.vae.encode(torch.cat([condition, future], dim=2))
    torch.testing.assert_close(out.video_latents[:, :, 1:], expected[:, :, 1:], rtol=0, atol=0)
    vla = predict(tiny_runtime, tiny_inputs, mode="vla", seed=0)
    assert np.abs(out.actions - vla.actions).max() > 1e-4  # the given video did condition the actions


def test_vlm_runs_once_per_chunk(tiny_runtime, tiny_inputs):
    calls = []
    handle = tiny_runtime.model.vlm_model.model.register_forward_hook(lambda *args: calls.append(1))
    try:
        predict(tiny_runtime, tiny_inputs, mode="joint", seed=0, num_steps=10)
    finally:
        handle.remove()
    assert len(calls) == 1


def test_text_encoder_caches_instructions(tiny_runtime):
    calls = []
    handle = tiny_runtime.text_encoder.model.register_forward_hook(lambda *args: calls.append(1))
    try:
        first = tiny_runtime.text_encoder.encode(["stack the blocks", "stack the blocks"])
        again = tiny_runtime.text_encoder.encode(["stack the blocks"])
    finally:
        handle.remove()
    assert len(calls) == 1 and first[0] is again[0]
    assert first[0].shape[1] == 32 and first[0].shape[0] == len("stack the blocks") + 1  # bytes + </s>


def test_sampling_schedule_uses_the_training_shift(tiny_runtime):
    schedule = tiny_runtime.model.schedule
    sigmas = schedule.sampling_sigmas(10)
    assert sigmas[0] == 1.0 and sigmas[-1] == 0.0 and bool((sigmas[1:] < sigmas[:-1]).all())
    s = torch.tensor(0.5)
    assert float(sigmas[5]) == pytest.approx(float(FlowSchedule.apply_shift(s, 5.0)))  # 5*0.5/(1+4*0.5) = 0.8333


def test_bad_inputs_name_what_was_expected(tiny_runtime, tiny_inputs, tiny_config):
    with pytest.raises(InputShapeError, match=r"expected \[B, T, 192, 160, 3\]"):
        tiny_runtime.predict(np.zeros((2, 100, 100, 3), np.uint8), tiny_inputs["instructions"], tiny_inputs["state"])
    with pytest.raises(InputShapeError, match=r"expected \[2, 16\]"):
        tiny_runtime.predict(tiny_inputs["images"], tiny_inputs["instructions"], np.zeros((2, 14), np.float32))
    with pytest.raises(TextEmbeddingError, match=r"expected \[tokens, 32\]"):
        predict(tiny_runtime, tiny_inputs, t5_embeddings=[torch.zeros(5, 4096), torch.zeros(5, 4096)])
    with pytest.raises(UnknownModeError, match="valid modes"):
        predict(tiny_runtime, tiny_inputs, mode="dream")
    with pytest.raises(InputShapeError, match="needs given actions"):
        predict(tiny_runtime, tiny_inputs, mode="world_model")
