"""The predictors an app serves (shapesim/ui/models.py): the main one and the variants it may switch to."""

import pytest
import torch

from shapesim.models import AGFusionModel
from shapesim.predict import Predictor
from shapesim.ui.models import Predictors


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    folder = tmp_path_factory.mktemp("main")
    torch.manual_seed(0)
    AGFusionModel(embedding_dim=16).save_pretrained(folder)
    return Predictor.from_pretrained(str(folder), device="cpu")


def test_predictors_list_the_variants_and_load_each_once(predictor, variants):
    models = Predictors(predictor, variants)
    assert models.names == [models.name, "concat", "regionmatch"]  # each by its folder's name, once
    assert models.get(models.name) is predictor and models.get("no such model") is predictor
    concat = models.get("concat")
    assert concat.arch == "concat" and models.get("concat") is concat
    assert Predictors(predictor).names == [models.name]
