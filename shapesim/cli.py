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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
