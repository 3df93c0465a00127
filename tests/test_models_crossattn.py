"""Cross-attention: its maps are how much attention each patch received, scaled to [0, 1]."""

import torch

from shapesim.models import CrossAttnModel


def test_maps_are_attention_received_on_the_patch_grid():
    torch.manual_seed(0)
    model = CrossAttnModel(dim=32, heads=2).eval()
    a, b = torch.rand(3, 3, 64, 64), torch.rand(3, 3, 64, 64)
    out = model(a, b)
    assert out.attention_a.shape == out.attention_b.shape == (3, 1, 16, 16)  # 64 / 4
    assert torch.allclose(out.attention_a.amax(dim=(1, 2, 3)), torch.ones(3))  # each map's strongest patch is 1
    assert out.similarity is None and out.embedding_a is None
