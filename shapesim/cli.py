"""The command line: ``python -m shapesim COMMAND`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _sample(args: argparse.Namespace) -> None:
    from .data import PairGenerator, preset
    from .plots import pair_grid

    spec = preset(args.preset, holdout=args.holdout)
    batch = PairGenerator(spec, image_size=args.image_size, seed=args.seed)(args.start, args.pairs)
    fig = pair_grid(batch, columns=args.columns, title=f"preset '{args.preset}', seed {args.seed}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=args.dpi)
    print(f"wrote {args.pairs} pairs of preset '{args.preset}' to {out}")


def _add_dataclass_options(p: argparse.ArgumentParser, cls) -> None:
    """One ``--option`` per field of a config dataclass, with its default and comment as help."""
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        kind = hints[f.name]
        if kind is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        elif typing.get_origin(kind) is tuple:
            p.add_argument(flag, nargs="*", default=list(f.default), metavar="NAME")
        else:
            p.add_argument(flag, type=kind, default=f.default, help=f"(default: {f.default})")


def _train(args: argparse.Namespace) -> None:
    import dataclasses

    from .train import TrainConfig, train

    config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
    result = train(config)
    print(
        f"best validation F1 {result.best_f1:.4f} after {result.steps} steps, "
        f"{result.seconds:.0f} s, {result.pairs_per_s:.0f} pairs/s; model in {config.out}"
    )


def _evaluate(args: argparse.Namespace) -> None:
    import json

    from .evaluate import evaluate_folder, results_table, training_holdout
    from .plots import confusion_matrices

    results = evaluate_folder(args.weights, pairs=args.pairs, device=args.device)
    if args.save:
        from pathlib import Path

        from .card import write_model_card

        (Path(args.weights) / "eval.json").write_text(json.dumps(results, indent=2) + "\n")
        write_model_card(args.weights)
    if args.json:
        print(json.dumps(results))
    else:
        print(results_table(results, training_holdout(args.weights)))
    if args.figure:
        confusion_matrices(results).savefig(args.figure, dpi=100)
        if not args.json:
            print(f"confusion matrices written to {args.figure}")


def _curves(args: argparse.Namespace) -> None:
    import json
    from pathlib import Path

    from .plots import training_curves

    path = Path(args.run) / "metrics.jsonl"
    if not path.is_file():
        raise ValueError(f"no metrics.jsonl in {args.run}")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    config = json.loads((Path(args.run) / "train_config.json").read_text())
    title = f"preset '{config['preset']}', {config['image_size']} px, batch {config['batch_size']}"
    training_curves(records, title=title).savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


def build_parser() -> argparse.ArgumentParser:
    from .data import PRESETS
    from .shapes import CLASSES

    parser = argparse.ArgumentParser(prog="python -m shapesim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("sample", help="draw a labelled grid of generated pairs")
    p.add_argument("--preset", default="shapes", choices=sorted(PRESETS))
    p.add_argument("--out", default="assets/dataset.png", help="PNG to write")
    p.add_argument("--pairs", type=int, default=16)
    p.add_argument("--columns", type=int, default=4)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="index of the first pair")
    p.add_argument("--holdout", nargs="*", default=[], choices=CLASSES, metavar="CLASS")
    p.add_argument("--dpi", type=int, default=110)
    p.set_defaults(run=_sample)

    from .train import TrainConfig

    p = commands.add_parser("train", help="train a model (see TrainConfig for every option)")
    _add_dataclass_options(p, TrainConfig)
    p.set_defaults(run=_train)

    p = commands.add_parser("evaluate", help="score a model on the fixed test sets")
    p.add_argument("--weights", default="checkpoints", help="folder with config.json and model.safetensors")
    p.add_argument("--pairs", type=int, default=2000, help="pairs per test set")
    p.add_argument("--device", default="auto")
    p.add_argument("--figure", default=None, help="also write the confusion matrices to this PNG")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--save", action="store_true", help="write eval.json and the model card README.md into the folder")
    p.set_defaults(run=_evaluate)

    p = commands.add_parser("curves", help="plot a run's training curves from its metrics.jsonl")
    p.add_argument("--run", default="checkpoints", help="a training output folder")
    p.add_argument("--out", default="assets/training.png")
    p.set_defaults(run=_curves)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
