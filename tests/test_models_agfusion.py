"""The seed's design: shapes, symmetry, gradients, learning, saving."""

import pytest
import torch
import torch.nn.functional as F

from shapesim.data import PairGenerator
from shapesim.models import AGFusionModel


@pytest.fixture(scope="module")
def pairs():
    return PairGenerator("mixed", 32, seed=0)(0, 8)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return AGFusionModel(embedding_dim=32)


def test_output_shapes_and_ranges(model, pairs):
    out = model.eval()(pairs.a, pairs.b)
    assert out.logit.shape == out.similarity.shape == (8,)
    assert out.embedding_a.shape == out.embedding_b.shape == (8, 32)
    assert out.attention_a.shape == out.attention_b.shape == (8, 1, 8, 8)  # 32 / 4
    assert out.logit.dtype == torch.float32
    assert (out.similarity.abs() <= 1 + 1e-5).all()
    assert ((out.attention_a > 0) & (out.attention_a < 1)).all()


@pytest.mark.parametrize("train", [False, True])
def test_swapping_the_inputs_gives_the_same_logit(model, pairs, train):
    model.train(train)
    ab, ba = model(pairs.a, pairs.b), model(pairs.b, pairs.a)
    assert torch.allclose(ab.logit, ba.logit, atol=1e-5)
    assert torch.allclose(ab.embedding_a, ba.embedding_b, atol=1e-5)


def test_gradients_reach_the_gate_and_the_backbone(model, pairs):
    out = model.train()(pairs.a, pairs.b)
    F.binary_cross_entropy_with_logits(out.logit, pairs.label).backward()
    for name in (
        "gate.w_x.weight",
        "gate.w_g.weight",
        "gate.psi.weight",
        "backbone.0.weight",
        "backbone.4.2.conv3.weight",
        "projection.0.weight",
        "classifier.weight",
    ):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_a_tiny_batch_is_learned(model, pairs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(40):
        loss = F.binary_cross_entropy_with_logits(model(pairs.a, pairs.b).logit, pairs.label)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    assert ((model(pairs.a, pairs.b).logit > 0).float() == pairs.label).all()


def test_save_and_load_give_identical_outputs(model, pairs, tmp_path):
    model.eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "config.json").is_file() and (tmp_path / "model.safetensors").is_file()
    loaded = AGFusionModel.from_pretrained(str(tmp_path))
    assert loaded.projection[-1].out_features == 32  # init arguments came back from config.json
    assert torch.equal(model(pairs.a, pairs.b).logit, loaded(pairs.a, pairs.b).logit)


def test_what_the_design_says_it_can_do(model, pairs):
    assert model.has_embeddings and model.has_maps and model.symmetric
    assert model.cosine_classifier and model.pretrainable and model.heatmap
    out = model.eval()(pairs.a, pairs.b)
    cosine = torch.nn.functional.cosine_similarity(out.embedding_a, out.embedding_b)
    assert torch.allclose(model.classify(cosine), out.logit, atol=1e-5)  # the classifier reads only the cosine


def test_every_pair_of_a_batch_is_compared_as_a_pair_is(model, pairs):
    """Each picture through the stem once, every two through the gate: the logits and cosines forward gives
    those two pictures as a pair, both ways round."""
    model.eval()
    x = torch.cat([pairs.a, pairs.b])
    with torch.no_grad():
        logits, cosines = model.every_pair(model.features(x))
        i, j = torch.tensor([0, 3, 9, 15]), torch.tensor([8, 12, 2, 15])
        out = model(x[i], x[j])
    assert logits.shape == cosines.shape == (16, 16)
    assert torch.allclose(logits, logits.T, atol=1e-5)
    assert torch.allclose(logits[i, j], out.logit, atol=1e-4)
    assert torch.allclose(cosines[i, j], out.similarity, atol=1e-5)


def test_upright_is_a_setting_that_config_json_keeps(tmp_path):
    AGFusionModel(embedding_dim=8, upright=True).save_pretrained(tmp_path)
    assert AGFusionModel.from_pretrained(str(tmp_path)).upright
    assert not AGFusionModel(embedding_dim=8).upright
