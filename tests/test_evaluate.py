import dataclasses

import numpy as np
import pytest
import torch

from shapesim.evaluate import ABOUT, ALL_SETS, evaluate_folder
from shapesim.hub import BUNDLED
from shapesim.models import AGFusionModel
from shapesim.testsets import make_test_sets, score
from shapesim.training.checkpoint import RunFolder
from shapesim.training.config import TrainConfig
from shapesim.weights import WeightsFolder


def test_evaluate_folder_scores_every_set_at_the_models_own_size(tmp_path):
    torch.manual_seed(0)
    run = RunFolder(tmp_path)
    run.save_model(AGFusionModel(embedding_dim=8))
    run.save_train_config(TrainConfig(image_size=32, holdout=("heart", "letter")))
    results = evaluate_folder(tmp_path, pairs=12, device="cpu")
    assert list(results) == list(ALL_SETS)
    assert all(r["pairs"] == 12 for r in results.values())
    assert 0 <= results["doodles"]["f1"] <= 1 and 0 <= results["plain-128"]["f1"] <= 1
    assert set(ABOUT) == {*ALL_SETS, "omniglot"}  # omniglot: scored when given a folder of its drawings


def test_the_bundled_checkpoint_is_good_on_the_seed_preset():
    """The model the app ships: F1 >= 0.99 on a small fixed test set of the origin project's data."""
    weights = WeightsFolder(BUNDLED)
    (seed_set,) = make_test_sets(weights.image_size, names=("seed",), n=200)
    metrics = score(weights.load_model(), seed_set)
    assert metrics["f1"] >= 0.99, metrics


@pytest.mark.parametrize("name", WeightsFolder.PUBLISHED)
def test_the_bundled_checkpoint_comes_with_its_card_metrics_and_atlas(name):
    assert (BUNDLED / name).is_file(), name
    if name == "README.md":
        card = (BUNDLED / name).read_text()
        assert "python -m shapesim train" in card and "| `seed` |" in card


def test_a_refused_picture_counts_as_a_wrong_answer(tmp_path):
    import numpy as np
    from PIL import Image, ImageDraw

    from shapesim.evaluate import score_pictures
    from shapesim.predict import Predictor

    torch.manual_seed(0)
    AGFusionModel(embedding_dim=8).save_pretrained(tmp_path)
    predictor = Predictor.from_pretrained(str(tmp_path), device="cpu")
    circle = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(circle).ellipse((10, 10, 50, 50), fill="red")
    blank = Image.new("RGB", (64, 64), "white")
    metrics = score_pictures(predictor, [circle, blank, circle], [circle, circle, blank], np.array([1, 1, 0]))
    assert metrics["refused"] == 2 and metrics["pairs"] == 3
    assert metrics["fn"] + metrics["fp"] >= 2  # both refusals are wrong answers


def _shuffled_run(omniglot_folder):
    """A run whose test drawings are its training drawings in another order: the answers are known."""
    from shapesim.omniglot import Run, one_shot_runs

    run = one_shot_runs(omniglot_folder)[0]
    order = np.random.default_rng(0).permutation(len(run.training))
    return Run("shuffled", run.training, [run.training[j] for j in order], order)


class _ByPixels:
    """A predictor that calls two pictures the same shape when they are the same pixels."""

    def probabilities(self, a, b, turns=None):
        return np.array([[float(np.array_equal(x, y)) for y in b] for x in a])


def test_one_shot_scores_the_answer_each_run_names(omniglot_folder):
    from shapesim.evaluate import mhd_one_shot, one_shot

    run = _shuffled_run(omniglot_folder)
    got = one_shot(_ByPixels(), [run])
    assert got == {"error": 0.0, "accuracy": 1.0, "same_accuracy": 1.0, "different_accuracy": 1.0, "tests": 20}
    assert mhd_one_shot([run]) == 0.0
    # the same run with its answers shifted by one: every test drawing is given the wrong character
    wrong = one_shot(_ByPixels(), [dataclasses.replace(run, answer=(run.answer + 1) % 20)])
    assert wrong["error"] == 1.0 and wrong["same_accuracy"] == 0.0


def test_people_pairs_from_the_runs_are_balanced_and_never_pair_a_character_with_itself(omniglot_folder):
    from shapesim.omniglot import one_shot_runs, other_character, same_different_pairs

    runs = one_shot_runs(omniglot_folder)
    a, b, labels = same_different_pairs(runs)
    assert len(a) == len(b) == len(labels) == 800 and labels.sum() == 400
    for run in runs:
        others = [other_character(run, i) for i in range(20)]
        assert all(o != run.answer[i] for i, o in enumerate(others))
        assert len(set(others)) > 5  # not one character for every different pair of the run
