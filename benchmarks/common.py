"""What every benchmark shares: its command line, the README table it owns, the machine it ran on.

Benchmarks run from the repository's root as modules (``python -m benchmarks.NAME``), on the
installed package (``pip install -e .``, which requirements-dev.txt does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import sys
import time
from pathlib import Path

import torch

README = Path(__file__).resolve().parent.parent / "README.md"
DOCS = README.parent / "docs"  # the pages beside the README: a benchmark's table lives on one of them


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object (changes no file)")
    p.add_argument("--no-readme", action="store_true", help="do not rewrite the table in the README or docs/")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    return p


def setup(args: argparse.Namespace) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)


def matmul_gflops(dtype: torch.dtype, n: int, min_seconds: float = 1.0) -> float:
    """GFLOP/s of ``n×n @ n×n`` in ``dtype``, repeated for at least ``min_seconds``: what this machine
    does at best, for a limit measured in the same run as the figures it bounds."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.matmul(a, b)
    runs, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        torch.matmul(a, b)
        runs += 1
    return 2 * n**3 * runs / elapsed / 1e9


def cpu_name() -> str:
    """The CPU's model and what decides its precision: native bf16 kernels (AVX-512 BF16 or AMX) or not."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    name = model.group(1).strip() if model else platform.processor() or platform.machine()
    bf16 = "native bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "no native bf16"
    return f"{name}, {bf16}"


def machine() -> str:
    return f"{os.cpu_count()} CPU cores ({cpu_name()}), torch {torch.__version__}, {torch.get_num_threads()} threads"


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(name: str, figures: dict, table: str, args: argparse.Namespace, more: dict[str, str] | None = None) -> None:
    """Print the figures as JSON (``--json``: no file changes), or print the table and put it between its markers
    (``<!-- name:start -->`` … ``<!-- name:end -->``) on every page that has them: the README or a page of docs/
    (unless ``--no-readme``). ``more`` are further tables by marker name (a short one for the README, say)."""
    command = "python -m " + shlex.join([f"benchmarks.{Path(sys.argv[0]).stem}", *sys.argv[1:]])
    blocks = {
        key: f"{text}\n\n<sub>`{command}` on {machine()}.</sub>" for key, text in {name: table, **(more or {})}.items()
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(blocks[name])
    if args.no_readme:
        return
    pages = [README, *sorted(DOCS.glob("*.md"))] if DOCS.is_dir() else [README]
    for key, block in blocks.items():
        start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
        written, replacement = 0, f"{start}\n{block}\n{end}"
        for page in pages:
            text = page.read_text()
            if pattern.search(text):
                page.write_text(pattern.sub(lambda _, r=replacement: r, text))
                written += 1
        if not written:
            raise SystemExit(f"neither README.md nor docs/ has a {start} ... {end} block for this benchmark")
