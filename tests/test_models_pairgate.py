"""The gate of every pair of a batch (shapesim/models/pairgate.py): the broadcast's numbers and gradients,
on the CPU's compiled loops and on the chunked PyTorch path other devices take."""

import pytest
import torch

from shapesim.models import pairgate
from shapesim.models.pairgate import dense_pair_gate_logits, pair_gate_logits


def _inputs(n=5, m=4, p=6, k=3):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True) for s in ((n, p, k), (m, k), (k,))]


def _chunked(wx, guide, psi):
    """The accelerator's path, taken on the CPU: blocks of rows, each recomputed in the backward pass."""
    blocks = [
        torch.utils.checkpoint.checkpoint(pairgate._dense, wx[i : i + 2], guide, psi, use_reentrant=False)
        for i in range(0, len(wx), 2)
    ]
    return torch.cat(blocks)


@pytest.mark.parametrize("path", ["compiled", "chunked"])
def test_every_pair_gate_gives_the_broadcasts_numbers_and_gradients(path):
    wx, guide, psi = _inputs()
    dense = dense_pair_gate_logits(wx, guide, psi)
    grad = torch.randn_like(dense)
    want = torch.autograd.grad((dense * grad).sum(), (wx, guide, psi))
    mine = [t.detach().float().requires_grad_() for t in (wx, guide, psi)]
    got = pair_gate_logits(*mine) if path == "compiled" else _chunked(*mine)
    assert got.shape == (5, 4, 6) and got.dtype == torch.float32
    assert torch.allclose(got.double(), dense, atol=1e-5)
    for g, w in zip(torch.autograd.grad((got * grad.float()).sum(), mine), want, strict=True):
        assert torch.allclose(g.double(), w, atol=1e-4), (g - w).abs().max()


def test_a_row_is_the_single_gate_of_its_pair():
    """Row i, column j: picture i's map guided by picture j, as the gate computes it for one pair."""
    wx, guide, psi = (t.detach().float() for t in _inputs())
    out = pair_gate_logits(wx, guide, psi)
    i, j = 3, 1
    assert torch.allclose(out[i, j], torch.relu(wx[i] + guide[j]) @ psi, atol=1e-6)
