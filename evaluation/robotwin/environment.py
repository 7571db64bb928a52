"""One RoboTwin task of a user's checkout, driven the way RoboTwin's own evaluator drives it, behind the interface our
episode runner uses (``reset`` / ``apply_action`` / ``observe`` / ``done`` / ``scored``).

This module runs inside a worker of the RoboTwin backend only. RoboTwin's top-level package is called ``envs``, like
the harness's simulator, so such a worker works from the checkout (RoboTwin reads ``./assets/...``), puts it first on
``sys.path`` and must never have imported the harness's ``envs``; nothing here does.

What follows RoboTwin's evaluator (``script/eval_policy.py``, ``scripts/eval_policy_xpolicylab.py``):
- the task is ``envs.<task>.<task>()``, set up with ``setup_demo(now_ep_num, seed, is_test=True, **args)``, where
  ``args`` is the task config with the camera size, robot files and robot configs added, and ``eval_mode`` set;
- the expert check: ``play_once()`` on the seed; the seed is skipped on ``UnStableError`` or any other exception, and
  accepted only when ``plan_success and check_success()``;
- the instruction: ``generate_episode_descriptions(task, [episode_info["info"]], 100)``, one of the seen or unseen
  ones. RoboTwin draws it (and the object descriptions inside it) from unseeded global random state; here both are
  seeded by the seed, so a seed fixes its instruction;
- the episode: ``get_obs`` -> agent -> ``take_action(row, action_type="qpos")`` until ``eval_success`` or
  ``take_action_cnt >= step_lim``, then ``close_env`` (clearing SAPIEN's cache every ``clear_cache_freq`` episodes).
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from evaluation.robotwin.checkout import RoboTwinCheckout, qpos_width
from motus_client.robotwin import harness_observation

INSTRUCTION_COUNT = 100  # RoboTwin's evaluator asks for test_num (100) descriptions and draws one of them
CONTROL_PERIOD_S = 0.1  # for rollout videos only: RoboTwin's own evaluation videos play at 10 actions per second


class HarnessEnvsImported(RuntimeError):
    """The worker already imported the harness's ``envs``, so RoboTwin's package of the same name cannot load."""


def enter_checkout(root: str | Path) -> Path:
    """Make this process one that RoboTwin's code runs in: working directory the checkout, the checkout and its
    ``description/utils`` first on ``sys.path``, as RoboTwin's evaluators set them."""
    root = Path(root).resolve()
    loaded = sys.modules.get("envs")
    if loaded is not None and not str(Path(getattr(loaded, "__file__", "") or "").resolve()).startswith(str(root)):
        raise HarnessEnvsImported(
            f"this worker already imported another 'envs' package ({getattr(loaded, '__file__', loaded)}); a "
            "RoboTwin worker must not import the harness's simulator"
        )
    sys.path[:] = [str(Path(p).resolve()) if not os.path.isabs(p) else p for p in sys.path]  # "" meant the old cwd
    os.chdir(root)
    for path in (root / "description" / "utils", root):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    return root


def task_arguments(checkout: RoboTwinCheckout, task: str, task_config: str) -> dict[str, Any]:
    """The keyword arguments RoboTwin's evaluator passes to ``setup_demo``: the task config plus what its
    ``load_task_args`` adds. The observation flags our agents need (rgb, qpos, endpose) are forced on, as the
    XPolicyLab evaluator forces them."""
    args = checkout.task_config(task_config)
    args.update(task_name=task, task_config=task_config, ckpt_setting="motus-eval", policy_name="motus-eval")
    args.setdefault("data_type", {}).update(rgb=True, qpos=True, endpose=True)
    args["head_camera_h"], args["head_camera_w"] = checkout.camera_size(args["camera"]["head_camera_type"])
    files = list(checkout.robot_files(task_config).values())
    args["left_robot_file"], args["right_robot_file"] = files[0], files[min(1, len(files) - 1)]
    args["dual_arm_embodied"] = len(args["embodiment"]) == 1
    if not args["dual_arm_embodied"]:
        args["embodiment_dis"] = args["embodiment"][2]
    args["left_embodiment_config"], args["right_embodiment_config"] = checkout.arm_configs(task_config)
    args["eval_mode"] = True
    args.pop("eval_video_save_dir", None)  # our runner records its own videos
    return args


def build_instruction(task: str, info: dict[str, Any], instruction_type: str, seed: int) -> str:
    """One of RoboTwin's instructions for the episode the expert played, fixed by the seed."""
    from generate_episode_instructions import generate_episode_descriptions

    random.seed(seed)  # the object descriptions inside the templates are drawn with `random`
    np.random.seed(seed % 2**32)
    results = generate_episode_descriptions(task, [info], INSTRUCTION_COUNT)
    candidates = results[0].get(instruction_type) if results else None
    if not candidates:
        raise ValueError(
            f"RoboTwin made no {instruction_type} instruction for {task} (description/task_instruction/{task}.json)"
        )
    return str(np.random.default_rng(seed).choice(candidates))


class RoboTwinTask:
    """What the episode runner reads from a task class: RoboTwin scores one condition, ``check_success``."""

    extra_conditions: tuple[str, ...] = ()


