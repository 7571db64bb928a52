"""The imagination gap and the prediction panel in a short real episode: an untrained tiny Motus in joint mode with
predicted video on click_bell, its step limit cut to two chunks, through the episode runner the workers use."""

from __future__ import annotations

import av

from agents.motus_agent import MotusAgent
from conventions import DEFAULT_EMBODIMENT
from evaluation.running.episode import EpisodeSpec, run_episode
from motus.cli import main_init


def test_every_imagined_frame_is_compared_with_the_scene_after_its_action(env_factory, tmp_path):
    assert main_init(["--config", "motus_tiny_aloha", "--output", str(tmp_path / "tiny")]) == 0
    agent = MotusAgent(tmp_path / "tiny", mode="joint", predict_video=True, num_steps=1)
    env = env_factory("click_bell", step_limit=32)  # two 16-action chunks
    video = tmp_path / "episode.mp4"
    record = run_episode(
        env, agent, EpisodeSpec("click_bell", "clean", 100000, 0), DEFAULT_EMBODIMENT, video, video_stride=4
    )
    assert record["error"] is None and record["steps"] == 32 and record["chunks"] == 2
    # 8 imagined frames per chunk, frame j after action 2j: all 16 compared, with their per-horizon means
    assert record["imagination_frames"] == 16
    assert record["imagination_by_horizon"]["horizon"] == list(range(1, 9))
    assert 0 < record["imagination_psnr"] < 100 and -1 <= record["imagination_ssim"] <= 1
    by_horizon = record["imagination_by_horizon"]["psnr"]
    assert min(by_horizon) <= record["imagination_psnr"] <= max(by_horizon)
    with av.open(record["video"]) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 1 + 32 // 4 and frames[0].shape == (48 + 384, 2 * 320, 3)  # [real | imagined] panels
