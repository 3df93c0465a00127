"""The training loop: a run leaves a loadable model, resumes exactly, trains every design."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from shapesim.models import ARCHS, AGFusionModel, load_model
from shapesim.training import TrainConfig, train


def tiny(tmp_path, **kw) -> TrainConfig:
    base = dict(
        preset="seed",
        holdout=(),
        image_size=32,
        steps=6,
        batch_size=4,
        warmup=2,
        eval_every=2,
        eval_pairs=8,
        out=str(tmp_path),
        progress=False,
        embedding_dim=16,
    )
    return TrainConfig(**{**base, **kw})


def test_a_run_leaves_a_loadable_model_metrics_and_its_config(tmp_path):
    result = train(tiny(tmp_path))
    assert result.steps == 6 and 0 <= result.best_score <= 1
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [2, 4, 6]
    for key in ("loss", "val_accuracy", "val_precision", "val_recall", "val_f1", "val_roc_auc", "pairs_per_s"):
        assert key in lines[0]
    assert json.loads((tmp_path / "train_config.json").read_text())["steps"] == 6
    model = AGFusionModel.from_pretrained(str(tmp_path))
    assert model.projection[-1].out_features == 16
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind


def test_resume_continues_exactly_where_a_run_stopped(tmp_path):
    straight = tmp_path / "straight"
    train(tiny(straight))

    def stop_at_5(step, model):
        assert isinstance(model, AGFusionModel) and model.training  # the model being trained, as it is now
        if step == 5:
            raise KeyboardInterrupt

    broken = tmp_path / "broken"
    with pytest.raises(KeyboardInterrupt):
        train(tiny(broken), callback=stop_at_5)  # the last checkpoint is at step 4
    # resuming reads the run's own config: the one given here only says where the run is
    train(TrainConfig(out=str(broken), resume=True, progress=False))
    a, b = load_file(str(straight / "last.safetensors")), load_file(str(broken / "last.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k].float(), b[k].float(), atol=1e-6), k
    records = [json.loads(x) for x in (broken / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4, 6]
    # the clock goes on from the checkpoint: learning time and the pair rate cover the whole run
    assert records[0]["seconds"] < records[1]["seconds"] < records[2]["seconds"]
    assert records[2]["pairs_per_s"] < 2 * records[1]["pairs_per_s"]


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="nothing to resume"):
        train(tiny(tmp_path, resume=True))


def test_an_unwritable_output_folder_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="cannot write checkpoints to"):
        train(tiny(blocker / "run"))


def test_cli_trains_and_evaluates_end_to_end(tmp_path):
    run = lambda *args: subprocess.run([sys.executable, "-m", "shapesim", *args], capture_output=True, text=True)
    out = tmp_path / "run"
    trained = run(
        "train",
        "--preset",
        "seed",
        "--holdout",
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--eval-every",
        "3",
        "--eval-pairs",
        "8",
        "--embedding-dim",
        "16",
        "--out",
        str(out),
        "--no-progress",
    )
    assert trained.returncode == 0, trained.stderr
    assert "best validation F1" in trained.stdout
    evaluated = run("evaluate", "--weights", str(out), "--pairs", "8", "--json", "--figure", str(tmp_path / "c.png"))
    assert evaluated.returncode == 0, evaluated.stderr
    results = json.loads(evaluated.stdout)
    assert set(results) == {"seed", "named", "trained", "doodles", "plain-64", "plain-128", "photos", "photo-own"}
    assert results["seed"]["pairs"] == 8
    assert (tmp_path / "c.png").stat().st_size > 1000


@pytest.mark.parametrize("arch", [a for a in ARCHS if a != "agfusion"])
def test_the_trainer_trains_every_design(arch, tmp_path):
    result = train(tiny(tmp_path, arch=arch, steps=2, warmup=1))
    assert result.steps == 2 and 0 <= result.best_score <= 1
    assert type(load_model(tmp_path)).arch == arch


def test_held_out_shapes_never_reach_training(tmp_path, monkeypatch):
    """What the trainer draws, inspected: no picture of a held-out family or named shape, in a real run
    and in the next thousands of pairs of its stream."""
    from shapesim import data
    from shapesim.shapes import FAMILY_NAMES, NAMED

    held = ("composite", "glyph", "letter", "heart")
    seen_families, seen_named = set(), set()
    original = data.PairGenerator.params

    def record(self, index):
        a, b, label, hard = original(self, index)
        for p in (a, b):
            seen_families.update(FAMILY_NAMES[i] for i in p.family.tolist())
            named = p.family == FAMILY_NAMES.index("named")
            seen_named.update(NAMED[int(i)] for i in p.shape[named, 0])
        return a, b, label, hard

    monkeypatch.setattr(data.PairGenerator, "params", record)
    config = tiny(tmp_path, preset="open", holdout=held, steps=4, batch_size=16)
    train(config)
    stream = data.PairGenerator(config.spec(), config.image_size, seed=config.seed)
    stream.params(range(5000))  # the next steps' pairs, without drawing them
    assert seen_families == {"named", "polygon", "irregular", "star-polygon", "blob", "stroke"}
    assert seen_named == set(NAMED) - {"heart"}


def test_a_run_can_start_from_another_runs_model(tmp_path):
    """Fine-tuning: --init starts from a weights folder's model (a tiny learning rate barely moves it)."""
    first = train(tiny(tmp_path / "first", steps=2)).model
    tuned = train(tiny(tmp_path / "tuned", steps=1, lr=1e-12, init=str(tmp_path / "first"))).model
    fresh = train(tiny(tmp_path / "fresh", steps=1, lr=1e-12, seed=1)).model
    start, after, other = first.state_dict(), tuned.state_dict(), fresh.state_dict()
    weights = [k for k, _ in first.named_parameters()]
    assert all(torch.allclose(start[k], after[k], atol=1e-6) for k in weights)
    assert not all(torch.allclose(start[k], other[k], atol=1e-6) for k in weights)
    assert json.loads((tmp_path / "tuned" / "train_config.json").read_text())["init"] == str(tmp_path / "first")


