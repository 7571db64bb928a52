"""A stand-in RoboTwin 2.0 checkout for the backend's tests, written into a folder: RoboTwin's module names, classes,
methods, config files and observation structure (``envs._base_task.Base_Task``, ``envs/<task>.py``,
``envs.utils.create_actor.UnStableError``, ``description/utils/generate_episode_instructions.py``, the task configs
of either layout), with physics-free dynamics: each action moves the joints at most ``MAX_STEP`` towards its targets,
and ``check_success`` holds once an arm is within ``TOLERANCE`` of the seed's target joints.

The seed's target is painted into the first row of the head camera's image, so an agent that reads images can solve
the task (``TargetReader`` below) and one that does not cannot. Seeds with ``seed % 7 == 3`` raise ``UnStableError``
at setup and seeds with ``seed % 5 == 4`` defeat the expert (``plan_success`` False), so RoboTwin's expert check has
seeds to skip. The expert moves without counting actions, so only an agent meets the step limit. Every file the
stand-in reads is opened by a path relative to the checkout, as RoboTwin's are.
"""

from __future__ import annotations

import subprocess
import textwrap
import time
from pathlib import Path

import numpy as np

TASKS = {"beat_block_hammer": "left", "click_bell": "right"}  # task -> the arm that must reach the target
STEP_LIMITS = {"beat_block_hammer": 40, "click_bell": 3}  # 3 actions reach targets up to ~0.5 away: some fail
TARGET_RANGE = 0.6  # target joints are drawn in [-0.6, 0.6]

BASE_TASK = """
import os

import numpy as np
import yaml

from ._GLOBAL_CONFIGS import CONFIGS_PATH
from .utils.create_actor import UnStableError

MAX_STEP, TOLERANCE, SUBSTEPS = 0.15, 0.05, 5


class Joint:
    def __init__(self, name):
        self.name = name

    def get_limit(self):
        return np.array([[-2.0, 2.0]], dtype=np.float32)


class Robot:
    def __init__(self, left_config, right_config):
        self.left_arm_joints = [Joint(n) for n in left_config["arm_joints_name"][0]]
        self.right_arm_joints = [Joint(n) for n in right_config["arm_joints_name"][1]]


class Base_Task:
    def _init_task_env_(self, **kwags):
        # relative paths, as RoboTwin's: the process must work from the checkout
        with open(os.path.join(kwags["left_robot_file"], "config.yml")) as f:
            yaml.safe_load(f)
        self.task_name = kwags["task_name"]
        self.seed = kwags.get("seed", 0)
        np.random.seed(self.seed)
        self.eval_mode = kwags.get("eval_mode", False)
        self.step_lim = None
        if self.eval_mode:
            with open(os.path.join(CONFIGS_PATH, "_eval_step_limit.yml")) as f:
                self.step_lim = yaml.safe_load(f).get(self.task_name, 1000)
        self.take_action_cnt = 0
        self.eval_success = False
        self.plan_success = True
        self.instruction = None
        self.head_hw = (kwags["head_camera_h"], kwags["head_camera_w"])
        self.robot = Robot(kwags["left_embodiment_config"], kwags["right_embodiment_config"])
        self.arm_dim = len(self.robot.left_arm_joints)  # 6 (aloha-agilex) or 7 (franka-panda)
        n = self.arm_dim
        self.qpos = np.zeros(2 * n + 2)
        self.qpos[[n, 2 * n + 1]] = 1.0  # grippers open
        self.randomized = bool(kwags["domain_randomization"]["cluttered_table"])
        if self.seed % 7 == 3:
            raise UnStableError("Objects is unstable in seed " + str(self.seed))
        self.scene = "open"

    def play_once(self):
        if self.seed % 5 == 4:
            self.plan_success = False
            return self.info
        goal = self.qpos.copy()
        goal[self.arm_slice] = self.target
        while not self.check_success():  # the expert's own motion: not an evaluation action, no step limit
            self.qpos += np.clip(goal - self.qpos, -MAX_STEP, MAX_STEP)
        return self.info

    def check_success(self):
        return bool(np.abs(self.qpos[self.arm_slice] - self.target).max() < TOLERANCE)

    def take_action(self, action, action_type="qpos"):
        if self.take_action_cnt == self.step_lim or self.eval_success:
            return
        assert action_type == "qpos" and len(action) == len(self.qpos), (action_type, len(action))
        self.take_action_cnt += 1
        start = self.qpos.copy()
        move = np.clip(np.asarray(action, dtype=np.float64) - start, -MAX_STEP, MAX_STEP)
        for k in range(1, SUBSTEPS + 1):
            self.qpos = start + move * k / SUBSTEPS
            if self.eval_mode and self.check_success():
                self.eval_success = True
                return

    def get_obs(self):
        h, w = self.head_hw
        cameras = {}
        for name, shade in (("head_camera", 40), ("left_camera", 90), ("right_camera", 140)):
            rgb = np.full((h, w, 3), shade + (60 if self.randomized else 0), dtype=np.uint8)
            rgb[h // 2 :, : int(w * (self.qpos[0] + 2) / 4)] = 220  # the joints, visibly
            cameras[name] = {
                "intrinsic_cv": np.eye(3, dtype=np.float32),
                "extrinsic_cv": np.zeros((3, 4), dtype=np.float32),
                "cam2world_gl": np.eye(4, dtype=np.float32),
                "rgb": rgb,
            }
        code = np.round((self.target + 0.6) / 1.2 * 255).astype(np.uint8)
        cameras["head_camera"]["rgb"][0, : len(code), 0] = code
        n = self.arm_dim
        left, right = self.qpos[:n], self.qpos[n + 1 : 2 * n + 1]
        return {
            "observation": cameras,
            "pointcloud": [],
            "joint_action": {
                "left_arm": list(left), "left_gripper": float(self.qpos[n]),
                "right_arm": list(right), "right_gripper": float(self.qpos[-1]),
                "vector": self.qpos.copy(),
            },
            "endpose": {
                "left_endpose": [0.1, 0.2, 0.9, 1.0, 0.0, 0.0, 0.0], "left_gripper": float(self.qpos[n]),
                "right_endpose": [-0.1, 0.2, 0.9, 1.0, 0.0, 0.0, 0.0], "right_gripper": float(self.qpos[-1]),
            },
        }

    def set_instruction(self, instruction=None):
        self.instruction = instruction

    def get_instruction(self, instruction=None):
        return self.instruction

    def close_env(self, clear_cache=False):
        self.scene = None
"""

