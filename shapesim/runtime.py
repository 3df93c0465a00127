"""The machine underneath: which device, which precision, how memory is kept, how files are written.

The bottom layer of shapesim: it imports nothing from the package, and everything
above may use it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Callable
from pathlib import Path

import torch

__all__ = ["select_device", "autocast_dtype", "keep_freed_memory", "atomic_write"]


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device``; None means plain fp32.

    ``auto`` uses bf16 on GPUs that have it (fp16 otherwise) and on CPUs with
    native bf16 kernels (oneDNN with AVX-512 BF16 or AMX). On other CPUs bf16
    convolutions fall back to slow reference code (measured here: 8× slower
    than fp32 on an AVX2 machine), so auto stays in fp32 there.
    """
    if precision == "fp32":
        return None
    if precision in ("bf16", "fp16"):
        return torch.bfloat16 if precision == "bf16" else torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return None


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's malloc.h


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse instead of handing it back to the system.

    Every training step allocates and frees the same large activations. glibc
    serves a block over 32 MB (at batch 64 a 256×16×16 feature map is 33.5 MB)
    with fresh pages from the kernel and returns them when freed, so every
    step page-faults its way through them again: a fifth of the step time
    here. With mmap off (M_MMAP_MAX = 0) and trimming off, blocks come from
    the heap and are reused. Process-wide and lasting; False where there is
    no glibc (macOS, Windows, musl), which changes nothing there.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` and rename the result onto ``path`` (same folder, so the rename is atomic):
    a process killed at any moment leaves the previous version of ``path`` whole."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
