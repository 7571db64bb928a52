"""How close a predicted future is to the real one: per predicted frame (PSNR and SSIM from scikit-image, a distance
in the model's own VAE latent space) and per predicted action (per-joint error, gripper open/closed agreement), each
kept per horizon step so that error growth over the chunk is visible.

PSNR of two identical frames is infinite; it is stored as ``PSNR_CAP`` (100 dB, above any 8-bit difference: one grey
level in one pixel of a 192x160 frame is 98.6 dB) so that means and JSON stay finite.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

PSNR_CAP = 100.0
GRIPPER_OPEN = 0.5  # RoboTwin's gripper runs from 0 (closed) to 1 (open)


def psnr(predicted: np.ndarray, real: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 frames, in dB (``PSNR_CAP`` when they are identical)."""
    if np.array_equal(predicted, real):
        return PSNR_CAP
    return float(min(PSNR_CAP, peak_signal_noise_ratio(real, predicted, data_range=255)))


def ssim(predicted: np.ndarray, real: np.ndarray) -> float:
    """Structural similarity of two uint8 HxWx3 frames (1 = identical), channels averaged."""
    return float(structural_similarity(real, predicted, channel_axis=-1, data_range=255))


def frame_metrics(predicted: np.ndarray, real: np.ndarray) -> dict[str, list[float]]:
    """PSNR and SSIM per horizon step of uint8 [T, H, W, 3] predicted and real frames."""
    if predicted.shape != real.shape:
        raise ValueError(f"predicted frames {predicted.shape} and real frames {real.shape} differ in shape")
    return {
        "psnr": [psnr(p, r) for p, r in zip(predicted, real, strict=True)],
        "ssim": [ssim(p, r) for p, r in zip(predicted, real, strict=True)],
    }


def latent_distance(predicted: np.ndarray, real: np.ndarray) -> list[float]:
    """Per latent time step, the mean squared difference of two ``[T, C, h, w]`` latent clips, in the space the video
    expert denoises (the VAE's per-channel normalisation applied)."""
    if predicted.shape != real.shape:
        raise ValueError(f"predicted latents {predicted.shape} and real latents {real.shape} differ in shape")
    difference = predicted.astype(np.float64) - real.astype(np.float64)
    return (difference**2).reshape(len(difference), -1).mean(axis=1).tolist()


def gripper_columns(action_dim: int) -> list[int]:
    """The gripper entries of a qpos action: the last of each arm's half (RoboTwin's [arm, gripper] x 2 layout)."""
    half = action_dim // 2
    return [half - 1, action_dim - 1]


def action_metrics(predicted: np.ndarray, real: np.ndarray) -> dict[str, list]:
    """Per horizon step of [K, A] predicted and real actions: mean absolute joint error (rad, grippers excluded),
    the error of each joint, and whether each gripper's open/closed state agrees."""
    if predicted.shape != real.shape:
        raise ValueError(f"predicted actions {predicted.shape} and real actions {real.shape} differ in shape")
    grippers = gripper_columns(real.shape[1])
    joints = [c for c in range(real.shape[1]) if c not in grippers]
    error = np.abs(predicted.astype(np.float64) - real.astype(np.float64))
    agree = (predicted[:, grippers] > GRIPPER_OPEN) == (real[:, grippers] > GRIPPER_OPEN)
    return {
        "joint_error": error[:, joints].mean(axis=1).tolist(),
        "per_joint_error": error.tolist(),
        "gripper_accuracy": agree.mean(axis=1).tolist(),
    }
