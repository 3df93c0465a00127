"""The fusion designs of shapesim.archs: one output contract, one way to save and load, each learns."""

import itertools
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from shapesim.archs import ARCHS, hungarian, model_class
from shapesim.data import PairGenerator
from shapesim.model import check_config, for_inference, load_model
from shapesim.predict import Predictor
from shapesim.train import TrainConfig, contrastive_loss, jigsaw, train

# what each design has besides the logit: (similarity and embeddings, maps, answer independent of order)
HAS = {
    "agfusion": (True, True, True),
    "crossattn": (False, True, True),
    "concat": (False, False, False),
    "regionmatch": (True, True, True),
}


def pictures(n=4, size=64, seed=0):
    batch = PairGenerator("shapes", size, seed=seed)(0, n)
    return batch.a, batch.b


@pytest.mark.parametrize("arch", ARCHS)
def test_output_contract(arch):
    torch.manual_seed(0)
    model = model_class(arch)().eval()
    a, b = pictures()
    out = model(a, b)
    embeds, maps, _ = HAS[arch]
    assert out.logit.shape == (4,) and torch.isfinite(out.logit).all()
    if embeds:
        assert out.similarity.shape == (4,) and out.similarity.abs().max() <= 1 + 1e-5
        assert out.embedding_a.shape == out.embedding_b.shape == (4, model.embedding_dim)
    else:
        assert out.similarity is None and out.embedding_a is None and out.embedding_b is None
    if maps:
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
    if HAS[arch][2]:
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
    assert (result.heatmap_a is not None) == HAS[arch][1]
    if HAS[arch][0]:
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
    with pytest.raises(ValueError, match="unknown architecture"):
        TrainConfig(arch="transformer9000")


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


def test_hungarian_is_a_permutation_and_the_best_one():
    rng = np.random.default_rng(0)
    sims = torch.as_tensor(rng.normal(size=(5, 5, 5)), dtype=torch.float32)
    match = hungarian(sims)
    for s, m in zip(sims, match, strict=True):
        assert sorted(m.tolist()) == list(range(5))
        best = max(itertools.permutations(range(5)), key=lambda p: sum(s[i, p[i]] for i in range(5)))
        assert m.tolist() == list(best)


@pytest.mark.parametrize("arch", [a for a in ARCHS if a != "agfusion"])
def test_the_trainer_trains_every_design(arch, tmp_path):
    config = TrainConfig(
        arch=arch, preset="seed", holdout=(), image_size=32, steps=2, batch_size=4, eval_every=2, eval_pairs=8,
        warmup=1, out=str(tmp_path), progress=False,
    )  # fmt: skip
    result = train(config)
    assert result.steps == 2 and 0 <= result.best_f1 <= 1
    assert type(load_model(tmp_path)).arch == arch


# ----------------------------------------------------------------------------- agfusion's training options


def test_contrastive_loss_prefers_embeddings_grouped_by_class():
    classes = torch.tensor([0, 0, 1, 1, 2, 2])
    grouped = F.one_hot(classes, 3).float() + 0.01 * torch.randn(6, 3)
    assert contrastive_loss(grouped, classes) < contrastive_loss(grouped[torch.tensor([0, 2, 4, 1, 3, 5])], classes)


def test_jigsaw_moves_whole_tiles_and_every_order_differs():
    x = torch.arange(64.0).view(1, 1, 8, 8)
    assert torch.equal(jigsaw(x, torch.tensor([0])), x)
    shuffled = [jigsaw(x, torch.tensor([k])) for k in range(24)]
    assert len({tuple(s.flatten().tolist()) for s in shuffled}) == 24
    tiles = lambda t: sorted(tuple(t[0, 0, i : i + 4, j : j + 4].flatten().tolist()) for i in (0, 4) for j in (0, 4))  # noqa: E731
    assert all(tiles(s) == tiles(x) for s in shuffled)


def small(tmp_path, **kw) -> TrainConfig:
    base = dict(preset="seed", holdout=(), image_size=32, steps=4, batch_size=8, eval_every=2, eval_pairs=16)
    return TrainConfig(**{**base, "warmup": 1, "out": str(tmp_path), "progress": False, **kw})


@pytest.mark.parametrize("task", ["contrastive", "jigsaw"])
def test_pretraining_changes_the_extractor_and_counts_its_pairs(task, tmp_path):
    config = small(tmp_path, pretrain=task, pretrain_steps=3, steps=2)
    result = train(config)
    torch.manual_seed(config.seed)
    fresh = config.build_model()
    assert not torch.equal(fresh.backbone[0].weight, result.model.backbone[0].weight)
    assert result.history[-1]["pairs"] == (3 + 2) * 8


def test_a_frozen_extractor_stays_as_it_was(tmp_path):
    config = small(tmp_path, freeze_backbone=True)
    result = train(config)
    torch.manual_seed(config.seed)
    fresh = config.build_model()
    trained = result.model.backbone.state_dict()
    for name, before in fresh.backbone.state_dict().items():
        if before.is_floating_point():
            torch.testing.assert_close(before, trained[name], msg=name)  # weights and BatchNorm statistics
    assert not torch.equal(fresh.gate.psi.weight, result.model.gate.psi.weight)  # the rest learned


def test_training_options_are_checked():
    with pytest.raises(ValueError, match="pretrain must be one of"):
        TrainConfig(pretrain="rotation", pretrain_steps=3)
    with pytest.raises(ValueError, match="pretrain_steps must be positive"):
        TrainConfig(pretrain="jigsaw")
    with pytest.raises(ValueError, match="image_size must be even"):
        TrainConfig(pretrain="jigsaw", pretrain_steps=3, image_size=63)
    with pytest.raises(ValueError, match="options of the agfusion design"):
        TrainConfig(arch="concat", freeze_backbone=True)


@pytest.mark.parametrize("arch", ARCHS)
def test_for_inference_answers_as_the_model_does(arch):
    """Folded BatchNorms and channels-last weights: the same answers, and the model itself untouched."""
    torch.manual_seed(0)
    model = model_class(arch)().eval()
    with torch.no_grad():  # running statistics of a trained model, so that folding has something to do
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fast = for_inference(model)
    a, b = pictures(6)
    with torch.no_grad():
        want, got = model(a, b), fast(a, b)
    for name in ("logit", "similarity", "embedding_a", "embedding_b", "attention_a", "attention_b"):
        w, g = getattr(want, name), getattr(got, name)
        assert (w is None) == (g is None), name
        if w is not None:
            assert torch.allclose(w, g, atol=1e-4, rtol=1e-4), name
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # every design had some to fold
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # the original is not changed
