"""Training speed side by side: a plain PyTorch loop, shapesim's trainer, and this machine's limit.

    python -m benchmarks.train_speed [--json] [--steps 30]

All in one run, one after the other, on the same machine:

- **peer**: the plain way: the same AGFusionModel in fp32 and NCHW, batch 64,
  the seed's pictures (a filled circle or square, random colours and place)
  drawn with PIL one by one and stacked, Adam, binary cross-entropy; run
  first, before shapesim's trainer changes how this process reuses freed
  memory (``shapesim.runtime.keep_freed_memory``), so it runs as a plain script would;
- **shapesim**: the project's trainer with its defaults (preset `open`), the
  same number of steps, validation excluded;
- **limit**: the rate of a large fp32 and bf16 ``torch.matmul`` here, and the
  model's training FLOPs per pair (``torch.utils.flop_counter``): the pairs/s
  a trainer would reach if every FLOP ran at the faster matmul rate;
- **time to quality**: ``python -m shapesim train --preset seed --holdout
  --target-f1 0.99`` from scratch with every other setting at its default, run
  as a child process: seconds and pairs of training until validation F1 ≥ 0.99
  (validation every 5 steps on 256 pairs, its time not counted), and the peak
  resident memory of that process.

With ``--sizes`` (``python -m benchmarks.train_speed --device cuda --sizes 256 1024 4096``) it times
instead, per batch size, the generator alone, the model's training step alone on one batch made
beforehand (the trainer's limit) and the trainer itself, into the README's table at scale.

With ``--every-pair`` (``python -m benchmarks.train_speed --every-pair --sizes 32 64``) it times the
two steps on the same number of pictures, alternating, each on one batch made beforehand: today's pair
step (``--sizes`` pairs, each pair through the whole network) and the every-pair step (``--sizes``
identities drawn twice, the stem once a picture and every two pictures through the gate), in labelled
pairs and pictures per second, for the design the every-pair runs train (``--depth``, upright).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import markdown_table, matmul_gflops, parser, publish, setup
from shapesim.models import AGFusionModel
from shapesim.training import TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent

SIZE, PEER_BATCH = 64, 64


def training_flops_per_pair(pairs: int = 8) -> float:
    """Forward and backward FLOPs of one training pair (convolutions and matmuls, as the counter sees them)."""
    model = AGFusionModel()
    a, b = torch.rand(pairs, 3, SIZE, SIZE), torch.rand(pairs, 3, SIZE, SIZE)
    with FlopCounterMode(display=False) as counter:
        out = model(a, b)
        F.binary_cross_entropy_with_logits(out.logit, torch.ones(pairs)).backward()
    return counter.get_total_flops() / pairs


def peer_picture(rng: np.random.Generator) -> tuple[Image.Image, int]:
    """The seed's data, the plain way: one PIL picture of a filled circle (0) or square (1)."""
    cls = int(rng.integers(2))
    fg, bg = (tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(2))
    img = Image.new("RGB", (SIZE, SIZE), bg)
    r = rng.uniform(8, 20)
    cx, cy = rng.uniform(r, SIZE - r, 2)
    draw = ImageDraw.Draw(img)
    (draw.ellipse if cls == 0 else draw.rectangle)([cx - r, cy - r, cx + r, cy + r], fill=fg)
    return img, cls


