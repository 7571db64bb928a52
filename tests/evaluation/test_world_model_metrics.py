"""The world-model metrics on cases whose values are known, and the imagination gap's bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.running.imagination import ImaginationGap
from evaluation.world_model.metrics import PSNR_CAP, action_metrics, frame_metrics, latent_distance, psnr, ssim


def frames(seed: int = 0, count: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(20, 236, size=(count, 48, 40, 3), dtype=np.uint8)


def test_identical_frames_are_perfect():
    real = frames()
    metrics = frame_metrics(real.copy(), real)
    assert metrics["psnr"] == [PSNR_CAP] * 3 and metrics["ssim"] == pytest.approx([1.0] * 3)


def test_a_uniform_offset_gives_the_psnr_of_its_mean_squared_error():
    real = frames()
    shifted = real + np.uint8(10)  # every pixel 10 grey levels off (no overflow: values stay below 246)
    expected = 10 * math.log10(255**2 / 100)  # MSE 100: 28.13 dB
    assert psnr(shifted[0], real[0]) == pytest.approx(expected, abs=1e-9)
    assert 0.0 < ssim(shifted[0], real[0]) < 1.0


def test_a_shifted_image_scores_worse_than_a_slightly_noisy_one():
    real = frames(count=1)[0]
    moved = np.roll(real, 4, axis=1)  # the scene 4 pixels to the side: unrelated noise pixels
    noisy = np.clip(real.astype(int) + np.random.default_rng(1).integers(-3, 4, real.shape), 0, 255).astype(np.uint8)
    assert psnr(noisy, real) > 35 > psnr(moved, real)
    assert ssim(noisy, real) > 0.9 > 0.1 > ssim(moved, real)


def test_latent_distance_per_horizon_step():
    real = np.zeros((2, 4, 3, 3))
    predicted = real.copy()
    predicted[1] += 2.0
    assert latent_distance(predicted, real) == [0.0, 4.0]


def test_action_metrics_separate_joints_from_grippers():
    real = np.zeros((2, 14))
    real[:, [6, 13]] = 1.0  # grippers open
    predicted = real.copy()
    predicted[0, :6] += 0.12  # the left arm's six joints off by 0.12 rad at step 1
    predicted[1, 13] = 0.2  # the right gripper closed at step 2
    metrics = action_metrics(predicted, real)
    assert metrics["joint_error"] == pytest.approx([0.12 * 6 / 12, 0.0])
    assert metrics["gripper_accuracy"] == [1.0, 0.5]
    assert np.array(metrics["per_joint_error"]).shape == (2, 14)


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="differ in shape"):
        frame_metrics(frames(count=2), frames(count=3))
    with pytest.raises(ValueError, match="differ in shape"):
        action_metrics(np.zeros((4, 14)), np.zeros((4, 16)))


class Imagining:
    """An agent that imagined ``predicted_frames``; the model sees the head camera as is."""

    predict_video = True
    frame_stride = 2

    def __init__(self, predicted: np.ndarray):
        self.predicted_frames = predicted

    def model_frame(self, images: dict) -> np.ndarray:
        return images["head"]


def test_the_gap_compares_each_imagined_frame_with_the_scene_after_its_action():
    imagined = frames(count=4)
    gap = ImaginationGap(Imagining(imagined))
    due = [gap.due(index) for index in range(10)]
    assert due == [None, 1, None, 2, None, 3, None, 4, None, None]  # frame j after action 2j; none past the 4th
    gap.compare(1, {"head": imagined[0]})  # imagined exactly
    gap.compare(2, {"head": imagined[1] + np.uint8(10)})  # 10 grey levels off
    record = gap.record()
    assert record["imagination_frames"] == 2
    assert record["imagination_by_horizon"]["horizon"] == [1, 2]
    assert record["imagination_by_horizon"]["psnr"] == pytest.approx([PSNR_CAP, 10 * math.log10(255**2 / 100)])
    assert record["imagination_ssim"] == pytest.approx(np.mean([1.0, ssim(imagined[1] + np.uint8(10), imagined[1])]))
    assert ImaginationGap(Imagining(imagined)).record()["imagination_psnr"] is None


def test_the_report_relates_the_gap_to_failure():
    from evaluation.reporting.summary import imagination_rows

    def episode(seed: int, success: bool, ssim_value: float | None) -> dict:
        gap = {} if ssim_value is None else {"imagination_ssim": ssim_value, "imagination_psnr": 20 * ssim_value}
        return {"task": "t", "domain": "clean", "seed": seed, "success": success, "outcome": "x", **gap}

    episodes = [episode(1, True, 0.5), episode(2, True, 0.6), episode(3, False, 0.1), episode(4, False, 0.2)]
    episodes.append(episode(5, False, None))  # run without predicted video: not part of the gap's rows
    (row,) = imagination_rows(episodes)
    assert row["n"] == 4 and row["rate"] == 0.5
    assert row["ssim"] == pytest.approx(0.35) and row["psnr"] == pytest.approx(7.0)
    assert (row["ssim_successes"], row["ssim_failures"]) == pytest.approx((0.55, 0.15))
    assert row["p_value"] == pytest.approx(1 / 3)  # exact two-sided U test, 2 against 2, fully separated
    assert (row["rate_below_median"], row["rate_above_median"]) == (0.0, 1.0)
