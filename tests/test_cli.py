import subprocess
import sys

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
