import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from shapesim.data import PairGenerator
from shapesim.model import AGFusionModel, canonicalise


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


def test_canonical_form_ignores_colour_and_polarity():
    from shapesim.data import PairSpec, render, sample_images

    p = sample_images(PairSpec(styles=("fill",), min_contrast=0.4), 0, torch.arange(6).numpy())
    dark_on_light = render(p, 32)
    swapped = type(p)(**{**p.__dict__, "fg": p.bg, "bg": p.fg})
    light_on_dark = render(swapped, 32)
    c1, c2 = canonicalise(dark_on_light), canonicalise(light_on_dark)
    assert torch.allclose(c1, c2, atol=1e-4)
    assert c1.amax(dim=(1, 2, 3)).allclose(torch.ones(6))
    assert canonicalise(torch.ones(2, 3, 32, 32)).abs().max() == 0  # a blank picture is all background


@pytest.mark.parametrize(
    "a, b, message",
    [
        (torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32), r"must be shaped \(B, 3, H, W\)"),
        (torch.rand(3, 32, 32), torch.rand(3, 32, 32), r"must be shaped \(B, 3, H, W\)"),
        (torch.rand(2, 3, 32, 32), torch.rand(3, 3, 32, 32), "same number of pictures"),
        (torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8), "too small"),
    ],
)
def test_wrong_input_shapes_are_a_clear_error(model, a, b, message):
    with pytest.raises(ValueError, match=message):
        model(a, b)


def test_a_corrupt_checkpoint_names_the_file(model, tmp_path):
    model.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated
    with pytest.raises(ValueError, match="model.safetensors is not a readable safetensors file"):
        AGFusionModel.from_pretrained(str(tmp_path))


def test_a_mismatched_checkpoint_is_refused_whole(model, tmp_path):
    model.save_pretrained(tmp_path)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("gate.")}
    state["extra.weight"] = torch.zeros(3)
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match=r"does not fit AGFusionModel: \d+ missing .*gate.*1 unexpected"):
        AGFusionModel.from_pretrained(str(tmp_path))


def test_a_pickle_is_never_read(model, tmp_path):
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").rename(tmp_path / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="no weights file"):
        AGFusionModel.from_pretrained(str(tmp_path))
