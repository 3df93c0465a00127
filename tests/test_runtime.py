import platform
import subprocess
import sys

import pytest
import torch

from shapesim.runtime import atomic_write, autocast_dtype, select_device


def test_device_and_precision_choices():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type in ("cpu", "cuda", "mps")
    assert autocast_dtype("fp32", torch.device("cpu")) is None
    assert autocast_dtype("bf16", torch.device("cpu")) is torch.bfloat16
    assert autocast_dtype("fp16", torch.device("cpu")) is torch.float16
    # auto: bf16 on a CPU only where oneDNN has native bf16 kernels (else 8x slower than fp32)
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert autocast_dtype("auto", torch.device("cpu")) is (torch.bfloat16 if native else None)


def test_freed_memory_is_kept_where_glibc_runs():
    # A child process, so that this test process keeps its own malloc settings.
    code = "from shapesim.runtime import keep_freed_memory; print(keep_freed_memory())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    glibc = platform.libc_ver()[0] == "glibc"
    assert out == str(glibc)


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "f.txt"
    atomic_write(path, lambda p: p.write_text("first"))
    assert path.read_text() == "first"

    def fails_half_way(p):
        p.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(path, fails_half_way)
    assert path.read_text() == "first"  # the previous version, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]  # no temporary file left
