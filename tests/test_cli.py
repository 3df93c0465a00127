import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from shapesim.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_sample_writes_the_figure(tmp_path):
    out = tmp_path / "figs" / "pairs.png"
    assert (
        main(
            ["sample", "--preset", "sketch", "--pairs", "4", "--columns", "2", "--image-size", "32", "--out", str(out)]
        )
        == 0
    )
    with Image.open(out) as img:
        assert img.format == "PNG" and img.width > 200 and img.height > 100


def test_bad_arguments_exit_with_a_message():
    run = subprocess.run(
        [sys.executable, "-m", "shapesim", "sample", "--preset", "nope"], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "invalid choice: 'nope'" in run.stderr and "seed" in run.stderr


def test_curves_draws_a_runs_metrics(tmp_path):
    import json

    run = tmp_path / "run"
    run.mkdir()
    (run / "train_config.json").write_text(json.dumps({"preset": "seed", "image_size": 32, "batch_size": 4}))
    records = [
        {"pairs": 4 * s, "loss": 1.0 / s, "val_f1": 0.5 + s / 10, "val_roc_auc": 0.6 + s / 10} for s in (1, 2, 3)
    ]
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    assert main(["curves", "--run", str(run), "--out", str(tmp_path / "t.png")]) == 0
    assert (tmp_path / "t.png").stat().st_size > 1000
    assert main(["curves", "--run", str(tmp_path), "--out", str(tmp_path / "u.png")]) == 2  # no metrics there


def test_sample_can_leave_families_out(tmp_path):
    out = tmp_path / "open.png"
    args = ["sample", "--preset", "open", "--pairs", "4", "--image-size", "32", "--holdout", "glyph", "heart"]
    assert main([*args, "--out", str(out)]) == 0 and out.stat().st_size > 1000
    with pytest.raises(SystemExit):  # argparse refuses an unknown family itself
        main(["sample", "--holdout", "hexagram", "--out", str(out)])


@pytest.mark.parametrize(
    "command",
    ["sample", "train", "evaluate", "curves", "predict", "atlas", "push", "space", "omniglot", "blend", "examples"],
)
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "`" not in out
    if command == "train":
        assert "--framed" in out and "65% of the side" in out


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout


def shapesim(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shapesim", *args], cwd=cwd or ROOT, capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    "command",
    [
        ["predict", "assets/examples/01_circle_square_a.png", "assets/examples/01_circle_square_b.png"],
        ["evaluate", "--save", "--pairs", "8"],
        ["atlas", "--points", "16"],
        ["push", "--repo-id", "me/x"],
    ],
    ids=["predict", "evaluate", "atlas", "push"],
)
def test_weights_that_are_not_there_are_an_error_and_nothing_is_written(command):
    """runs/mine reads like a Hub repo id: it is looked for there (the stub is not running: nothing answers),
    and neither answered for nor written over by the bundled model."""
    before = git_status()
    run = shapesim(*command, "--weights", "runs/not-trained-yet")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: runs/not-trained-yet is not a folder here, and as a Hub repo: the Hub could not be reached for "
        "runs/not-trained-yet and nothing is cached (ConnectError: [Errno 111] Connection refused)"
    ]
    assert run.stdout == "" and git_status() == before


def test_the_default_weights_say_where_they_came_from(tmp_path):
    picture = ROOT / "assets" / "examples" / "01_circle_square_a.png"
    run = shapesim("predict", str(picture), str(picture), cwd=tmp_path)
    assert run.returncode == 0 and "the same shape" in run.stdout and "(weights: bundled checkpoint" in run.stdout


def test_a_hub_download_is_not_written_into(monkeypatch, tmp_path):
    from shapesim import cli, hub

    monkeypatch.setattr(hub, "resolve", lambda source, fallback=None: hub.WeightsSource(tmp_path, "hub", "me/x"))
    with pytest.raises(ValueError, match="me/x is a Hub download: fetch it into a folder first"):
        cli._weights("me/x", "atlas writes atlas.npz and atlas.json")


def test_a_folder_given_as_a_picture_is_named_as_one(tmp_path):
    run = shapesim("predict", str(tmp_path), str(tmp_path))
    assert run.returncode == 2 and run.stderr.strip() == f"error: {tmp_path} is a folder, not a picture"


def test_publishing_without_a_hub_is_one_line(tmp_path):
    import shutil

    from shapesim.hub import BUNDLED

    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_test"}
    copy = shutil.copytree(BUNDLED, tmp_path / "weights", ignore=shutil.ignore_patterns("variants"))
    for command in (["space", "--repo-id", "me/app"], ["push", "--repo-id", "me/w", "--weights", str(copy)]):
        run = shapesim(*command, env=env, cwd=tmp_path)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2 and len(lines) == 1, run.stderr
        assert lines[0].startswith("error: could not ") and "http://127.0.0.1:9" in lines[0]
        assert "Traceback" not in run.stderr


def test_curves_of_a_run_without_its_config(tmp_path):
    import json

    (tmp_path / "metrics.jsonl").write_text(json.dumps({"pairs": 8, "loss": 0.5, "val_f1": 0.7, "val_roc_auc": 0.8}))
    assert main(["curves", "--run", str(tmp_path)]) == 0
    assert (tmp_path / "training.png").stat().st_size > 1000  # beside the run, not over the README's figure
    assert main(["curves", "--run", str(tmp_path / "nowhere")]) == 2


def test_train_help_comes_from_the_configs_own_field_metadata(capsys):
    import dataclasses

    from shapesim.training import TrainConfig

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(TrainConfig):
        meaning = f.metadata["help"]
        assert meaning, f.name  # every option says what it does
        assert " ".join(meaning.split()) in text, f.name


@pytest.mark.parametrize("command", [["atlas"], ["evaluate", "--save"], ["push", "--repo-id", "me/w"]])
def test_writers_never_write_into_the_bundled_model_unasked(command, tmp_path):
    """Without --weights, a command that writes next to the weights would write into the installed package's
    own folder: it refuses in one line, and nothing there changes."""
    from shapesim.hub import BUNDLED

    before = {p.name: p.stat().st_mtime_ns for p in BUNDLED.iterdir() if p.is_file()}
    env = {k: v for k, v in os.environ.items() if k != "SHAPESIM_WEIGHTS"}
    run = shapesim(*command, env=env, cwd=tmp_path)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "belongs to the installed package" in run.stderr and "--weights" in run.stderr
    assert {p.name: p.stat().st_mtime_ns for p in BUNDLED.iterdir() if p.is_file()} == before


def test_the_usage_line_names_the_command_as_it_was_run():
    from shapesim.cli import build_parser

    old = sys.argv[0]
    try:
        sys.argv[0] = "/usr/local/bin/shapesim"
        assert build_parser().prog == "shapesim"
        sys.argv[0] = "/x/shapesim/__main__.py"
        assert build_parser().prog == "python -m shapesim"
    finally:
        sys.argv[0] = old


def test_the_command_line_starts_without_torch_unless_a_command_needs_it():
    """--help, and the parsing of any command but train, import neither torch nor the models (seconds)."""
    code = (
        "import sys; from shapesim.cli import build_parser; p = build_parser(training=False); "
        "p.parse_args(['predict', 'a.png', 'b.png']); assert 'torch' not in sys.modules, 'torch imported'"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "--every-pair" in shapesim("train", "--help").stdout  # train's own options, when it is asked for