class RoboTwinEnvironment:
    """One RoboTwin task under one task config, in this worker. A seed's scene exists from ``reset`` (or the expert
    check) until the next one or ``close``, as RoboTwin keeps one scene per task instance."""

    task_cls = RoboTwinTask
    control_period = CONTROL_PERIOD_S

    def __init__(self, task: str, domain: str, embodiment: str, robotwin_root: str, task_configs: dict[str, str]):
        checkout = RoboTwinCheckout.open(enter_checkout(robotwin_root))
        self.task_name, self.domain, self.embodiment = task, domain, embodiment
        self.task_config = task_configs[domain]
        self.args = task_arguments(checkout, task, self.task_config)
        module = importlib.import_module(f"envs.{task}")
        self.task = getattr(module, task)()  # RoboTwin's class_decorator
        self.unstable_error = importlib.import_module("envs.utils.create_actor").UnStableError
        self.open_scene: str | None = None  # "check" or "episode": a seed's scene is set up and not yet closed
        self.episodes = 0  # episodes set up so far (RoboTwin's now_ep_num; its cache is cleared every few)
        self.timings = {"sim": 0.0, "render": 0.0}
        self.success_step: int | None = None
        self.action_space: spaces.Box | None = None

    # --- the expert check --------------------------------------------------------------------------------------
    def expert_check(self, seed: int, instruction_type: str) -> dict[str, Any]:
        """RoboTwin's check of a candidate seed, with the instruction it then gives the episode."""
        self._close_scene()
        self.open_scene = "check"
        try:
            self.task.setup_demo(now_ep_num=self.episodes, seed=seed, is_test=True, **{**self.args, "render_freq": 0})
            episode = self.task.play_once()
            solved = bool(self.task.plan_success and self.task.check_success())
        except self.unstable_error as exc:
            return {"accepted": False, "reason": f"unstable_scene: {exc}"}
        except Exception as exc:  # RoboTwin skips the seed on any error of its expert
            return {"accepted": False, "reason": f"expert_error: {type(exc).__name__}: {exc}"}
        finally:
            self._close_scene()
        if not solved:
            return {"accepted": False, "reason": f"no_success: plan_success={bool(self.task.plan_success)}"}
        info = dict((episode or {}).get("info") or {})
        instruction = build_instruction(self.task_name, info, instruction_type, seed)
        return {"accepted": True, "info": info, "instruction": instruction}

    # --- the episode -------------------------------------------------------------------------------------------
    def reset(self, *, seed: int, options: dict | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        options = options or {}
        if "instruction" not in options:
            raise ValueError("a RoboTwin episode needs the instruction its seed list recorded (options['instruction'])")
        self._close_scene()
        start = time.perf_counter()
        self.open_scene = "episode"
        self.task.setup_demo(now_ep_num=self.episodes, seed=seed, is_test=True, **self.args)
        self.episodes += 1
        self.task.set_instruction(instruction=options["instruction"])
        self.success_step = None
        self.action_space = self._action_space()
        self.timings["sim"] += time.perf_counter() - start
        return self.observe(options.get("images", True)), {"instruction": self.task.get_instruction()}

    @property
    def step_limit(self) -> int:
        return int(self.task.step_lim)

    @property
    def elapsed_steps(self) -> int:
        return int(self.task.take_action_cnt)

    @property
    def scored(self) -> bool:
        return bool(self.task.eval_success)

    @property
    def done(self) -> bool:
        return self.scored or self.elapsed_steps >= self.step_limit

    @property
    def conditions(self) -> dict[str, bool]:
        return {"check_success": self.scored}

    @property
    def action_limits(self) -> tuple[np.ndarray, np.ndarray]:
        """Each arm joint's range from RoboTwin's robot, the grippers' [0, 1] (RoboTwin: 0 closed, 1 open)."""
        low, high = [], []
        robot = self.task.robot
        for joints in (robot.left_arm_joints, robot.right_arm_joints):
            ranges = np.array([np.asarray(joint.get_limit(), dtype=np.float64).reshape(-1)[:2] for joint in joints])
            low += [*ranges[:, 0], 0.0]
            high += [*ranges[:, 1], 1.0]
        return np.array(low), np.array(high)

    def failed_conditions(self) -> list[str]:
        return [] if self.scored else ["check_success"]

    def apply_action(self, action) -> None:
        start = time.perf_counter()
        self.task.take_action(np.asarray(action, dtype=np.float64), action_type="qpos")
        if self.scored and self.success_step is None:
            self.success_step = self.elapsed_steps
        self.timings["sim"] += time.perf_counter() - start

    def observe(self, images: bool = True) -> dict[str, Any]:
        """Our observation from RoboTwin's ``get_obs`` (which always renders its cameras)."""
        start = time.perf_counter()
        observation = harness_observation(self.task.get_obs())
        self.timings["render"] += time.perf_counter() - start
        return observation

    def close(self) -> None:
        self._close_scene()

    # --- internals ---------------------------------------------------------------------------------------------
    def _action_space(self) -> spaces.Box:
        width = qpos_width(self.args["left_embodiment_config"], self.args["right_embodiment_config"])
        return spaces.Box(-np.inf, np.inf, shape=(width,), dtype=np.float64)

    def _close_scene(self) -> None:
        if self.open_scene is None:
            return
        every = int(self.args.get("clear_cache_freq") or 0)
        clear = self.open_scene == "episode" and every > 0 and self.episodes % every == 0
        self.open_scene = None
        self.task.close_env(clear_cache=clear)
