"""The command lines end to end on motus_tiny: init a checkpoint, pre-encode an instruction, infer from a PNG."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from motus.cli import main_encode_t5, main_infer, main_init, main_model_info


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt") / "motus_tiny_init"
    assert main_init(["--config", "motus_tiny", "--output", str(out), "--seed", "1"]) == 0
    return out


@pytest.fixture()
def composite_png(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (192, 160, 3), dtype=np.uint8)
    path = tmp_path / "frame.png"
    Image.fromarray(image).save(path)
    return path


def test_infer_end_to_end(tiny_checkpoint, composite_png, tmp_path, capsys):
    embeds = tmp_path / "t5_embed.pt"
    instruction = "pick up the cube and place it on the right"
    assert main_encode_t5(["--model_config", "motus_tiny", "--instruction", instruction, "--output", str(embeds)]) == 0
    stored = torch.load(embeds, weights_only=True)
    assert isinstance(stored, list) and stored[0].shape == (len(instruction) + 1, 32)

    result = tmp_path / "result.png"
    args = ["--model_config", "motus_tiny", "--ckpt_dir", str(tiny_checkpoint), "--image", str(composite_png)]
    args += ["--instruction", instruction, "--t5_embeds", str(embeds), "--output", str(result), "--device", "cpu"]
    assert main_infer(args) == 0
    printed = capsys.readouterr().out
    assert "action chunk shape (16, 16) (action_chunk_size, action_dim)" in printed
    grid = np.asarray(Image.open(result))
    assert grid.shape == (3 * 192, 3 * 160, 3)  # condition frame + 8 predicted frames, 3 per row
    np.testing.assert_array_equal(grid[:192, :160], np.asarray(Image.open(composite_png)))  # the input frame


def test_infer_rejects_bad_inputs(tiny_checkpoint, composite_png, tmp_path, capsys):
    base = ["--model_config", "motus_tiny", "--ckpt_dir", str(tiny_checkpoint), "--instruction", "x", "--use_t5"]
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((384, 320, 3), np.uint8)).save(big)
    assert main_infer([*base, "--image", str(big), "--device", "cpu"]) == 2
    assert "expected [B, T, 192, 160, 3]" in capsys.readouterr().err
    assert (
        main_infer([*base, "--image", str(big), "--resize", "--device", "cpu", "--output", str(tmp_path / "r.png")])
        == 0
    )
    wide = tmp_path / "wide.pt"
    torch.save([torch.zeros(7, 4096)], wide)
    args = [*base[:-1], "--t5_embeds", str(wide), "--image", str(composite_png), "--device", "cpu"]
    assert main_infer(args) == 2
    assert "expected [tokens, 32]" in capsys.readouterr().err
    assert main_infer([*base, "--image", str(composite_png), "--state", "1,2,3", "--device", "cpu"]) == 2
    assert "state_dim=16" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main_infer([*base, "--image", str(composite_png), "--device", "cuda"]) == 2
        assert "CUDA is not available" in capsys.readouterr().err


def test_model_info_console_script_prints_json():
    out = subprocess.run(
        [Path(sys.executable).parent / "motus-model-info", "--config", "motus_tiny"],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(out.stdout)
    assert info["total"] == info["video"] + info["action"] + info["understanding"] + info["vlm"]
    assert info["shapes"]["action_chunk"] == [16, 16]


def test_model_info_bad_config(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nvideo: {dim: 10, num_heads: 3}\n")
    assert main_model_info(["--config", str(bad)]) == 2
    assert "not divisible" in capsys.readouterr().err
