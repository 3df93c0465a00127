"""The designs by name: one output contract, one way to save and load, each says what it can do and learns."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from shapesim.data import PairGenerator
from shapesim.models import ARCHS, check_config, load_model, model_class
from shapesim.predict import Predictor

# what each design is expected to have besides the logit: (similarity and embeddings, maps, order-free answer)
EXPECTED = {
    "agfusion": (True, True, True),
    "crossattn": (False, True, True),
    "concat": (False, False, False),
    "regionmatch": (True, True, True),
}


def pictures(n=4, size=64, seed=0):
    batch = PairGenerator("shapes", size, seed=seed)(0, n)
    return batch.a, batch.b


def test_every_design_is_registered_under_its_name():
    assert set(ARCHS) == set(EXPECTED)
    for arch, cls in ARCHS.items():
        assert cls.arch == arch and model_class(arch) is cls and cls.description
        assert (cls.has_embeddings, cls.has_maps, cls.symmetric) == EXPECTED[arch], arch
        assert (cls.heatmap is not None) == cls.has_maps, arch


@pytest.mark.parametrize("arch", ARCHS)
def test_output_contract_matches_what_the_design_says(arch):
    torch.manual_seed(0)
    model = model_class(arch)().eval()
    a, b = pictures()
    out = model(a, b)
    assert out.logit.shape == (4,) and torch.isfinite(out.logit).all()
    if model.has_embeddings:
        assert out.similarity.shape == (4,) and out.similarity.abs().max() <= 1 + 1e-5
        assert out.embedding_a.shape == out.embedding_b.shape == (4, model.embedding_dim)
        assert model.embed(a).shape == (4, model.embedding_dim)
    else:
        assert out.similarity is None and out.embedding_a is None and out.embedding_b is None
    if model.has_maps:
        for m in (out.attention_a, out.attention_b):
            assert m.shape[:2] == (4, 1) and m.min() >= 0 and m.max() <= 1 + 1e-5
    else:
        assert out.attention_a is None and out.attention_b is None
    with pytest.raises(ValueError, match="same number of pictures"):
        model(a, b[:2])


@pytest.mark.parametrize("arch", ARCHS)
def test_symmetry_where_the_design_promises_it(arch):
    torch.manual_seed(0)
    model = model_class(arch)().eval()
    a, b = pictures(8)
    with torch.no_grad():
        ab, ba = model(a, b).logit, model(b, a).logit
    if model.symmetric:
        torch.testing.assert_close(ab, ba, atol=1e-4, rtol=1e-4)
    else:
        assert not torch.allclose(ab, ba, atol=1e-4)  # concat: the order of the channels matters


@pytest.mark.parametrize("arch", ARCHS)
def test_save_and_load_round_trip(arch, tmp_path):
    torch.manual_seed(0)
    model = model_class(arch)().eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["arch"] == arch
    loaded = load_model(tmp_path)
    assert type(loaded) is type(model)
    a, b = pictures()
    torch.testing.assert_close(loaded(a, b).logit, model(a, b).logit)
    predictor = Predictor.from_pretrained(str(tmp_path), device="cpu")
    drawing = (a[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    result = predictor.compare(drawing, drawing)
    assert 0 <= result.probability <= 1 and predictor.arch == arch
    assert (result.heatmap_a is not None) == model.has_maps
    if model.has_embeddings:
        assert predictor.embed([drawing]).shape == (1, model.embedding_dim)
    else:
        with pytest.raises(ValueError, match="no embeddings"):
            predictor.embed([drawing])


def test_a_config_for_an_unknown_design_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"arch": "transformer9000"}))
    with pytest.raises(ValueError, match="not one of agfusion"):
        check_config(tmp_path / "config.json")
    (tmp_path / "config.json").write_text(json.dumps({"arch": "concat", "embedding_dim": 8}))
    with pytest.raises(ValueError, match="not settings of ConcatModel"):
        check_config(tmp_path / "config.json")
    (tmp_path / "config.json").write_text(json.dumps({"arch": "agfusion", "embedding_dim": "large"}))
    with pytest.raises(ValueError, match="embedding_dim must be a int"):
        check_config(tmp_path / "config.json")
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        check_config(tmp_path / "config.json")
    with pytest.raises(ValueError, match="unknown architecture"):
        model_class("transformer9000")


@pytest.mark.parametrize("arch", ARCHS)
def test_a_tiny_run_learns_a_tiny_batch(arch):
    torch.manual_seed(0)
    model = model_class(arch)().train()
    batch = PairGenerator("seed", 32, seed=3)(0, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(80):
        loss = F.binary_cross_entropy_with_logits(model(batch.a, batch.b).logit, batch.label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses[::20]