TASK_FILE = """
import numpy as np

from ._base_task import Base_Task


class {task}(Base_Task):
    def setup_demo(self, **kwags):
        super()._init_task_env_(**kwags)
        self.load_actors()

    def load_actors(self):
        n = self.arm_dim
        self.target = np.random.uniform(-0.6, 0.6, size=n)
        self.arm_slice = slice(0, n) if "{arm}" == "left" else slice(n + 1, 2 * n + 1)
        color = ["red", "green", "blue"][self.seed % 3]
        self.info = {{"info": {{"{{A}}": color + " block", "{{a}}": "{arm}"}}}}
"""

INSTRUCTIONS = """
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def generate_episode_descriptions(task_name, episodes, max_descriptions=1000000):
    with open(os.path.join(HERE, "..", "task_instruction", task_name + ".json")) as f:
        templates = json.load(f)
    results = []
    for index, params in enumerate(episodes):
        entry = {"episode_index": index}
        for split in ("seen", "unseen"):
            filled = []
            for template in templates[split]:
                for key, value in params.items():
                    template = template.replace(key, value)
                filled.append(template)
            random.shuffle(filled)
            entry[split] = filled[:max_descriptions]
        results.append(entry)
    return results
"""

GLOBAL_CONFIGS = """
import os

ROOT_PATH = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
CONFIGS_PATH = os.path.join(ROOT_PATH, "{configs}/")
SCRIPT_PATH = os.path.join(ROOT_PATH, "{scripts}/")
"""


ARM_JOINTS = {"aloha-agilex": 6, "franka-panda": 7}  # RoboTwin's robots: 14-D and 16-D qpos actions


def task_config(randomized: bool, legacy: bool, robot: str) -> str:
    config = f"""
        render_freq: 0
        episode_num: 50
        embodiment: [{robot}]
        language_num: 100
        domain_randomization:
          random_background: {str(randomized).lower()}
          cluttered_table: {str(randomized).lower()}
          clean_background_rate: 0.02
          random_head_camera_dis: 0
          random_table_height: 0
          random_light: {str(randomized).lower()}
          crazy_random_light_rate: 0.02
        camera:
          head_camera_type: D435
          wrist_camera_type: D435
          collect_head_camera: true
          collect_wrist_camera: true
        data_type:
          rgb: true
          third_view: false
          depth: false
          pointcloud: false
          endpose: true
          qpos: true
        clear_cache_freq: 5
        collect_data: true
        eval_video_log: true
    """
    if not legacy:  # the current layout's configs say which instructions to evaluate with
        config += f"    eval_instruction: {'unseen' if randomized else 'seen'}\n"
    return textwrap.dedent(config)


