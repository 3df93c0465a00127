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
    assert set(ABOUT) == set(ALL_SETS)


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
