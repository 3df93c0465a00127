"""Channel concatenation: one CNN over both pictures, nothing but a logit."""

import torch

from shapesim.models import ConcatModel


def test_one_cnn_reads_both_pictures_as_two_channels():
    torch.manual_seed(0)
    model = ConcatModel(hidden=8).eval()
    assert model.backbone[0].in_channels == 2
    a, b = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    out = model(a, b)
    assert out.logit.shape == (2,)
    assert all(v is None for v in (out.similarity, out.embedding_a, out.attention_a))
    assert not model.has_embeddings and not model.has_maps and not model.symmetric
