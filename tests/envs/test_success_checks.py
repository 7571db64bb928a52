"""Success checks, tested by putting objects (and hands) where the check should pass, and just off it.

Poses are set directly: none of these tests runs a task's expert, so a check that secretly depended on state the
expert sets would fail here.
"""

from __future__ import annotations

import mplib
import numpy as np
import pytest
import sapien

from envs.planner import ArmPlanner
from envs.skills import Skills, hand_pose


def move_object(obj, position, q=(1, 0, 0, 0)):
    obj.entity.set_pose(sapien.Pose(np.asarray(position, dtype=np.float32), np.asarray(q, dtype=np.float32)))


def bottom_at(obj, point):
    """Teleport ``obj`` so that its 'bottom' point (the frame origin) is at ``point``."""
    move_object(obj, point, obj.pose.q)


def put_tcp(env, arm, position, approach=(0, 0, -1), closing=(1, 0, 0)):
    """Teleport an arm (joints, not physics) so its TCP is at ``position``."""
    planner = ArmPlanner(env.robot, arm, env.control_period).planner
    goal = hand_pose(position, approach, closing)
    qpos = env.robot.articulation.get_qpos()
    status, solutions = planner.IK(mplib.Pose(p=goal.p, q=goal.q), qpos)
    assert status == "Success", status
    env.robot.articulation.set_qpos(solutions[0])
    assert np.linalg.norm(env.robot.ee_pose(arm).p - position) < 1e-3


def set_gripper(env, arm, value):
    env.robot.target[env.embodiment.gripper_index(arm)] = value


@pytest.fixture
def reset(env_factory):
    def _reset(task, seed=7):
        env = env_factory(task)
        env.reset(seed=seed)
        return env, env.task

    return _reset


def test_stack_blocks_two(reset):
    env, task = reset("stack_blocks_two")
    assert not task.success()
    bottom_at(task.green, task.red.world_point("top"))
    assert task.success()
    set_gripper(env, "left", 0.0)
    assert not task.success()
    set_gripper(env, "left", 1.0)
    bottom_at(task.green, task.red.world_point("top") + [0.03, 0, 0])
    assert not task.success()


def test_stack_blocks_three(reset):
    _, task = reset("stack_blocks_three")
    red, green, blue = task.cubes
    bottom_at(green, red.world_point("top"))
    assert not task.success()
    bottom_at(blue, green.world_point("top"))
    assert task.success()
    bottom_at(blue, green.world_point("top") + [0, 0, 0.015])
    assert not task.success()


def test_click_bell_needs_a_closed_gripper_touching_the_top(reset):
    env, task = reset("click_bell")
    skills = Skills(env)
    top = task.bell.world_point("top")
    skills.gripper({task.arm: 0.0}, steps=2)
    q = hand_pose([0, 0, 0], (0, 0, -1), (1, 0, 0)).q
    skills.move({task.arm: sapien.Pose(top + [0, 0, 0.03], q)})
    assert not env.success_latched  # hovering 3 cm above: no contact
    skills.move({task.arm: sapien.Pose(top + [0, 0, -0.005], q)})
    assert env.success_latched and env.success_step is not None and env.done
    set_gripper(env, task.arm, 1.0)
    assert not task.success()  # the raw check needs a closed gripper ...
    assert env._check_success()  # ... but the latch keeps the episode a success


def test_place_empty_cup(reset):
    env, task = reset("place_empty_cup")
    target = task.coaster.world_point("top")
    bottom_at(task.cup, target)
    assert task.success()
    bottom_at(task.cup, target + [0.04, 0, 0])
    assert not task.success()
    bottom_at(task.cup, target + [0, 0, 0.02])
    assert not task.success()


def test_place_container_plate(reset):
    env, task = reset("place_container_plate")
    target = task.plate.world_point("top")
    bottom_at(task.container, target + [0.03, -0.03, 0])
    assert task.success()
    bottom_at(task.container, target + [0.06, 0, 0])
    assert not task.success()
    bottom_at(task.container, target)
    set_gripper(env, "right", 0.5)
    assert not task.success()


def test_pick_dual_bottles(reset):
    _, task = reset("pick_dual_bottles")
    for arm, bottle in task.bottles.items():
        bottom_at(bottle, np.array([-0.1 if arm == "left" else 0.1, -0.1, 0.95]) - [0, 0, 0.08])
    assert task.success()
    bottom_at(task.bottles["right"], np.array([0.1, -0.1, 0.88]) - [0, 0, 0.08])
    assert not task.success()


def test_lift_pot(reset):
    env, task = reset("lift_pot")
    start = task.pot.pose
    move_object(task.pot, start.p + [0, 0, 0.12], start.q)
    for arm in ("left", "right"):
        put_tcp(env, arm, task.pot.world_point(f"{arm}_handle"), closing=(0, 1, 0))
    assert task.success()
    move_object(task.pot, start.p + [0, 0, 0.05], start.q)
    assert not task.success()  # hands still at the old height and the pot not lifted enough
    tilted = sapien.Pose(start.p + [0, 0, 0.12], [0.87, 0.5, 0.0, 0.0])  # 60 degrees about x
    move_object(task.pot, tilted.p, tilted.q)
    assert not task.success()


def test_beat_block_hammer_needs_contact_and_alignment(reset):
    env, task = reset("beat_block_hammer")
    hammer, block = task.hammer, task.block
    flat = sapien.Pose(q=[1, 0, 0, 0])
    head_offset = hammer.points["head_face"]
    move_object(hammer, block.world_point("top") + [0, 0, 0.03] - np.asarray(head_offset), flat.q)
    assert not task.success()  # aligned but in the air
    move_object(hammer, block.world_point("top") + [0, 0, 0.0005] - np.asarray(head_offset), flat.q)
    env.scene.scene.step()
    assert task.success()
    move_object(hammer, block.world_point("top") + [0.03, 0, 0.0005] - np.asarray(head_offset), flat.q)
    env.scene.scene.step()
    assert task.in_contact(hammer, block) and not task.success()


def test_handover_block(reset):
    env, task = reset("handover_block")
    bottom_at(task.block, task.pad.world_point("top"))
    assert task.success()
    set_gripper(env, "right", 0.0)
    assert not task.success()
    set_gripper(env, "right", 1.0)
    bottom_at(task.block, task.pad.world_point("top") + [0, 0.04, 0])
    assert not task.success()


def test_open_laptop(reset):
    env, task = reset("open_laptop")
    assert not task.success()  # starts 20 % open
    task.laptop.articulation.set_qpos([1.0])
    assert not task.success()  # open, but no hand near the lid
    put_tcp(env, task.arm, task.laptop.world_point("edge") + [0, -0.04, 0.05])
    assert task.success()
    task.laptop.articulation.set_qpos([0.6])
    assert not task.success()