def write_standin(
    root: Path, layout: str = "current", *, robot: str = "aloha-agilex", assets: bool = True, git: bool = True
) -> Path:
    """A stand-in checkout in ``root`` (``layout``: current or legacy) whose task configs use ``robot`` (a key of
    ``ARM_JOINTS``); ``assets=False`` leaves out the download."""
    legacy = layout == "legacy"
    configs, scripts = ("task_config", "script") if legacy else ("env_cfg/task_config", "scripts")
    files = {
        "envs/__init__.py": "from .utils import *\nfrom ._GLOBAL_CONFIGS import *\n",
        "envs/_GLOBAL_CONFIGS.py": GLOBAL_CONFIGS.format(configs=configs, scripts=scripts),
        "envs/_base_task.py": BASE_TASK,
        "envs/utils/__init__.py": "from .create_actor import *\n",
        "envs/utils/create_actor.py": "class UnStableError(Exception):\n    pass\n",
        "description/utils/generate_episode_instructions.py": INSTRUCTIONS,
        f"{configs}/demo_clean.yml": task_config(False, legacy, robot),
        f"{configs}/demo_randomized.yml": task_config(True, legacy, robot),
        f"{configs}/_camera_config.yml": "D435:\n  fovy: 37\n  w: 320\n  h: 240\n",
        f"{configs}/_embodiment_config.yml": "".join(
            f'{name}:\n  file_path: "./assets/embodiments/{name}/"\n' for name in ARM_JOINTS
        ),
        f"{configs}/_eval_step_limit.yml": "".join(f"{t}: {n}\n" for t, n in STEP_LIMITS.items()),
        f"{scripts}/eval_policy.py" if legacy else f"{scripts}/eval_policy_xpolicylab.py": "# RoboTwin's evaluator\n",
    }
    for task, arm in TASKS.items():
        files[f"envs/{task}.py"] = TASK_FILE.format(task=task, arm=arm)
        files[f"description/task_instruction/{task}.json"] = (
            '{"seen": ["Use the {a} arm on the {A}.", "Reach the {A} with the {a} arm."], '
            '"unseen": ["Go for the {A}, {a} hand."]}\n'
        )
    if assets:
        for name, count in ARM_JOINTS.items():
            left, right = ([f"{side}_joint{k}" for k in range(1, count + 1)] for side in ("fl", "fr"))
            files[f"assets/embodiments/{name}/config.yml"] = f"arm_joints_name: [{left}, {right}]\n"
        files["assets/objects/.keep"] = ""
        files["assets/background_texture/.keep"] = ""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"))
    if git:
        for command in (
            ["init", "-q"],
            ["add", "-A"],
            ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        ):
            subprocess.run(["git", *command], cwd=root, check=True)
    return root


class TargetReader:
    """Reads the seed's target joints from the head image and commands them: solves every stand-in episode whose
    step limit allows the motion. Acts only on the arm the instruction names, so a wrong instruction fails."""

    def __init__(self, chunk_size: int = 4, delay_s: float = 0.0):
        self.chunk_size, self.delay_s = chunk_size, delay_s  # delay: a policy that takes time to answer
        self.arm = "left"

    def reset(self, *, task: str, instruction: str, seed: int, **context) -> None:
        self.arm = "right" if "right" in instruction else "left"

    def act(self, obs: dict) -> np.ndarray:
        time.sleep(self.delay_s)
        arm = len(obs["qpos"]) // 2 - 1
        code = obs["images"]["head"][0, :arm, 0].astype(np.float64)
        target = code / 255 * (2 * TARGET_RANGE) - TARGET_RANGE
        action = np.asarray(obs["qpos"], dtype=np.float64).copy()
        action[slice(0, arm) if self.arm == "left" else slice(arm + 1, 2 * arm + 1)] = target
        return np.repeat(action[None], self.chunk_size, axis=0)
