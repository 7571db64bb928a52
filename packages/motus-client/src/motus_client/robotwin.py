"""RoboTwin's observation (``TASK_ENV.get_obs()``) as a Motus agent takes it.

RoboTwin's dict holds ``observation`` (per camera: ``rgb`` uint8 HxWx3, intrinsics, extrinsics), ``joint_action``
(``vector``: arm joints and gripper, left then right, the commanded targets) and ``endpose`` (per arm a 7-D world pose
[x, y, z, qw, qx, qy, qz] and the gripper). Ours: ``images`` (``head``, ``left_wrist``, ``right_wrist``), ``qpos`` and
``endpose`` (pose and gripper per arm, 16 values).
"""

from __future__ import annotations

from typing import Any

import numpy as np

CAMERAS = {"head_camera": "head", "left_camera": "left_wrist", "right_camera": "right_wrist"}  # RoboTwin's -> ours
TASK_CONFIG_DOMAINS = {"demo_clean": "clean", "demo_randomized": "randomized"}  # RoboTwin's task configs -> domains
ROBOTWIN_EMBODIMENTS = {"aloha-agilex": "aloha_agilex", "franka-panda": "dual_panda"}  # RoboTwin's robots -> ours


def harness_observation(robotwin_obs: dict[str, Any]) -> dict[str, Any]:
    """Our observation from RoboTwin's; a KeyError names what RoboTwin's dict lacks (its task config must collect
    the head and wrist cameras' rgb, qpos and endpose)."""
    cameras = robotwin_obs["observation"]
    missing = [name for name in CAMERAS if "rgb" not in cameras.get(name, {})]
    if missing:
        raise KeyError(f"RoboTwin's observation has no rgb for {', '.join(missing)} (enable them in the task config)")
    joints, ends = robotwin_obs["joint_action"], robotwin_obs["endpose"]
    endpose = [*ends["left_endpose"], ends["left_gripper"], *ends["right_endpose"], ends["right_gripper"]]
    return {
        "images": {ours: np.asarray(cameras[theirs]["rgb"], dtype=np.uint8) for theirs, ours in CAMERAS.items()},
        "qpos": np.asarray(joints["vector"], dtype=np.float32),
        "endpose": np.asarray(endpose, dtype=np.float32),
    }
