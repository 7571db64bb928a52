"""``motus-eval-model`` end to end on a small collected dataset and untrained tiny checkpoints: every mode's metrics
per horizon step, seeded (two runs agree to the bit), resumable, with a report; and its bad inputs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from evaluation.world_model.cli import main as motus_eval_model
from motus.cli import main_init as motus_init

MODES = ("world_model", "video_generation", "inverse_dynamics", "vla", "joint")


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("untrained")
    for seed in (0, 1):
        assert (
            motus_init(["--config", "motus_tiny_aloha", "--output", str(folder / f"seed{seed}"), "--seed", str(seed)])
            == 0
        )
    return folder


def records(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def test_every_mode_is_measured_per_horizon_seeded_and_resumable(dataset_dir, untrained, tmp_path):
    args = [
        "--checkpoint",
        str(untrained / "seed0"),
        "--baseline",
        str(untrained / "seed1"),
        "--data",
        str(dataset_dir),
    ]
    args += ["--samples-per-task", "1", "--stride", "16", "--batch", "2", "--num-steps", "1", "--strips", "1"]
    assert motus_eval_model([*args, "--out", str(tmp_path / "a")]) == 0
    first = records(tmp_path / "a")
    references = [r for r in first if r["mode"] == "reference"]
    assert len(first) - len(references) == 2 * len(MODES) * 2  # two models, five modes, one sample of each task
    assert sorted(r["model"] for r in references) == ["copy_condition"] * 2 + ["vae_roundtrip"] * 2
    assert all(("latent_distance" in r) == (r["model"] == "copy_condition") for r in references)
    for record in first:
        frames = record["mode"] in ("world_model", "video_generation", "joint", "reference")
        actions = record["mode"] in ("inverse_dynamics", "vla", "joint")
        assert ("psnr" in record) == frames and ("joint_error" in record) == actions
        if frames:  # motus_tiny predicts 8 frames
            assert len(record["psnr"]) == len(record["ssim"]) == len(record.get("latent_distance", "8 frames")) == 8
            assert all(0 < p < 100 for p in record["psnr"]) and all(-1 <= s <= 1 for s in record["ssim"])
        if actions:  # and 16 actions (8 frames x 2 actions each) of 14 values
            assert len(record["joint_error"]) == len(record["gripper_accuracy"]) == 16
            assert np.array(record["per_joint_error"]).shape == (16, 14)
    assert {r["task"] for r in first} == {"click_bell", "lift_pot"}

    # killed after some batches (the last line cut short), the same command resumes: only the rest runs again, and
    # it draws the same samples and noise
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    lines = (tmp_path / "a" / "samples.jsonl").read_text().splitlines()
    (tmp_path / "b" / "samples.jsonl").write_text("\n".join(lines[:7]) + "\n" + lines[7][:20])
    assert motus_eval_model([*args, "--out", str(tmp_path / "b")]) == 0
    second = records(tmp_path / "b")
    key = lambda r: (r["model"], r["mode"], r["sample"])  # noqa: E731
    assert len(second) == len(first) and sorted(map(key, second)) == sorted(map(key, first))
    for a, b in zip(sorted(first, key=key), sorted(second, key=key), strict=True):
        for name, value in a.items():  # a batch of another size changes float sums in the last digits only
            if isinstance(value, list):
                np.testing.assert_allclose(b[name], value, rtol=1e-4, err_msg=name)
            elif name != "strip":
                assert b[name] == value, name

    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert set(summary["overall"]) == {"model", "baseline", "copy_condition", "vae_roundtrip"}
    assert set(summary["overall"]["model"]) == set(MODES) and set(summary["overall"]["vae_roundtrip"]) == {"reference"}
    assert {r["mode"] for r in summary["baseline_check"]} == set(MODES)
    markdown = (tmp_path / "a" / "report.md").read_text()
    assert "| world_model | PSNR (dB) |" in markdown and "figures/psnr_vs_horizon.png" in markdown
    assert "| the condition frame repeated (nothing moves) |" in markdown
    assert (tmp_path / "a" / "figures" / "joint_error_vs_horizon.png").stat().st_size > 1000
    strips = sorted((tmp_path / "a" / "strips").glob("*.png"))
    assert len(strips) == 2 * 3 * 2  # two models, three frame modes, one sample of each task
    assert_every_image_loads_in_a_browser(tmp_path / "a" / "report.html", 5 + len(strips))


def assert_every_image_loads_in_a_browser(page_path, count: int) -> None:
    """The HTML report in Debian's chromium: the plots (inlined) and the strips (linked) all decode."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        widths = page.eval_on_selector_all("img", "images => images.map(image => image.naturalWidth)")
        assert "world_model" in page.inner_text("#overall")
        browser.close()
    assert len(widths) == count and all(width > 0 for width in widths)


def test_one_model_against_itself_is_never_better(dataset_dir, untrained, tmp_path):
    same = str(untrained / "seed0")
    args = ["--checkpoint", same, "--baseline", same, "--data", str(dataset_dir), "--modes", "vla,world_model"]
    args += ["--samples-per-task", "1", "--stride", "32", "--num-steps", "1", "--out", str(tmp_path / "s")]
    assert motus_eval_model(args) == 0
    check = json.loads((tmp_path / "s" / "summary.json").read_text())["baseline_check"]
    assert check and all(r["model"] == r["baseline"] and not r["better"] for r in check)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--modes", "dream"], "unknown mode(s) dream"),
        (["--domain", "night"], "unknown domain 'night'"),
        (["--tasks", "fold_laundry"], "has no qpos/ folder"),
        (["--stride", "0"], "must be at least 1"),
    ],
)
def test_bad_inputs(dataset_dir, untrained, tmp_path, capsys, extra, message):
    args = ["--checkpoint", str(untrained / "seed0"), "--data", str(dataset_dir), "--out", str(tmp_path / "x")]
    assert motus_eval_model([*args, *extra]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_checkpoint_is_named(dataset_dir, tmp_path, capsys):
    assert motus_eval_model(["--checkpoint", str(tmp_path / "none"), "--data", str(dataset_dir)]) == 2
    assert "no such checkpoint" in capsys.readouterr().err
