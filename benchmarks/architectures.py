"""The seed's fusion designs and its proposed training improvements, trained on the same budget and compared
on shapes they never saw.

    python -m benchmarks.architectures [--json] [--pairs 64000] [--repeat 2] [--only NAME ...]

Every variant trains from scratch on the same data (preset `open`, the composite, glyph and letter
families held out, the same seed) for the same number of pairs; variants with pre-training spend a
quarter of those pairs on it. Each variant's checkpoint is kept in ``checkpoints/variants/NAME`` with
its eval.json and model card (the app's Model tab can switch to it). Per variant: parameters; training
FLOPs per pair (``torch.utils.flop_counter``); training pairs per second; pairs and seconds until the
validation F1 reached 0.95 (on the trained families); test F1 on the nine named shapes, on new shapes
of the trained families, on the held-out families and on mouse-drawn doodles of the held-out families
(--eval-pairs each, doodles at most 400); ``Predictor.compare`` latency for one pair of 280×280
drawings, p50. The held-out F1 is also measured every --curve-pairs during training (on 400 fixed
pairs) and plotted against the pairs seen (``assets/architectures.png``). The --repeat best variants on
held-out families are trained again with another seed, and both rows shown. ``--rescore`` trains
nothing: it scores the kept checkpoints again (after a change of the test sets) and rewrites the table.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import markdown_table, parser, publish, setup
from shapesim.card import write_model_card
from shapesim.evaluate import evaluate_folder
from shapesim.predict import Predictor
from shapesim.runtime import keep_freed_memory
from shapesim.testsets import make_test_sets, score
from shapesim.training import TrainConfig, train
from shapesim.weights import WeightsFolder

ROOT = Path(__file__).resolve().parent.parent

VARIANTS_DIR = ROOT / "checkpoints" / "variants"
FIGURE = ROOT / "assets" / "architectures.png"
PRETRAIN_SHARE = 4  # pre-training variants spend 1/4 of the budget on it
VARIANTS: dict[str, dict] = {
    "agfusion": {},
    "agfusion, layer2": {"depth": 2},
    "crossattn": {"arch": "crossattn"},
    "concat": {"arch": "concat"},
    "regionmatch": {"arch": "regionmatch"},
    "agfusion + contrastive pre-training": {"pretrain": "contrastive"},
    "agfusion + jigsaw pre-training": {"pretrain": "jigsaw"},
    "agfusion, frozen contrastive extractor": {"pretrain": "contrastive", "freeze_backbone": True},
}
SETS = ("named", "trained", "heldout", "doodles-heldout")


def folder_name(name: str, seed: int = 0) -> str:
    base = name.replace(" + ", "-").replace(", ", "-").replace(" ", "-")
    return base if seed == 0 else f"{base}-seed{seed}"


def config_for(variant: dict, steps: int, **kw) -> TrainConfig:
    pre = max(1, steps // PRETRAIN_SHARE) if variant.get("pretrain") else 0
    return TrainConfig(**{**variant, "pretrain_steps": pre, "steps": steps - pre, "progress": False, **kw})


def flops_per_pair(config: TrainConfig, pairs: int = 4) -> float:
    model = config.build_model()
    size = config.image_size
    a, b = torch.rand(pairs, 3, size, size), torch.rand(pairs, 3, size, size)
    with FlopCounterMode(display=False) as counter:
        F.binary_cross_entropy_with_logits(model(a, b).logit, torch.ones(pairs)).backward()
    return counter.get_total_flops() / pairs


def latency_ms(folder: Path, calls: int = 20) -> float:
    from shapesim.doodles import doodle

    predictor = Predictor.from_pretrained(str(folder), device="cpu")
    rng = np.random.default_rng(0)
    a, b = doodle("circle", rng), doodle("square", rng)
    predictor.compare(a, b)
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        predictor.compare(a, b)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def run_variant(name: str, variant: dict, args, seed: int = 0) -> dict:
    out = args.folder / folder_name(name, seed)
    shutil.rmtree(out, ignore_errors=True)
    steps = args.pairs // args.batch_size
    config = config_for(
        variant, steps, batch_size=args.batch_size, eval_every=max(1, steps // 8), seed=seed, out=str(out)
    )
    (heldout,) = make_test_sets(config.image_size, config.holdout, n=400, names=("heldout",))
    curve, every = [], max(1, args.curve_pairs // args.batch_size)
    pre_pairs = config.pretrain_steps * config.batch_size

    def measure(step: int, model) -> None:
        if step % every == 0 or step == config.steps:
            curve.append((pre_pairs + step * config.batch_size, round(score(model, heldout)["f1"], 4)))
            model.train()

    train(config, callback=measure)
    (out / WeightsFolder.STATE).unlink(missing_ok=True)  # the resume state: not part of the bundle
    return scored(out, name, args.eval_pairs, curve, save=True)


def scored(out: Path, name: str, eval_pairs: int, curve: list | None = None, save: bool = False) -> dict:
    """A variant's row from its folder: what its training recorded, and its test sets scored now
    (the same pairs as every eval.json's); with ``save``, kept as its eval.json and model card."""
    weights = WeightsFolder(out)
    config = TrainConfig.from_json(out / weights.TRAIN_CONFIG)
    history = weights.metrics()
    scores = evaluate_folder(out, pairs=eval_pairs, device="cpu", names=SETS)
    if save:
        weights.save_eval_results(scores)
        write_model_card(out)
    reached = next((r for r in history if r["val_f1"] >= 0.95), None)
    return {
        "name": name,
        "seed": config.seed,
        "folder": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else out.name,
        "parameters": sum(p.numel() for p in weights.load_model().parameters()),
        "train_mflops_per_pair": round(flops_per_pair(config) / 1e6, 1),
        "pairs_per_s": history[-1]["pairs_per_s"],
        "seconds_to_f1_095": reached["seconds"] if reached else None,
        "pairs_to_f1_095": reached["pairs"] if reached else None,
        **{f"f1_{k.replace('-', '_')}": round(v["f1"], 4) for k, v in scores.items()},
        "heldout_curve": curve,  # None: not measured in this run
        "latency_ms": round(latency_ms(out), 1),
        "pairs": history[-1]["pairs"],
    }


def plot(rows: list[dict], path: Path) -> None:
    from shapesim.plots import _pyplot, _short_number

    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for r in rows:
        pairs, f1 = zip(*r["heldout_curve"], strict=True) if r["heldout_curve"] else ((), ())
        label = r["name"] + (f" (seed {r['seed']})" if r["seed"] else "")
        ax.plot(pairs, f1, marker="o", ms=3, ls="--" if r["seed"] else "-", label=label)
    ax.set_xlabel("training pairs seen (pre-training included)")
    ax.set_ylabel("F1 on held-out families")
    ax.xaxis.set_major_formatter(FuncFormatter(_short_number))
    ax.set_title("Shapes never seen in training: composites, glyphs, letters", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--pairs", type=int, default=64_000, help="training pairs per variant, pre-training included")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--eval-pairs", type=int, default=1000, help="pairs per test set")
    p.add_argument("--curve-pairs", type=int, default=8000, help="pairs between points of the held-out curve")
    p.add_argument("--repeat", type=int, default=2, help="best variants on held-out families trained again (seed 1)")
    p.add_argument("--only", nargs="*", default=None, choices=list(VARIANTS), metavar="NAME")
    p.add_argument(
        "--rescore", action="store_true", help="no training: score the checkpoints in checkpoints/variants/ again"
    )
    args = p.parse_args()
    setup(args)
    keep_freed_memory()
    if args.rescore:
        return rescore(args)
    # the checkpoints go to checkpoints/variants/; with --json (figures only) nowhere that stays
    args.folder = Path(tempfile.mkdtemp(prefix="shapesim-variants-")) if args.json else VARIANTS_DIR
    rows = []
    for name, variant in VARIANTS.items():
        if args.only is None or name in args.only:
            rows.append(run_variant(name, variant, args))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    for r in sorted(rows, key=lambda r: -r["f1_heldout"])[: args.repeat]:
        rows.append(run_variant(r["name"], VARIANTS[r["name"]], args, seed=1))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if not args.json:
        plot(rows, FIGURE)
    publish("architectures", {"variants": rows, "pairs": args.pairs}, table_of(rows, args.pairs), args)


def rescore(args) -> None:
    """The table again from the kept checkpoints: training figures as they recorded them, test sets now."""
    names = {folder_name(name, seed): name for name in VARIANTS for seed in (0, 1)}
    rows = [
        scored(folder, names[folder.name], args.eval_pairs, save=not args.json)
        for folder in sorted(VARIANTS_DIR.iterdir())
        if folder.name in names and (args.only is None or names[folder.name] in args.only)
    ]
    rows.sort(key=lambda r: (r["seed"], list(VARIANTS).index(r["name"])))
    pairs = max(r["pairs"] for r in rows)
    publish("architectures", {"variants": rows, "pairs": pairs}, table_of(rows, pairs), args)


def table_of(rows: list[dict], pairs: int) -> str:
    header = ["variant", "parameters", "training MFLOP / pair", "pairs/s", "to validation F1 ≥ 0.95", "F1 named",
              "F1 trained families", "F1 **held-out families**", "F1 doodles of held-out", "compare, p50"]  # fmt: skip
    return markdown_table(
        header,
        [
            [
                f"`{r['folder']}`: {r['name']}" + (f" (seed {r['seed']})" if r["seed"] else ""),
                f"{r['parameters']:,}",
                f"{r['train_mflops_per_pair']:.0f}",
                f"{r['pairs_per_s']:.0f}",
                f"{r['seconds_to_f1_095']:.0f} s, {r['pairs_to_f1_095']:,} pairs"
                if r["seconds_to_f1_095"] is not None
                else f"not in {pairs:,} pairs",
                *(f"{r[k]:.3f}" for k in ("f1_named", "f1_trained", "f1_heldout", "f1_doodles_heldout")),
                f"{r['latency_ms']:.0f} ms",
            ]
            for r in rows
        ],
    )


if __name__ == "__main__":
    main()
