"""The attention gate of every ordered pair of a batch, without the (N, N, K, h, w) tensor.

Training on all pairs of N pictures puts each picture's features through the gate once per other
picture: ``z[i, j, p] = ψ · ReLU(W_x·x_i[p] + W_g·pool(x_j)) + b`` for every pixel ``p``. Written
as a broadcast it holds N²·K·h·w floats (64 pictures, 64 gate channels, 16×16: 67 M) and its
ReLU, 1×1 convolution and their gradients were most of a step (``notes/people-drawings.md``). Both
inputs are per picture — ``wx = W_x·x`` (N, h·w, K) and ``guide = W_g·pool(x)`` (M, K) — so
:func:`pair_gate_logits` takes those and computes the sum over K on the fly:

- on the CPU in compiled loops (numba, every core, nothing stored but the (N, M, h·w) answer);
  the backward pass recomputes each ReLU instead of reading it back;
- elsewhere in eager PyTorch, ``chunk`` rows of pictures at a time, each chunk recomputed in the
  backward pass (an accelerator's memory holds a chunk, not the whole).

Both give the broadcast's numbers to float rounding (``tests/test_models_pairgate.py``).
"""

from __future__ import annotations

import numba
import torch
from numba import prange
from torch import Tensor
from torch.utils.checkpoint import checkpoint

__all__ = ["pair_gate_logits"]

_jit = numba.njit(cache=True, fastmath=True, parallel=True, error_model="numpy")


@_jit
def _forward(wx, guide, psi, out):  # pragma: no cover - compiled
    n, p, k = wx.shape
    m = guide.shape[0]
    for i in prange(n):
        for q in range(p):
            for j in range(m):
                s = 0.0
                for c in range(k):
                    v = wx[i, q, c] + guide[j, c]
                    s += psi[c] * max(v, 0.0)
                out[i, j, q] = s


@_jit
def _backward(wx, guide, psi, grad, g_wx, g_guide, g_psi):  # pragma: no cover - compiled
    """g_guide is (N, M, K) and g_psi (N, K): each picture i sums into its own rows, no two threads
    into one place; the caller adds them up."""
    n, p, k = wx.shape
    m = guide.shape[0]
    for i in prange(n):
        for q in range(p):
            for j in range(m):
                g = grad[i, j, q]
                if g == 0.0:
                    continue
                for c in range(k):
                    v = wx[i, q, c] + guide[j, c]
                    on = 1.0 if v > 0.0 else 0.0
                    t = g * psi[c] * on
                    g_wx[i, q, c] += t
                    g_guide[i, j, c] += t
                    g_psi[i, c] += g * v * on


class _PairGateCPU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, wx: Tensor, guide: Tensor, psi: Tensor) -> Tensor:
        wx_, guide_, psi_ = (t.detach().float().contiguous() for t in (wx, guide, psi))
        out = torch.empty(wx.shape[0], guide.shape[0], wx.shape[1], dtype=torch.float32)
        _forward(wx_.numpy(), guide_.numpy(), psi_.numpy(), out.numpy())
        ctx.save_for_backward(wx_, guide_, psi_)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        wx, guide, psi = ctx.saved_tensors
        n, p, k = wx.shape
        g_wx = torch.zeros_like(wx)
        g_guide = torch.zeros(n, guide.shape[0], k)
        g_psi = torch.zeros(n, k)
        _backward(
            wx.numpy(), guide.numpy(), psi.numpy(), grad.float().contiguous().numpy(),
            g_wx.numpy(), g_guide.numpy(), g_psi.numpy(),
        )  # fmt: skip
        return g_wx, g_guide.sum(0), g_psi.sum(0)


def _dense(wx: Tensor, guide: Tensor, psi: Tensor) -> Tensor:
    """The broadcast itself, for a block of rows: (n, P, K), (M, K), (K,) → (n, M, P)."""
    return torch.einsum("ijpk,k->ijp", torch.relu(wx[:, None] + guide[None, :, None]), psi)


def pair_gate_logits(wx: Tensor, guide: Tensor, psi: Tensor, *, chunk: int = 8) -> Tensor:
    """``(N, M, P)``: for picture i's pixel p guided by picture j, ``ψ · ReLU(wx[i, p] + guide[j])``.

    Args:
        wx: ``(N, P, K)`` each picture's projected features, pixels flattened, channels last.
        guide: ``(M, K)`` each guiding picture's projected summary.
        psi: ``(K,)`` the weights of the gate's 1×1 output convolution (its bias is the caller's).
        chunk: rows of pictures per block away from the CPU.
    """
    if wx.device.type == "cpu":
        return _PairGateCPU.apply(wx, guide, psi).to(wx.dtype)
    blocks = [
        checkpoint(_dense, wx[i : i + chunk], guide, psi, use_reentrant=False) if torch.is_grad_enabled()
        else _dense(wx[i : i + chunk], guide, psi)
        for i in range(0, wx.shape[0], chunk)
    ]  # fmt: skip
    return torch.cat(blocks)


def dense_pair_gate_logits(wx: Tensor, guide: Tensor, psi: Tensor) -> Tensor:
    """The same as :func:`pair_gate_logits`, as one broadcast (for tests and small batches)."""
    return _dense(wx, guide, psi)
