"""Test-wide settings, applied before anything imports huggingface_hub or gradio, and shared helpers."""

import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_PORT = free_port()
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{HUB_PORT}"  # the Hub stub (tests/hubstub.py), never the internet
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="shapesim-hf-")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"  # uploads by the LFS protocol, which the stub speaks (not Xet's)
os.environ.pop("SHAPESIM_WEIGHTS", None)
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def serve(demo) -> str:
    """Launch a gradio app on a free port of 127.0.0.1 the way app.py does; returns its URL."""
    import app

    port = free_port()
    app.launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    """A small untrained model behind a Predictor, for tests of the app around it (a module may define its own)."""
    import torch

    from shapesim.models import AGFusionModel
    from shapesim.predict import Predictor

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("w")
    AGFusionModel(embedding_dim=8).save_pretrained(folder)
    return Predictor.from_pretrained(str(folder), device="cpu")


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """A folder of two other designs, as checkpoints/variants/ holds them, and one without weights."""
    import torch

    from shapesim.models import ConcatModel, RegionMatchModel

    folder = tmp_path_factory.mktemp("variants")
    torch.manual_seed(0)
    ConcatModel(hidden=8).save_pretrained(folder / "concat")
    RegionMatchModel(dim=8).save_pretrained(folder / "regionmatch")
    (folder / "empty").mkdir()  # no weights: not a choice
    return folder


OMNIGLOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot"  # beside the checkout, as in CI


@pytest.fixture(scope="session")
def omniglot_folder() -> Path:
    """The part of Omniglot that ships beside the checkout (../shared/data/omniglot)."""
    assert (OMNIGLOT / "all_runs.zip").is_file(), f"Omniglot is expected in {OMNIGLOT} (see its README)"
    return OMNIGLOT


@pytest.fixture(scope="session")
def omniglot_data(omniglot_folder):
    """Every background drawing beside the checkout, read once: 964 characters' pictures, 242's trajectories."""
    from shapesim.omniglot import Omniglot

    return Omniglot.load(omniglot_folder)


@pytest.fixture(scope="session")
def drawing_bank(omniglot_data):
    """The same drawings as training draws them (shapesim.people.DrawingBank)."""
    from shapesim.people import DrawingBank

    return DrawingBank.from_omniglot(omniglot_data)