def test_init_from_another_design_or_nothing_is_a_clear_error(tmp_path):
    train(tiny(tmp_path / "concat", steps=1, arch="concat"))
    with pytest.raises(ValueError, match="holds a concat model"):
        train(tiny(tmp_path / "a", steps=1, init=str(tmp_path / "concat")))
    train(tiny(tmp_path / "d16", steps=1))
    with pytest.raises(ValueError, match="other sizes"):
        train(tiny(tmp_path / "d8", steps=1, embedding_dim=8, init=str(tmp_path / "d16")))
    with pytest.raises(ValueError, match="no model in"):
        train(tiny(tmp_path / "c", steps=1, init=str(tmp_path / "missing")))


def test_mixed_presets_take_turns_and_keep_the_held_out_shapes_out(tmp_path, monkeypatch):
    """--mix: step s draws from (preset, *mix)[s % n]; the held-out shapes stay out of every preset."""
    from shapesim import data
    from shapesim.shapes import NAMED

    drawn = []
    original = data.PairGenerator.params

    def record(self, index):
        a, b, label, hard = original(self, index)
        if len(index) == 5:  # a training batch (validation scores 8 pairs)
            drawn.append((self.spec.styles, {NAMED[int(i)] for p in (a, b) for i in p.shape[:, 0]}))
        return a, b, label, hard

    monkeypatch.setattr(data.PairGenerator, "params", record)
    train(tiny(tmp_path, preset="shapes", mix=("sketch",), holdout=("heart",), steps=4, batch_size=5))
    assert [styles for styles, _ in drawn] == [("fill", "outline"), ("sketch",)] * 2
    assert not any("heart" in named for _, named in drawn)
    with pytest.raises(ValueError, match="unknown preset"):
        tiny(tmp_path, mix=("nonsense",))


