"""Golden tests of the ``release`` input preset, each written from the release's code (thu-ml/Motus) it names: for a
synthetic observation, what the released deploy pipeline computes is what the preset feeds the model."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
import torch

from agents.motus_agent import MotusAgent
from conventions import CAMERA_NAMES
from motus.checkpoint import save_checkpoint
from motus.config import load_config
from motus.model import Motus
from motus.preset import PRESETS, SCENE_PREFIX, UnknownPresetError, get_preset, resolve_preset

RELEASE, HARNESS = PRESETS["release"], PRESETS["harness"]


def cameras(seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for name in CAMERA_NAMES}


def test_composite_is_the_release_stack_centred_in_384_rows():
    """inference/robotwin/Motus/deploy_policy.py MotusPolicy.update_obs (cv2.resize of each wrist to 160x120, wrists
    side by side under the head) and utils/image_utils.py resize_with_padding (scale 1, pasted at
    y_offset = (384 - 360) // 2 on black)."""
    images = cameras()
    expected = np.zeros((384, 320, 3), np.uint8)
    bottom = np.concatenate([cv2.resize(images[name], (160, 120)) for name in ("left_wrist", "right_wrist")], axis=1)
    expected[12:372] = np.concatenate([images["head"], bottom], axis=0)
    np.testing.assert_array_equal(RELEASE.composite(images), expected)
    ours = HARNESS.composite(images)  # this harness's own checkpoints: the stack at the top, padding below
    np.testing.assert_array_equal(ours[:240], images["head"])
    assert ours[360:].max() == 0 and not np.array_equal(ours, expected)


def test_instruction_carries_the_release_scene_prefix():
    """deploy_policy.py get_action: instruction = f"{scene_prefix}{self.current_instruction}", used for the umT5 text
    and the VLM prompt alike."""
    text = "Press the bell."
    assert RELEASE.instruction(text) == (
        "The whole scene is in a realistic, industrial art style with three views: a fixed rear camera, a movable "
        "left arm camera, and a movable right arm camera. The aloha robot is currently performing the following "
        "task: Press the bell."
    )
    assert HARNESS.instruction(text) == text


def test_vlm_prompt_puts_the_instruction_before_the_image(tiny_runtime):
    """deploy_policy.py _preprocess_vlm_messages: content [{'type': 'text', ...}, {'type': 'image', ...}], no system
    prompt, apply_chat_template(add_generation_prompt=False)."""
    processor = tiny_runtime.processor
    image = RELEASE.composite(cameras())
    instruction = RELEASE.instruction("Press the bell.")
    try:
        positions = {}
        for preset in (RELEASE, HARNESS):
            tiny_runtime.use_preset(preset)
            ids = processor([image], [instruction])["input_ids"][0].tolist()
            text_ids = processor.tokenizer(instruction, add_special_tokens=False)["input_ids"]
            start = next(i for i in range(len(ids)) if ids[i : i + len(text_ids)] == text_ids)
            positions[preset.name] = (start, ids.index(processor.image_token_id))
    finally:
        tiny_runtime.use_preset(HARNESS)
    text_at, image_at = positions["release"]
    assert text_at < image_at
    text_at, image_at = positions["harness"]
    assert image_at < text_at


def test_sampling_grid_is_the_release_plain_grid(tiny_runtime):
    """models/motus.py Motus.inference_step: timesteps = torch.linspace(1.0, 0.0, num_inference_steps + 1), Euler
    steps between consecutive entries, time input t * 1000."""
    schedule = tiny_runtime.model.schedule
    try:
        tiny_runtime.use_preset(RELEASE)
        release = schedule.sampling_sigmas(10)
    finally:
        tiny_runtime.use_preset(HARNESS)
    torch.testing.assert_close(release, torch.linspace(1.0, 0.0, 11))
    torch.testing.assert_close(schedule.timestep(release), torch.linspace(1000.0, 0.0, 11))
    assert float(schedule.sampling_sigmas(10)[5]) == pytest.approx(5 * 0.5 / (1 + 4 * 0.5))  # harness: shifted


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    model = Motus.build(load_config("motus_tiny"))
    torch.nn.init.normal_(model.action_expert.decoder.action_head[0].weight, std=0.5)
    return model


@pytest.mark.parametrize("layout", ["released", "ours"])
def test_agent_chooses_the_preset_from_the_checkpoint_layout(tiny_model, tmp_path, layout):
    """deploy_policy.py eval(): the whole chunk of 16 actions is executed open loop (one model call per chunk)."""
    folder = tmp_path / layout
    save_checkpoint(tiny_model, tiny_model.config, folder, layout=layout)
    agent = MotusAgent(str(folder), config="motus_tiny" if layout == "released" else None, device="cpu")
    policy = agent.policy
    expected = RELEASE if layout == "released" else HARNESS
    assert policy.preset == expected and policy.identity["preset"] == expected.name
    assert policy.mode == ("joint" if layout == "released" else "vla")
    assert policy.identity["num_steps"] == (10 if layout == "released" else 2)  # the harness's: the steps study
    seen = {}
    predict = policy.runtime.predict

    def spy(images, instructions, state, **kwargs):
        seen["instructions"] = instructions
        return predict(images, instructions, state, **kwargs)

    policy.runtime.predict = spy
    agent.reset(task="click_bell", instruction="Press the bell.", seed=1)
    obs = {"images": cameras(), "qpos": np.zeros(16, np.float32)}
    chunk = agent.act(obs)
    assert chunk.shape == (16, 16)  # the release executes all 16 before observing again
    assert seen["instructions"] == [expected.instruction("Press the bell.")]


def test_presets_are_checked_by_name():
    with pytest.raises(UnknownPresetError, match="valid: harness, release"):
        get_preset("paper")
    assert resolve_preset("auto", "ours", "release") == RELEASE  # ours, trained with the release's inputs
    assert resolve_preset("harness", "released", "release") == HARNESS  # an explicit choice wins
    assert SCENE_PREFIX.endswith("task: ")


def test_sample_shift_overrides_only_the_grid(tiny_model, tmp_path):
    """The steps study's two grids on one checkpoint: the harness preset with the release's unshifted grid."""
    save_checkpoint(tiny_model, tiny_model.config, tmp_path / "ours")
    agent = MotusAgent(str(tmp_path / "ours"), device="cpu", sample_shift=1.0)
    policy = agent.policy
    assert policy.preset == replace(HARNESS, sample_shift=1.0)  # composite, prompt and prefix unchanged
    torch.testing.assert_close(policy.runtime.model.schedule.sampling_sigmas(4), torch.linspace(1.0, 0.0, 5))
    assert policy.identity["sample_shift"] == 1.0
    default = MotusAgent(str(tmp_path / "ours"), device="cpu").policy
    assert default.identity["sample_shift"] == tiny_model.config.scheduler.shift
    with pytest.raises(ValueError, match="sample_shift must be positive"):
        MotusAgent(str(tmp_path / "ours"), device="cpu", sample_shift=0)
