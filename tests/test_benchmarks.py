"""The benchmarks' shared table writer, and the architectures benchmark on a tiny run."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import common

ROOT = Path(__file__).resolve().parent.parent


def test_a_json_run_prints_figures_and_changes_no_file(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- x:start -->\nold\n<!-- x:end -->\nend\n")
    monkeypatch.setattr(common, "README", readme)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.md").write_text("# page\n<!-- y:start -->\n<!-- y:end -->\n")
    monkeypatch.setattr(common, "DOCS", docs)
    monkeypatch.setattr(sys, "argv", [str(ROOT / "benchmarks" / "x.py"), "--only", "a b"])
    common.publish("x", {"f1": 0.5}, "| t |", argparse.Namespace(json=True, no_readme=False))
    assert json.loads(capsys.readouterr().out) == {"f1": 0.5}
    assert "old" in readme.read_text()
    common.publish("x", {"f1": 0.5}, "| t |", argparse.Namespace(json=False, no_readme=False))
    text = readme.read_text()
    assert "old" not in text and "| t |" in text and text.startswith("intro\n") and text.endswith("end\n")
    assert "`python -m benchmarks.x --only 'a b'` on" in text  # the command, as one could paste it
    common.publish(
        "y", {"f1": 0.5}, "| on a page |", argparse.Namespace(json=False, no_readme=False), {"x": "| short |"}
    )
    assert "| on a page |" in (docs / "page.md").read_text() and "| short |" in readme.read_text()


def test_the_architectures_benchmark_on_a_tiny_run(tmp_path):
    before = (ROOT / "README.md").read_bytes()
    command = [sys.executable, "-m", "benchmarks.architectures", "--json", "--only", "agfusion", "--pairs", "64",
               "--batch-size", "16", "--eval-pairs", "8", "--curve-pairs", "32", "--repeat", "0"]  # fmt: skip
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    (row,) = json.loads(out.splitlines()[-1])["variants"]
    assert row["name"] == "agfusion" and row["parameters"] > 0 and row["pairs_per_s"] > 0
    assert [p for p, _ in row["heldout_curve"]] == [32, 64]
    for key in ("f1_named", "f1_trained", "f1_heldout", "f1_doodles_heldout"):
        assert 0 <= row[key] <= 1, key
    assert (ROOT / "README.md").read_bytes() == before  # --json: figures only, no file changed


def test_the_every_pair_step_is_timed_beside_the_pair_step_on_as_many_pictures():
    """Labelled pairs a picture: a pair step's two pictures make one pair, 2n pictures of the every-pair step
    make n(2n - 1) pairs; both steps timed in one run."""
    command = [sys.executable, "-m", "benchmarks.train_speed", "--json", "--every-pair", "--sizes", "4",
               "--steps", "3", "--depth", "1"]  # fmt: skip
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    figures = json.loads(out.splitlines()[-1])
    (row,) = figures["rows"]
    assert figures["depth"] == 1 and row["pictures_per_step"] == 8
    assert row["pair_pairs_per_s"] == pytest.approx(row["pair_pictures_per_s"] / 2, rel=0.02, abs=0.1)
    assert row["every_pair_pairs_per_s"] == pytest.approx(row["every_pair_pictures_per_s"] * 7 / 2, rel=0.02, abs=0.1)
    assert row["ratio"] == pytest.approx(row["every_pair_pairs_per_s"] / row["pair_pairs_per_s"], rel=0.05, abs=0.15)


def test_training_at_scale_times_generator_model_step_and_trainer_side_by_side():
    """The table an accelerator fills (--device cuda --sizes 256 1024 4096), here tiny on the CPU."""
    before = (ROOT / "README.md").read_bytes()
    command = [sys.executable, "-m", "benchmarks.train_speed", "--json", "--device", "cpu", "--sizes", "4", "8",
               "--steps", "2"]  # fmt: skip
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    rows = json.loads(out.splitlines()[-1])["rows"]
    assert [r["pairs_per_step"] for r in rows] == [4, 8]
    for r in rows:
        assert r["generator_pictures_per_s"] > 0 and r["model_step_pairs_per_s"] > 0 and r["trainer_pairs_per_s"] > 0
    assert (ROOT / "README.md").read_bytes() == before


def test_the_one_shot_curve_scores_every_point_when_steps_slow_down(monkeypatch):
    """The probe's rate sets the schedule; the real steps here take twice as long, so the minutes run out
    before the last step: every point must still be scored, at its minutes, and the run stop there."""
    from benchmarks import omniglot as bench

    clock, calls = [0.0], []

    def fake_train(config, callback):
        calls.append(config.steps)
        pace = 1.0 if config.steps == 8 else 2.0  # seconds a step: the probe is fast, the run slow
        for step in range(1, config.steps + 1):
            clock[0] += pace
            callback(step, type("Model", (), {"train": lambda self: None})())

    monkeypatch.setattr(bench.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(bench, "train", fake_train)
    monkeypatch.setattr(bench, "one_shot_runs", lambda folder: [])
    monkeypatch.setattr(bench, "bundled", lambda: None)
    monkeypatch.setattr(bench, "Predictor", lambda *a: None)
    monkeypatch.setattr(bench, "one_shot", lambda predictor, runs: {"error": 0.5})
    got = bench.curve({"batch_size": 4}, minutes=2, points=4, omniglot="unused", init="unused")
    assert calls == [8, 120]  # 2 minutes at the probe's 1 s a step
    minutes = [r["minutes"] for r in got["records"]]
    assert len(minutes) == 4 and all(abs(m - 0.5 * (k + 1)) < 0.05 for k, m in enumerate(minutes)), minutes
    assert got["records"][-1]["step"] == 60  # stopped at the last point, half-way through the schedule
