"""Seeded instructions: a task's seen/unseen templates filled with the episode's object and arm phrases.

RoboTwin draws instructions from an unseeded generator, so its seed does not fix the text; here the template choice
comes from the episode seed. Clean scenes use seen templates and randomized scenes unseen ones, as in RoboTwin's
protocol, unless a split is asked for explicitly.
"""

from __future__ import annotations

import numpy as np

SPLITS = ("seen", "unseen")


def default_split(domain: str) -> str:
    return "seen" if domain == "clean" else "unseen"


def make_instruction(templates: tuple[str, ...], slots: dict[str, str], rng: np.random.Generator) -> str:
    template = templates[int(rng.integers(len(templates)))]
    text = template.format(**slots)
    return text[0].upper() + text[1:]