def test_a_share_of_every_batch_can_be_peoples_drawings(tmp_path, omniglot_folder):
    """People's pairs join the generator's in each step; validation scores both, and the model kept is
    the one best on both (their mean F1)."""
    from shapesim.training.checkpoint import RunFolder
    from shapesim.training.distributed import setup_distributed
    from shapesim.training.loop import _set_up

    config = tiny(tmp_path, people=0.5, omniglot=str(omniglot_folder), batch_size=8, steps=4)
    where, device = setup_distributed("cpu")
    RunFolder(config.out).prepare()
    trainer, _, _ = _set_up(config, where, device, RunFolder(config.out))
    batch = trainer.batch(3)
    ids = batch.identities()
    assert batch.a.shape == (8, 3, 32, 32) and ids.shape == (16,)
    assert (ids[4:8] >= 1 << 40).all() and (ids[:4] < 1 << 40).all()  # the generator's 4, then people's 4
    assert torch.equal(ids[:8] == ids[8:], batch.label.bool())
    result = train(config)
    records = [json.loads(r) for r in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    record = records[-1]
    assert {"val_f1", "val_people_f1", "val_people_roc_auc", "val_score"} <= record.keys()
    assert record["val_score"] == pytest.approx((record["val_f1"] + record["val_people_f1"]) / 2)
    assert result.best_score == max(
        json.loads(r)["val_score"] for r in (tmp_path / "metrics.jsonl").read_text().splitlines()
    )


def test_the_one_shot_curve_is_written_beside_the_run(tmp_path, omniglot_folder):
    import zipfile

    from shapesim.cli import main

    data = tmp_path / "omniglot"  # two of the 20 runs, to be quick
    with zipfile.ZipFile(omniglot_folder / "all_runs.zip") as z:
        z.extractall(data, [n for n in z.namelist() if n.startswith(("run01/", "run02/"))])
    args = ["train", "--out", str(tmp_path / "run"), "--preset", "seed", "--holdout", "--steps", "2",
            "--batch-size", "4", "--image-size", "32", "--eval-every", "2", "--eval-pairs", "8", "--embedding-dim",
            "8", "--no-progress", "--omniglot", str(data), "--oneshot-every", "2"]  # fmt: skip
    assert main(args) == 0
    (record,) = [json.loads(line) for line in (tmp_path / "run" / "oneshot.jsonl").read_text().splitlines()]
    assert record["step"] == 2 and record["tests"] == 40 and 0 <= record["error"] <= 1
    # resumed (here: told to go on to step 4), the run scores its own Omniglot folder and keeps the curve
    config = tmp_path / "run" / "train_config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "steps": 4}))
    assert main(["train", "--out", str(tmp_path / "run"), "--resume", "--no-progress", "--oneshot-every", "2"]) == 0
    records = [json.loads(line) for line in (tmp_path / "run" / "oneshot.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4] and records[0] == record


def test_batches_drawn_ahead_train_the_very_same_model(tmp_path):
    """A background thread drawing the next batches (as on an accelerator) changes nothing but the timing."""
    ahead = train(tiny(tmp_path / "ahead", prefetch=2)).model.state_dict()
    now = train(tiny(tmp_path / "now", prefetch=0)).model.state_dict()
    assert all(torch.equal(ahead[k], now[k]) for k in now)


def test_a_batch_that_cannot_be_made_ahead_stops_the_run_with_its_error():
    from shapesim.training.loop import made_ahead

    def make(step):
        if step == 2:
            raise ValueError("no pictures for step 2")
        return step

    got = made_ahead(make, range(5), depth=2)
    assert [next(got), next(got)] == [0, 1]
    with pytest.raises(ValueError, match="no pictures for step 2"):
        next(got)


def test_the_every_pair_step_learns_from_every_two_pictures_of_a_batch(tmp_path, omniglot_folder):
    """Identities drawn twice (people's characters and the generator's shapes), every pair through the gate:
    a batch of 4 identities is 8 pictures and 28 labelled pairs; the run's model is upright and loads."""
    from shapesim.training.checkpoint import RunFolder
    from shapesim.training.distributed import setup_distributed
    from shapesim.training.loop import Group, _set_up

    people = {"people": 0.5, "omniglot": str(omniglot_folder)}
    config = tiny(tmp_path, every_pair=True, upright=True, batch_size=4, hard_pairs=0.25, **people)
    assert config.pairs_per_step == 28
    where, device = setup_distributed("cpu")
    RunFolder(config.out).prepare()
    trainer, _, _ = _set_up(config, where, device, RunFolder(config.out))
    batch = trainer.batch(3)
    assert isinstance(batch, Group) and batch.pictures.shape == (8, 3, 32, 32) and batch.pairs == 28
    ids = batch.identities
    assert torch.equal(ids[:4], ids[4:]) and (ids[[0, 1, 4, 5]] >= 1 << 40).all() and (ids[[2, 3]] < 1 << 40).all()
    assert (batch.rivals[[0, 1, 4, 5]] == -1).all()  # people's characters have no near misses named
    result = train(config)
    assert load_model(tmp_path).upright and result.steps == 6
    record = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["pairs"] == 6 * 28 and record["pictures"] == 6 * 8


def test_every_pair_and_upright_are_agfusions_and_go_together(tmp_path):
    with pytest.raises(ValueError, match="upright labels come with the every_pair step"):
        tiny(tmp_path, upright=True)
    with pytest.raises(ValueError, match="not a step of concat"):
        tiny(tmp_path, every_pair=True, arch="concat")
