import subprocess
import sys

import pytest
from PIL import Image

from shapesim.cli import main


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


@pytest.mark.parametrize("command", ["sample", "train", "evaluate", "curves", "predict", "atlas", "push", "space"])
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "`" not in out
    if command == "train":
        assert "--framed" in out and "65% of the side" in out
