"""Faults: a misbehaving Hub, training runs killed at any moment, a checkpoint folder that cannot be written."""

import json
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from conftest import HUB_PORT
from hubstub import HubStub

import app
from shapesim import hub
from shapesim.card import without_paths
from shapesim.models import AGFusionModel
from shapesim.predict import Predictor
from shapesim.training import TrainConfig
from shapesim.training.checkpoint import RunFolder
from shapesim.training.schedule import param_groups

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 2 * hub.TIMEOUT_S + 10  # resolve's own deadline is twice its timeout; loading the fallback is quick


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    AGFusionModel(embedding_dim=8).save_pretrained(folder)
    return {name: (folder / name).read_bytes() for name in ("config.json", "model.safetensors")}


def repo_id(name: str) -> str:
    return f"tester/{name}-{time.time_ns()}"  # nothing cached from an earlier test


# ----------------------------------------------------------------------------- the Hub


def corrupt(weights):
    return {**weights, "model.safetensors": weights["model.safetensors"][:100] + b"\0" * 50}


def other_architecture(weights):
    return {**weights, "config.json": json.dumps({"arch": "crossattn", "patch_size": 8}).encode()}


@pytest.mark.parametrize(
    "mode, files, reason",
    [
        ("hang", None, r"could not be reached|did not answer"),
        ("500", None, r"500|server error"),
        ("drop", None, r"could not be reached .*closed connection|did not answer"),
        ("ok", corrupt, r"corrupt or truncated"),
        ("ok", other_architecture, r"describes another model"),
    ],
    ids=["slow", "server-error", "dropped-mid-file", "corrupt-safetensors", "config-for-another-model"],
)
def test_the_app_starts_on_the_bundled_weights_and_says_why(weights, monkeypatch, mode, files, reason):
    repo = repo_id(mode)
    monkeypatch.setenv("SHAPESIM_WEIGHTS", repo)
    started = time.perf_counter()
    with HubStub(HUB_PORT, {repo: files(weights) if files else weights}, mode=mode):
        predictor = app.load_predictor()
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND_S
    assert predictor.source.kind == "bundled" and predictor.source.path == hub.BUNDLED
    assert re.search(reason, predictor.source.fallback_reason, re.I), predictor.source.fallback_reason
    assert without_paths(predictor.source.fallback_reason) in app.weights_summary(predictor)
    assert str(hub.BUNDLED) not in app.weights_summary(predictor)  # no server folder on the page


@pytest.mark.parametrize("files", [corrupt, other_architecture], ids=["corrupt-safetensors", "config-for-another"])
def test_the_predictor_refuses_a_bad_download_with_a_reason(weights, files):
    repo = repo_id("bad")
    with HubStub(HUB_PORT, {repo: files(weights)}), pytest.raises(ValueError, match=r"config\.json|safetensors"):
        Predictor.from_pretrained(repo, device="cpu")


# ----------------------------------------------------------------------------- training killed


def tiny_run(out, *extra) -> list[str]:
    return [
        sys.executable, "-m", "shapesim", "train", "--out", str(out), "--steps", "12", "--eval-every", "2",
        "--batch-size", "4", "--image-size", "32", "--eval-pairs", "16", "--warmup", "2", "--no-progress", *extra,
    ]  # fmt: skip


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def assert_loadable(out: Path) -> int:
    """The model and the resume state in ``out`` load; returns the state's step."""
    Predictor.from_pretrained(str(out), device="cpu")
    model = TrainConfig.from_json(out / "train_config.json").build_model()
    optimizer = torch.optim.AdamW(param_groups(model, 0.0))
    step, _ = RunFolder(out).load_state(model, optimizer, torch.device("cpu"))
    return step


def resume_and_finish(out: Path) -> None:
    done = subprocess.run(tiny_run(out, "--resume"), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    steps = [r["step"] for r in records(out)]
    assert steps == list(range(2, 13, 2))  # every checkpoint once: nothing lost, nothing twice
    assert assert_loadable(out) == 12


def test_sigkill_at_a_random_moment_then_resume(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(tiny_run(out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not ((out / "metrics.jsonl").is_file() and len(records(out)) >= 2) and proc.poll() is None:
        assert time.monotonic() < deadline, "the run wrote no second checkpoint in time"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert assert_loadable(out) >= 2
    resume_and_finish(out)


# Runs the CLI with safetensors' writer replaced by one that writes half of the
# Nth file and then kills its own process: a SIGKILL in the middle of a write.
DIES_WHILE_WRITING = textwrap.dedent(
    """
    import os, signal, sys
    import shapesim.training.checkpoint as T
    from shapesim.cli import main

    write, calls, die_at = T.save_file, [0], int(sys.argv[1])

    def dying(tensors, path, metadata=None):
        calls[0] += 1
        write(tensors, path, metadata=metadata)
        if calls[0] == die_at:
            data = open(path, "rb").read()
            open(path, "wb").write(data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)

    T.save_file = dying
    sys.exit(main(sys.argv[2:]))
    """
)


@pytest.mark.parametrize("die_at", [3, 4])
def test_sigkill_while_a_checkpoint_is_written_keeps_the_previous_one(tmp_path, die_at):
    """Writes 1 and 2 are the first checkpoint (model, state); 3 and 4 belong to the second."""
    out = tmp_path / "run"
    argv = tiny_run(out)[3:]  # after "python -m shapesim"
    proc = subprocess.run(
        [sys.executable, "-c", DIES_WHILE_WRITING, str(die_at), *argv], cwd=ROOT, capture_output=True, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL
    assert list(out.glob(".*.tmp-*")), "the kill came in the middle of a write"
    assert assert_loadable(out) in (2, 4)  # the state is the first checkpoint's or, when model came last, complete
    resume_and_finish(out)


# ----------------------------------------------------------------------------- unwritable checkpoint folders


@pytest.mark.parametrize("where", ["file-in-the-way", "kernel-file-system"])
def test_an_unwritable_checkpoint_folder_fails_at_start(tmp_path, where):
    if where == "file-in-the-way":
        (tmp_path / "file").write_text("not a folder")
        out = tmp_path / "file" / "run"
    else:
        out = Path("/sys/shapesim-run")  # sysfs: no one can create a folder there, not even root
    started = time.perf_counter()
    done = subprocess.run(tiny_run(out, "--steps", "100000"), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"cannot write checkpoints to {out}" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.perf_counter() - started < 60  # before any training: 100,000 steps would take hours
    assert not out.exists()
