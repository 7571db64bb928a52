"""The Gymnasium contract of the environments: spaces, reset/step signatures, termination, registration."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import envs
from envs.scene import CAMERA_NAMES

INFO_KEYS = {"instruction", "task", "seed", "success", "step", "step_limit"}


def test_every_required_task_is_registered():
    required = {
        "beat_block_hammer",
        "click_bell",
        "stack_blocks_two",
        "stack_blocks_three",
        "place_container_plate",
        "place_empty_cup",
        "pick_dual_bottles",
        "lift_pot",
        "handover_block",
        "open_laptop",
    }
    assert required <= set(envs.list_tasks())
    for task in required:
        assert envs.env_id(task) in gym.registry


def test_check_env_passes():
    env = gym.make("motus/click_bell-v0")
    check_env(env.unwrapped, skip_render_check=True)


def test_observation_and_info_layout(env_factory):
    env = env_factory("stack_blocks_two")
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert set(obs["images"]) == set(CAMERA_NAMES)
    for image in obs["images"].values():
        assert image.shape == (240, 320, 3) and image.dtype == np.uint8
    assert obs["qpos"].shape == (16,) and obs["endpose"].shape == (16,)
    assert set(info) >= INFO_KEYS
    assert info["seed"] == 3 and info["task"] == "stack_blocks_two" and info["step_limit"] == 800
    assert info["instruction"] and "{" not in info["instruction"]


def test_holding_still_keeps_qpos_and_counts_steps(env_factory):
    env = env_factory("stack_blocks_two")
    obs, _ = env.reset(seed=4)
    obs2, reward, terminated, truncated, info = env.step(obs["qpos"])
    assert info["step"] == 1 and not terminated and not truncated and reward == 0.0
    assert np.allclose(obs2["qpos"], obs["qpos"], atol=1e-5)
    # The measured joints stay near the held targets (drives + gravity compensation).
    assert np.allclose(env.robot.measured_action(), obs["qpos"], atol=0.02)


def test_truncates_at_step_limit():
    env = envs.make("click_bell", step_limit=3)
    obs, _ = env.reset(seed=0)
    flags = [env.step(obs["qpos"])[2:4] for _ in range(3)]
    assert flags[:2] == [(False, False), (False, False)]
    assert flags[2] == (False, True)


def test_gripper_action_maps_to_fingers(env_factory):
    env = env_factory("stack_blocks_two")
    obs, _ = env.reset(seed=5)
    action = obs["qpos"].copy()
    action[7] = 0.0  # close the left gripper
    for _ in range(10):
        env.apply_action(action)
    measured = env.robot.measured_action()
    assert measured[7] < 0.1 and measured[15] > 0.9


def test_action_space_is_joint_limits_and_targets_are_clipped(env_factory):
    env = env_factory("stack_blocks_two")
    low, high = env.action_space.low, env.action_space.high
    assert (low[7], high[7], low[15], high[15]) == (0.0, 1.0, 0.0, 1.0)
    assert np.isclose(low[3], -3.0718) and np.isclose(high[3], -0.0698)  # Panda joint 4
    obs, _ = env.reset(seed=6)
    action = obs["qpos"].copy()
    action[3] = 5.0
    action[15] = 1.7
    env.step(action)
    assert np.isclose(env.robot.target[3], high[3]) and env.robot.target[15] == 1.0