def peer_batch(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    pictures = [peer_picture(rng) for _ in range(2 * PEER_BATCH)]
    x = torch.stack([torch.from_numpy(np.asarray(img, dtype=np.float32) / 255).permute(2, 0, 1) for img, _ in pictures])
    cls = torch.tensor([c for _, c in pictures])
    return x[:PEER_BATCH], x[PEER_BATCH:], (cls[:PEER_BATCH] == cls[PEER_BATCH:]).float()


def peer_pairs_per_s(steps: int) -> float:
    """The plain reference loop: fp32, NCHW, batch 64, PIL pictures, Adam."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = AGFusionModel().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        a, b, label = peer_batch(rng)
        loss = F.binary_cross_entropy_with_logits(model(a, b).logit, label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(2):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * PEER_BATCH / (time.perf_counter() - start)


def shapesim_pairs_per_s(steps: int, tmp: str) -> float:
    """The trainer with its defaults, after a short warm-up run; validation is excluded from its timing."""
    train(TrainConfig(steps=2, eval_every=10_000, eval_pairs=8, out=f"{tmp}/warm", progress=False))
    run = TrainConfig(steps=steps, eval_every=10_000, eval_pairs=8, out=f"{tmp}/speed", progress=False)
    return train(run).pairs_per_s


def time_to_quality(tmp: str, limit_s: float) -> dict:
    """A real ``python -m shapesim train`` on `seed` until validation F1 ≥ 0.99, in a child process."""
    out = Path(tmp) / "seed"
    command = [sys.executable, "-m", "shapesim", "train", "--preset", "seed", "--holdout", "--target-f1", "0.99"]
    command += ["--eval-every", "5", "--eval-pairs", "256", "--out", str(out), "--no-progress"]
    try:
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=limit_s)
    except subprocess.TimeoutExpired:
        pass  # not reached in time: the metrics so far say so
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kilobytes on Linux
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    reached = next((r for r in history if r["val_f1"] >= 0.99), None)
    return {
        "seconds_to_f1_099": reached["seconds"] if reached else None,
        "pairs_to_f1_099": reached["pairs"] if reached else None,
        "peak_rss_mib": round(peak_mib),
    }


def _timed(device: torch.device, work: Callable[[], object], repeats: int) -> float:
    """Seconds per call of ``work``, after one call to warm up, waiting for the device at the ends only."""
    work()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    started = time.perf_counter()
    for _ in range(repeats):
        work()
    sync()
    return (time.perf_counter() - started) / repeats


def at_scale(device: str, sizes: list[int], steps: int, compile_model: bool, tmp: str) -> list[dict]:
    """Per batch size (pairs per step), side by side: the generator alone (pictures/s of preset `open`),
    the model's training step alone on one batch made beforehand (its limit), and the trainer."""
    from shapesim.data import PairGenerator
    from shapesim.training.checkpoint import RunFolder
    from shapesim.training.distributed import setup_distributed
    from shapesim.training.loop import _set_up

    rows = []
    for size in sizes:
        config = TrainConfig(device=device, batch_size=size, steps=steps, eval_every=10**9, eval_pairs=8,
                             out=f"{tmp}/scale-{size}", progress=False, compile=compile_model)  # fmt: skip
        where, dev = setup_distributed(config.device)
        generator = PairGenerator(config.spec(), config.image_size, seed=0, device=dev)
        generate = _timed(dev, lambda generator=generator, size=size: generator(0, size), max(2, steps // 4))
        RunFolder(config.out).prepare()
        trainer, _, _ = _set_up(config, where, dev, RunFolder(config.out))
        batch = trainer.batch(0)
        step = _timed(dev, lambda trainer=trainer, batch=batch: trainer.step(1, batch), steps)
        rows.append({
            "pairs_per_step": size,
            "generator_pictures_per_s": round(2 * size / generate, 1),
            "model_step_pairs_per_s": round(size / step, 1),
            "trainer_pairs_per_s": round(train(config).pairs_per_s, 1),
        })  # fmt: skip
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def every_pair_speed(sizes: list[int], steps: int, depth: int, tmp: str) -> list[dict]:
    """Per size, the pair step (``size`` pairs) and the every-pair step (``size`` identities × 2): the same
    pictures a step, timed in alternating rounds on batches made beforehand."""
    from shapesim.training.checkpoint import RunFolder
    from shapesim.training.distributed import setup_distributed
    from shapesim.training.loop import _set_up

    rows = []
    for size in sizes:
        steppers = {}
        for name, extra in (("pair", {}), ("every_pair", {"every_pair": True, "upright": True})):
            config = TrainConfig(batch_size=size, depth=depth, steps=10**6, eval_every=10**9, eval_pairs=8,
                                 out=f"{tmp}/{name}-{size}", progress=False, **extra)  # fmt: skip
            where, dev = setup_distributed(config.device)
            RunFolder(config.out).prepare()
            trainer, _, _ = _set_up(config, where, dev, RunFolder(config.out))
            batch = trainer.batch(0)
            work = lambda trainer=trainer, batch=batch: trainer.step(1000, batch)  # noqa: E731
            steppers[name] = (dev, work, config.pairs_per_step)
        seconds = {name: [] for name in steppers}
        for _ in range(3):  # alternating rounds: the machine's moods fall on both
            for name, (dev, work, _) in steppers.items():
                seconds[name].append(_timed(dev, work, max(1, steps // 3)))
        row = {"pictures_per_step": 2 * size}
        for name, (_, _, pairs) in steppers.items():
            per_step = float(np.median(seconds[name]))
            row[f"{name}_pairs_per_s"] = round(pairs / per_step, 1)
            row[f"{name}_pictures_per_s"] = round(2 * size / per_step, 1)
        row["ratio"] = round(row["every_pair_pairs_per_s"] / row["pair_pairs_per_s"], 1)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def every_pair_table(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = every_pair_speed(args.sizes or [32, 64], args.steps, args.depth, tmp)
    table = markdown_table(
        ["pictures a step (64 px, depth " + str(args.depth) + ")", "pair step: labelled pairs/s", "pictures/s",
         "every-pair step: labelled pairs/s", "pictures/s", "labelled pairs/s, every-pair / pair"],
        [[f"{r['pictures_per_step']}", f"{r['pair_pairs_per_s']:,.0f}", f"{r['pair_pictures_per_s']:,.0f}",
          f"{r['every_pair_pairs_per_s']:,.0f}", f"{r['every_pair_pictures_per_s']:,.0f}", f"{r['ratio']:.1f}×"]
         for r in rows],
    )  # fmt: skip
    publish("every-pair", {"depth": args.depth, "rows": rows}, table, args)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--steps", type=int, default=30, help="timed steps of the peer and of shapesim")
    p.add_argument("--give-up", type=float, default=600, help="seconds before the run to F1 0.99 is stopped")
    p.add_argument("--device", default=None, help="with --sizes: the device (cuda, cpu; default: auto)")
    p.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=None,
        help="pairs per step to time the generator, the model step and the trainer at (e.g. 256 1024 4096)",
    )
    p.add_argument("--compile", action="store_true", help="with --sizes: torch.compile the model")
    p.add_argument("--every-pair", action="store_true", help="the pair step against the every-pair step")
    p.add_argument("--depth", type=int, default=2, help="with --every-pair: the extractor's depth (runs N, P: 2)")
    args = p.parse_args()
    setup(args)
    if args.every_pair:
        return every_pair_table(args)
    if args.sizes:
        return scale_table(args)
    fp32, bf16 = matmul_gflops(torch.float32, 2048), matmul_gflops(torch.bfloat16, 512)
    flops = training_flops_per_pair()
    limit = max(fp32, bf16) * 1e9 / flops
    peer = peer_pairs_per_s(args.steps)
    with tempfile.TemporaryDirectory() as tmp:
        ours = shapesim_pairs_per_s(args.steps, tmp)
        quality = time_to_quality(tmp, args.give_up)
    figures = {
        "peer_pairs_per_s": round(peer, 1),
        "pairs_per_s": round(ours, 1),
        "speedup": round(ours / peer, 2),
        "limit_pct": round(100 * ours / limit, 1),
        **quality,
        "limit_pairs_per_s": round(limit, 1),
        "matmul_gflops_fp32": round(fp32, 1),
        "matmul_gflops_bf16": round(bf16, 1),
        "train_mflops_per_pair": round(flops / 1e6, 1),
        "batch_size": TrainConfig().batch_size,
    }
    reached = figures["seconds_to_f1_099"] is not None
    to_f1 = f"{figures['seconds_to_f1_099']:.0f} s, {figures['pairs_to_f1_099']:,} pairs" if reached else "not reached"
    rows = [
        [
            "peer: plain loop (fp32, NCHW, batch 64, PIL pictures, Adam)",
            f"{peer:.0f} pairs/s",
            "1.00×",
            f"{100 * peer / limit:.0f}%",
        ],
        [
            f"shapesim trainer, defaults (preset `{TrainConfig().preset}`, batch {figures['batch_size']})",
            f"{ours:.0f} pairs/s",
            f"{ours / peer:.2f}×",
            f"{figures['limit_pct']:.0f}%",
        ],
        [
            f"limit: {flops / 1e6:.0f} MFLOP per training pair at the matmul rate "
            f"(fp32 {fp32:.0f}, bf16 {bf16:.1f} GFLOP/s)",
            f"{limit:.0f} pairs/s",
            f"{limit / peer:.2f}×",
            "100%",
        ],
    ]
    table = markdown_table(["training, 64 px", "throughput", "vs peer", "of the limit"], rows)
    table += "\n\n" + markdown_table(
        ["from scratch with the defaults", "measured"],
        [
            [
                "validation F1 ≥ 0.99 on `seed`",
                to_f1,
            ],
            ["peak resident memory of that run", f"{figures['peak_rss_mib']:,} MiB"],
        ],
    )
    publish("train", figures, table, args)


def scale_table(args) -> None:
    from shapesim.runtime import select_device

    device = select_device(args.device or "auto")
    with tempfile.TemporaryDirectory() as tmp:
        rows = at_scale(str(device), args.sizes, args.steps, args.compile, tmp)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({device})"
    table = markdown_table(
        [f"pairs per step on {name}", "generator alone, pictures/s", "model step alone, pairs/s (the limit)",
         "trainer, pairs/s", "trainer / limit"],
        [[f"{r['pairs_per_step']:,}", f"{r['generator_pictures_per_s']:,.0f}", f"{r['model_step_pairs_per_s']:,.0f}",
          f"{r['trainer_pairs_per_s']:,.0f}", f"{r['trainer_pairs_per_s'] / r['model_step_pairs_per_s']:.0%}"]
         for r in rows],
    )  # fmt: skip
    publish("train-scale", {"device": name, "rows": rows}, table, args)


if __name__ == "__main__":
    main()
