"""The randomized domain changes textures, colours, lights, table height and clutter; clean stays plain."""

from __future__ import annotations

import numpy as np

from envs.instructions import default_split


def test_randomized_scene_differs_from_clean(env_factory):
    clean = env_factory("stack_blocks_two", "clean")
    randomized = env_factory("stack_blocks_two", "randomized")
    obs_clean, info_clean = clean.reset(seed=100005)
    obs_random, info_random = randomized.reset(seed=100005)
    head_clean, head_random = obs_clean["images"]["head"], obs_random["images"]["head"]
    assert np.mean(np.abs(head_clean.astype(int) - head_random.astype(int))) > 10
    assert len(randomized.task.scene.get_all_actors()) > len(clean.task.scene.get_all_actors())  # distractors
    assert 0.0 <= 0.74 - randomized.scene.table_top_z <= 0.03
    assert clean.scene.table_top_z == 0.74
    # Task objects are laid out from the same seed in both domains, resting on their own table.
    red_clean, red_random = clean.task.red.pose.p, randomized.task.red.pose.p
    assert np.allclose(red_clean[:2], red_random[:2], atol=0.01)
    assert abs(red_random[2] - randomized.scene.table_top_z) < 0.005


def test_instruction_split_follows_domain(env_factory):
    assert default_split("clean") == "seen" and default_split("randomized") == "unseen"
    randomized = env_factory("click_bell", "randomized")
    seen_texts = set()
    for seed in range(20):
        _, info = randomized.reset(seed=seed)
        seen_texts.add(info["instruction"])
    cls = randomized.task_cls
    unseen_prefixes = {t.split("{")[0].strip().lower() for t in cls.unseen_templates}
    assert all(any(text.lower().startswith(p) for p in unseen_prefixes) for text in seen_texts)
    assert len(seen_texts) >= 2


def test_distractors_stay_out_of_task_areas(env_factory):
    env = env_factory("stack_blocks_three", "randomized")
    for seed in range(5):
        env.reset(seed=seed)
        keep_out = env.task.keep_out()
        task_entities = {obj.entity for obj in env.task.objects}
        for actor in env.task.scene.get_all_actors():
            if not actor.name.startswith("distractor"):
                continue
            assert actor not in task_entities
            x, y = actor.pose.p[:2]
            assert all(np.hypot(x - kx, y - ky) > kr for kx, ky, kr in keep_out), (seed, actor.name)
