"""What every design shares: the canonical input, strict loading, input checks, the inference copy."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from shapesim.models import ARCHS, AGFusionModel, canonicalise, for_inference, load_weights, model_class
from shapesim.raster import render
from shapesim.sampling import sample_images
from shapesim.spec import PairSpec


@pytest.fixture
def model():
    torch.manual_seed(0)
    return AGFusionModel(embedding_dim=32)


def test_canonical_form_ignores_colour_and_polarity():
    p = sample_images(PairSpec(styles=("fill",), min_contrast=0.4), 0, torch.arange(6).numpy())
    dark_on_light = render(p, 32)
    swapped = type(p)(**{**p.__dict__, "fg": p.bg, "bg": p.fg})
    light_on_dark = render(swapped, 32)
    c1, c2 = canonicalise(dark_on_light), canonicalise(light_on_dark)
    assert torch.allclose(c1, c2, atol=1e-4)
    assert c1.amax(dim=(1, 2, 3)).allclose(torch.ones(6))
    assert canonicalise(torch.ones(2, 3, 32, 32)).abs().max() == 0  # a blank picture is all background


colour = st.tuples(*[st.integers(0, 255)] * 3)


@settings(max_examples=60, deadline=None)
@given(fg1=colour, bg1=colour, fg2=colour, bg2=colour, seed=st.integers(0, 1000))
def test_any_visible_colours_give_the_same_canonical_picture(fg1, bg1, fg2, bg2, seed):
    """For any two pairs of colours a person can tell apart (RGB distance >= 0.08, as red from purple of
    the same brightness), the same shape has (nearly) the same canonical input: colour and brightness
    are gone, only the shape is left."""
    visible = lambda f, b: np.linalg.norm((np.array(f) - np.array(b)) / 255) >= 0.08  # noqa: E731
    assume(visible(fg1, bg1) and visible(fg2, bg2))
    p = sample_images(PairSpec(), seed, np.arange(1))
    pictures = []
    for fg, bg in ((fg1, bg1), (fg2, bg2)):
        q = type(p)(**{**p.__dict__, "fg": torch.tensor([fg]) / 255.0, "bg": torch.tensor([bg]) / 255.0})
        pictures.append((render(q, 48) * 255).round() / 255)  # as a file would hold it: 8 bits a channel
    c1, c2 = canonicalise(pictures[0]), canonicalise(pictures[1])
    assert (c1 - c2).abs().mean() < 0.01 and (c1 - c2).abs().max() < 0.15


@pytest.mark.parametrize(
    "a, b, message",
    [
        (torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32), r"must be shaped \(B, 3, H, W\)"),
        (torch.rand(3, 32, 32), torch.rand(3, 32, 32), r"must be shaped \(B, 3, H, W\)"),
        (torch.rand(2, 3, 32, 32), torch.rand(3, 3, 32, 32), "same number of pictures"),
        (torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8), "too small"),
    ],
)
@pytest.mark.parametrize("arch", ARCHS)
def test_wrong_input_shapes_are_a_clear_error(arch, a, b, message):
    with pytest.raises(ValueError, match=message):
        model_class(arch)()(a, b)


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
    with pytest.raises(ValueError, match="does not fit"):
        load_weights(AGFusionModel(embedding_dim=32), tmp_path / "model.safetensors")


def test_a_pickle_is_never_read(model, tmp_path):
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").rename(tmp_path / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="no weights file"):
        AGFusionModel.from_pretrained(str(tmp_path))


def test_settings_are_the_init_arguments_and_config_json_records_them(model, tmp_path):
    assert AGFusionModel.settings() == {"embedding_dim": 128, "gate_channels": 64, "logit_scale": 10.0, "depth": 1,
                                        "upright": False}  # fmt: skip
    assert model.config() == {"arch": "agfusion", "embedding_dim": 32, "gate_channels": 64, "logit_scale": 10.0,
                              "depth": 1, "upright": False}  # fmt: skip


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
    a, b = torch.rand(6, 3, 64, 64), torch.rand(6, 3, 64, 64)
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
