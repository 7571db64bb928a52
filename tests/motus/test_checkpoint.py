"""Checkpoints: both layouts round-trip exactly; anything that does not match fails loudly with the keys listed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motus.checkpoint import (
    CheckpointError,
    CheckpointMismatchError,
    find_checkpoint,
    load_weights,
    released_state_dict,
    save_checkpoint,
)
from motus.config import config_from_dict
from motus.model import Motus
from motus.runtime import MotusRuntime


@pytest.mark.parametrize("layout", ["ours", "released"])
def test_round_trip_reproduces_outputs_exactly(tiny_runtime, tiny_inputs, tmp_path, layout):
    save_checkpoint(tiny_runtime.model, tiny_runtime.config, tmp_path / "ckpt", layout=layout)
    kind, _ = find_checkpoint(tmp_path / "ckpt")
    assert kind == layout
    torch.manual_seed(123)  # a different random init, fully overwritten by the checkpoint
    config = None if layout == "ours" else "motus_tiny"
    loaded = MotusRuntime.load(tmp_path / "ckpt", config, device="cpu", use_t5=True)
    before = tiny_runtime.predict(**tiny_inputs, mode="joint", seed=3, num_steps=4)
    after = loaded.predict(**tiny_inputs, mode="joint", seed=3, num_steps=4)
    np.testing.assert_array_equal(before.actions, after.actions)
    torch.testing.assert_close(before.video_latents, after.video_latents, rtol=0, atol=0)


def test_released_layout_aliases_are_dropped(tiny_runtime, tmp_path):
    state = released_state_dict(tiny_runtime.model)
    state["action_module.action_expert.registers"] = state["action_expert.registers"]
    state["und_module.vlm_model.lm_head.weight"] = state["vlm_model.lm_head.weight"]
    (tmp_path / "pytorch_model").mkdir()
    torch.save({"module": state}, tmp_path / "pytorch_model" / "mp_rank_00_model_states.pt")
    model = Motus.build(tiny_runtime.config)
    load_weights(model, tmp_path)
    torch.testing.assert_close(model.action_expert.registers, tiny_runtime.model.action_expert.registers)


def test_checkpoint_for_another_config_lists_mismatched_keys(tiny_runtime, tiny_config, tmp_path):
    save_checkpoint(tiny_runtime.model, tiny_config, tmp_path / "ckpt")
    other = config_from_dict({**tiny_config.to_dict(), "action_dim": 14, "state_dim": 14})
    model = Motus.build(other)
    with pytest.raises(CheckpointMismatchError) as info:
        load_weights(model, tmp_path / "ckpt")
    message = str(info.value)
    assert "shape mismatches (4)" in message
    assert "action_expert.input_encoder.action_encoder.0.weight: checkpoint [32, 16] vs model [32, 14]" in message


def test_missing_and_unexpected_keys_are_listed(tiny_runtime, tmp_path):
    state = released_state_dict(tiny_runtime.model)
    del state["und_expert.blocks.1.wan_und_o.weight"]
    state["action_expert.extra_head.weight"] = torch.zeros(2)
    torch.save({"module": state}, tmp_path / "mp_rank_00_model_states.pt")
    with pytest.raises(CheckpointMismatchError) as info:
        load_weights(Motus.build(tiny_runtime.config), tmp_path)
    message = str(info.value)
    assert "missing keys (1):\n    und_expert.blocks.1.wan_und_o.weight" in message
    assert "unexpected keys (1):\n    action_expert.extra_head.weight" in message


def test_unreadable_or_absent_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match="no Motus checkpoint"):
        find_checkpoint(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_weights(torch.nn.Linear(1, 1), tmp_path)
    with pytest.raises(CheckpointError, match="random_init=True"):
        MotusRuntime.load(None, "motus_tiny")
