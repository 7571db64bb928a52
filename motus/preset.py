"""Input presets: how observations become a model's inputs and how its chunks are sampled, i.e. what a checkpoint
was trained on. A model fed anything else is out of distribution and scores lower without any error.

``release`` reproduces the released RoboTwin deploy code of thu-ml/Motus (``inference/robotwin/Motus/
deploy_policy.py``, ``MotusPolicy.update_obs`` / ``get_action`` / ``_preprocess_vlm_messages``, and
``models/motus.py`` ``Motus.inference_step``); ``harness`` is this harness's own choice for the checkpoints it trains.
Collection, conversion, training and the agent all read the same preset, so both sides of a checkpoint agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motus.images import compose_cameras

# deploy_policy.py get_action: prepended to every instruction, for the umT5 text and the VLM prompt alike
SCENE_PREFIX = (
    "The whole scene is in a realistic, industrial art style with three views: a fixed rear camera, a movable left "
    "arm camera, and a movable right arm camera. The aloha robot is currently performing the following task: "
)


class UnknownPresetError(ValueError):
    """A preset name that is not one of ``PRESETS``."""


@dataclass(frozen=True)
class InputPreset:
    name: str
    instruction_prefix: str  # prepended to the task instruction (umT5 and VLM)
    padding: str  # where the 360-row camera stack sits in the 384-row composite: "bottom" | "centre"
    wrist_filter: str  # how the wrist cameras are halved: "pil_bilinear" | "cv2_linear"
    vlm_text_first: bool  # the VLM user message: instruction then image (release) or image then instruction
    sample_shift: float | None  # the Euler grid's shift (1.0 = the plain grid linspace(1, 0, N + 1)); None: config's
    mode: str  # the agent's default: "joint" denoises video and actions together, "vla" holds video at noise
    num_steps: int | None = None  # the agent's default Euler steps per chunk; None: the config's (10)

    def instruction(self, text: str) -> str:
        return self.instruction_prefix + text

    def composite(self, images: dict[str, np.ndarray]) -> np.ndarray:
        return compose_cameras(images, padding=self.padding, wrist_filter=self.wrist_filter)


# The harness's 2 steps follow the steps study (docs/gpu-scale.md): on a trained motus_tiny, 50 paired click_bell seeds,
# 10/5/3/2/1 steps on this grid scored 78/72/76/80/80 %, none significantly different from 10; the fewest steps the
# data cannot tell from the best, ties going to more steps (one step is a single regression, no grid at all). The
# release keeps its 10: the study says nothing about the released model.
PRESETS = {
    "harness": InputPreset("harness", "", "bottom", "pil_bilinear", False, None, "vla", num_steps=2),
    "release": InputPreset("release", SCENE_PREFIX, "centre", "cv2_linear", True, 1.0, "joint"),
}


def add_preset_flag(parser) -> None:
    """``--preset`` of the commands that write training data: what the data will feed the model."""
    parser.add_argument(
        "--preset", default="harness", choices=list(PRESETS), help="input preset the data feeds (motus/preset.py)"
    )


def get_preset(name: str) -> InputPreset:
    if name not in PRESETS:
        raise UnknownPresetError(f"unknown input preset {name!r}; valid: {', '.join(PRESETS)}")
    return PRESETS[name]


def resolve_preset(requested: str, layout: str, config_preset: str) -> InputPreset:
    """``auto``: the release's preset for a checkpoint in the released layout, else the one its config names (what
    it was trained with); any other name is taken as given."""
    if requested == "auto":
        return get_preset("release" if layout == "released" else config_preset)
    return get_preset(requested)
