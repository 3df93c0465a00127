import json

import torch

from shapesim.card import model_card, training_command, write_model_card
from shapesim.models import ConcatModel
from shapesim.training import TrainConfig
from shapesim.training.checkpoint import RunFolder


def test_training_command_names_only_what_differs_from_the_defaults():
    assert training_command({}) == "python -m shapesim train"
    config = {"steps": 10, "holdout": [], "channels_last": False, "out": "runs/x", "progress": False}
    assert training_command(config) == "python -m shapesim train --holdout --steps 10 --no-channels-last --out runs/x"


def test_a_card_says_what_the_model_is_how_it_was_trained_and_how_it_scores(tmp_path):
    torch.manual_seed(0)
    run = RunFolder(tmp_path)
    run.save_model(ConcatModel(hidden=8))
    run.save_train_config(TrainConfig(arch="concat", steps=5, holdout=("arrow",)))
    metrics = {"pairs": 4, "accuracy": 1, "precision": 1, "recall": 1, "f1": 1, "roc_auc": 1, "hard_accuracy": 1}
    run.save_eval_results({"seed": metrics, "heldout": metrics})
    card = model_card(tmp_path)
    assert card.startswith("---\nlibrary_name: shapesim") and "early-fusion" in card
    assert "# shapesim ConcatModel (`concat`)" in card and "one CNN" in card
    assert "python -m shapesim train --arch concat --holdout arrow --steps 5" in card
    assert "| `heldout` (arrow) | 4 |" in card
    assert write_model_card(tmp_path).read_text() == card


def test_a_card_without_training_or_results_is_still_a_card(tmp_path):
    ConcatModel(hidden=8).save_pretrained(tmp_path)
    (tmp_path / "train_config.json").write_text(json.dumps({"arch": "concat"}))
    card = model_card(tmp_path)
    assert "## Results" not in card and "ConcatModel" in card


def test_a_fine_tuned_models_card_says_where_it_started_and_what_was_mixed_in(tmp_path):
    ConcatModel(hidden=8).save_pretrained(tmp_path)
    config = {"arch": "concat", "preset": "open", "mix": ["seed"], "init": "runs/mine", "steps": 600}
    (tmp_path / "train_config.json").write_text(json.dumps(config))
    card = model_card(tmp_path)
    assert "in turn from the presets open, seed" in card and "started from the model of `runs/mine`" in card
    assert "--mix seed" in card and "--init runs/mine" in card


def test_a_card_gives_peoples_share_and_the_one_shot_error_the_run_reached(tmp_path):
    ConcatModel(hidden=8).save_pretrained(tmp_path)
    config = {"arch": "concat", "people": 0.5, "omniglot": "../shared/data/omniglot", "steps": 40}
    (tmp_path / "train_config.json").write_text(json.dumps(config))
    curve = [{"step": 20, "error": 0.5, "accuracy": 0.7}, {"step": 40, "error": 0.25, "accuracy": 0.8}]
    (tmp_path / "oneshot.jsonl").write_text("".join(json.dumps(r) + "\n" for r in curve))
    card = model_card(tmp_path)
    assert "50% of every batch were people's drawings" in card and "--people 0.5" in card
    assert "one-shot error along the run" in card and "50.0% at step 20, 25.0% at step 40" in card
    assert "error of this model" not in card  # that one comes from an evaluation with --omniglot
    metrics = dict(pairs=800, accuracy=0.875, precision=0.9, recall=0.85, f1=0.87, roc_auc=0.95, hard_accuracy=0.5)
    (tmp_path / "eval.json").write_text(json.dumps({"omniglot": {**metrics, "one_shot_error": 0.3125}}))
    card = model_card(tmp_path)
    assert "error of this model (the paper's 20 runs" in card
    assert "**31.2%**; same/different on the runs' pairs: 0.875 right" in card
