"""The package's shape: layers that point one way, no cycles, a light front door."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    """pyproject.toml's import-linter contracts: the README's layers, no cycles, nothing imports the app."""
    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.fail("lint-imports is missing: pip install -r requirements-dev.txt")
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_importing_shapesim_loads_nothing_heavy_until_asked():
    code = (
        "import sys, shapesim\n"
        "before = {m for m in ('torch', 'numpy', 'gradio', 'sklearn') if m in sys.modules}\n"
        "from shapesim import Predictor, Comparison, Atlas, TrainConfig, train, load_model, WeightsFolder\n"
        "print(sorted(before), callable(train), Predictor.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "True", "shapesim.predict"]


def test_an_unknown_name_is_an_attribute_error():
    import shapesim

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        shapesim.Nope  # noqa: B018
