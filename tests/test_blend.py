"""Averaged weights (shapesim/blend.py, python -m shapesim blend): the average, its record, its refusals."""

import json

import pytest
import torch

from shapesim.blend import blend
from shapesim.card import model_card
from shapesim.cli import main
from shapesim.models import AGFusionModel
from shapesim.weights import WeightsFolder


@pytest.fixture
def two_models(tmp_path):
    folders = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        (folder := tmp_path / f"m{seed}").mkdir()
        AGFusionModel(embedding_dim=8).save_pretrained(folder)
        folders.append(folder)
    (folders[1] / "train_config.json").write_text(json.dumps({"arch": "agfusion", "people": 0.5, "steps": 40}))
    (folders[1] / "oneshot.jsonl").write_text(json.dumps({"step": 40, "error": 0.4, "accuracy": 0.8}) + "\n")
    return folders


def _weights(folder):
    return WeightsFolder(folder).load_model().state_dict()


def test_the_share_runs_from_the_base_model_to_the_fine_tuned_one(two_models, tmp_path):
    base, tuned = map(_weights, two_models)
    for share in (0.0, 0.5, 1.0):
        got = _weights(blend(*two_models, share, tmp_path / f"s{share}").path)
        for k, v in got.items():
            expected = (1 - share) * base[k] + share * tuned[k] if v.is_floating_point() else tuned[k]
            torch.testing.assert_close(v, expected.to(v.dtype), rtol=1e-6, atol=1e-6, msg=k)
    assert any(not torch.equal(base[k], tuned[k]) for k in base)  # the two models do differ


def test_the_blend_says_what_it_averaged_and_keeps_the_fine_tuned_run(two_models, tmp_path):
    folder = blend(*two_models, 0.25, tmp_path / "out")
    assert folder.blend() == {"base": str(two_models[0]), "tuned": str(two_models[1]), "share": 0.25}
    assert folder.train_config["people"] == 0.5 and folder.one_shot()[0]["error"] == 0.4
    card = model_card(folder.path)
    assert f"0.75 × the model of `{two_models[0]}` + 0.25 × the fine-tuned model" in card
    assert WeightsFolder.BLEND in WeightsFolder.PUBLISHED


def test_a_blend_is_refused_for_other_designs_or_shares_outside_0_to_1(two_models, tmp_path):
    with pytest.raises(ValueError, match="from 0 to 1"):
        blend(*two_models, 1.5, tmp_path / "out")
    other = tmp_path / "wide"
    AGFusionModel(embedding_dim=16).save_pretrained(other)
    with pytest.raises(ValueError, match="different models"):
        blend(two_models[0], other, 0.5, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_line_blends_or_says_in_one_line_why_not(two_models, tmp_path, capsys):
    assert main(["blend", *map(str, two_models), "--share", "0.5", "--out", str(tmp_path / "out")]) == 0
    assert "0.5 ×" in capsys.readouterr().out and WeightsFolder(tmp_path / "out").has_weights
    assert main(["blend", str(tmp_path / "missing"), str(two_models[1]), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such weights folder" in err[0] and not (tmp_path / "x").exists()
