"""The command line: python -m shapesim COMMAND (--help on each)."""

# Each command imports what it needs when it runs, so that --help answers at once.

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import typing
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
    hints = typing.get_type_hints(cls)
    source = inspect.getsource(cls).replace("`", "").replace("%", "%%")  # plain text; argparse formats help with %
    comments = dict(re.findall(r"^\s+(\w+):[^#\n]*#\s*(.+)$", source, re.M))
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        kind = hints[f.name]
        if type(None) in typing.get_args(kind):  # float | None: None means "the preset's"
            kind = next(k for k in typing.get_args(kind) if k is not type(None))
        default = " ".join(f.default) if isinstance(f.default, tuple) else f.default
        default = "the preset's" if default is None else default
        help_text = f"{comments.get(f.name, '')} (default: {default})".strip()
        if kind is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=comments.get(f.name))
        elif typing.get_origin(kind) is tuple:
            p.add_argument(flag, nargs="*", default=list(f.default), metavar="NAME", help=help_text)
        else:
            p.add_argument(flag, type=kind, default=f.default, help=help_text)


def _train(args: argparse.Namespace) -> None:
    import torch.distributed as dist

    from .training import TrainConfig, train

    config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
    result = train(config)
    if dist.is_initialized():  # started by torchrun: one report, from rank 0
        rank = dist.get_rank()
        dist.destroy_process_group()
        if rank != 0:
            return
    print(
        f"best validation F1 {result.best_f1:.4f} after {result.steps} steps, "
        f"{result.seconds:.0f} s, {result.pairs_per_s:.0f} pairs/s; model in {config.out}"
    )


def _evaluate(args: argparse.Namespace) -> None:

    from .card import write_model_card
    from .evaluate import evaluate_folder
    from .metrics import results_table
    from .plots import confusion_matrices
    from .weights import WeightsFolder

    results = evaluate_folder(args.weights, pairs=args.pairs, device=args.device)
    weights = WeightsFolder(args.weights)
    if args.save:
        weights.save_eval_results(results)
        write_model_card(weights.path)
    if args.json:
        print(json.dumps(results))
    else:
        print(results_table(results, weights.holdout))
    if args.figure:
        confusion_matrices(results).savefig(args.figure, dpi=100)
        if not args.json:
            print(f"confusion matrices written to {args.figure}")


def _curves(args: argparse.Namespace) -> None:
    from .plots import training_curves
    from .weights import WeightsFolder

    run = WeightsFolder(args.run_dir)
    records = run.metrics()
    if not records:
        raise ValueError(f"no {run.METRICS} in {args.run_dir}")
    config = run.train_config
    title = f"preset '{config['preset']}', {config['image_size']} px, batch {config['batch_size']}"
    training_curves(records, title=title).savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


def _predict(args: argparse.Namespace) -> None:

    from .predict import Predictor

    predictor = Predictor.from_pretrained(args.weights, device=args.device)
    result = predictor.compare(args.image_a, args.image_b)
    if args.json:
        print(json.dumps({**result.as_dict(), "weights": predictor.weights}))
    else:
        verdict = "the same shape" if result.same else "different shapes"
        cosine = "" if result.similarity is None else f", cosine similarity {result.similarity:.3f}"
        print(f"{verdict}: probability of same shape {result.probability:.3f}{cosine} (weights: {predictor.weights})")


def _atlas(args: argparse.Namespace) -> None:

    from .atlas import build_atlas
    from .plots import atlas_map
    from .predict import Predictor

    predictor = Predictor.from_pretrained(args.weights, device=args.device)
    weights = predictor.source.folder
    atlas, report = build_atlas(predictor.embed, predictor.image_size, n=args.points, holdout=weights.holdout)
    weights.save_atlas(atlas, report)
    fig = atlas_map(
        atlas,
        title=f"UMAP of {len(atlas)} reference pictures\n"
        f"10-NN class accuracy: 2-D {report['knn_accuracy_2d']:.3f}, "
        f"{atlas.embeddings.shape[1]}-D {report['knn_accuracy_embedding']:.3f}",
    )
    if args.figure:
        fig.savefig(args.figure, dpi=100)
    print(json.dumps(report, indent=2))
    print(f"wrote {weights / weights.ATLAS}" + (f" and {args.figure}" if args.figure else ""))


def _push(args: argparse.Namespace) -> None:
    from .publish import push

    url = push(args.weights, args.repo_id, private=args.private)
    print(f"published {args.weights} to https://huggingface.co/{args.repo_id} ({url})")


def _space(args: argparse.Namespace) -> None:
    from .publish import deploy_space

    url = deploy_space(args.repo_id, private=args.private)
    print(f"deployed the app to https://huggingface.co/spaces/{args.repo_id} ({url})")


def _examples(args: argparse.Namespace) -> None:
    from .doodles import examples

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*_[ab].png"):
        old.unlink()
    pairs = examples(args.seed)
    for name, (a, b) in pairs.items():
        a.save(out / f"{name}_a.png")
        b.save(out / f"{name}_b.png")
    print(f"wrote {len(pairs)} example pairs to {out}")


def build_parser() -> argparse.ArgumentParser:
    from .data import PRESETS
    from .shapes import FAMILY_NAMES, NAMED

    parser = argparse.ArgumentParser(
        prog="python -m shapesim",
        description="Do two pictures show the same shape? Compare pictures, train and evaluate models, "
        "make the embedding map, publish weights and the app. --help on each command for its options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("sample", help="draw a labelled grid of generated pairs")
    p.add_argument("--preset", default="shapes", choices=sorted(PRESETS))
    p.add_argument("--out", default="assets/dataset.png", help="PNG to write")
    p.add_argument("--pairs", type=int, default=16)
    p.add_argument("--columns", type=int, default=4)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="index of the first pair")
    p.add_argument(
        "--holdout",
        nargs="*",
        default=[],
        choices=(*FAMILY_NAMES, *NAMED),
        metavar="SHAPE",
        help="families or named shapes to leave out",
    )
    p.add_argument("--dpi", type=int, default=110)
    p.set_defaults(run=_sample)

    from .training import TrainConfig

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
    p.add_argument("--run", dest="run_dir", default="checkpoints", help="a training output folder")
    p.add_argument("--out", default="assets/training.png")
    p.set_defaults(run=_curves)

    p = commands.add_parser("predict", help="do two pictures show the same shape?")
    p.add_argument("image_a")
    p.add_argument("image_b")
    p.add_argument("--weights", default=None, help="folder or Hub repo id (default: $SHAPESIM_WEIGHTS or checkpoints/)")
    p.add_argument("--device", default=None)
    p.add_argument("--json", action="store_true", help="print probability, same, similarity and weights as JSON")
    p.set_defaults(run=_predict)

    p = commands.add_parser("atlas", help="embed the reference set, fit UMAP, save atlas.npz next to the weights")
    p.add_argument("--weights", default="checkpoints", help="a weights folder")
    p.add_argument("--points", type=int, default=2016, help="reference pictures (every class in every style)")
    p.add_argument("--figure", default="assets/umap.png", help="PNG of the map ('' for none)")
    p.add_argument("--device", default=None)
    p.set_defaults(run=_atlas)

    p = commands.add_parser("push", help="publish a weights folder to the Hugging Face Hub")
    p.add_argument("--repo-id", required=True, help="USER/NAME of the model repo (created if missing)")
    p.add_argument("--weights", default="checkpoints")
    p.add_argument("--private", action="store_true")
    p.set_defaults(run=_push)

    p = commands.add_parser("space", help="deploy the app with the bundled weights to a Hugging Face Space")
    p.add_argument("--repo-id", required=True, help="USER/NAME of the Space (created if missing)")
    p.add_argument("--private", action="store_true")
    p.set_defaults(run=_space)

    p = commands.add_parser("examples", help="write the app's example pairs")
    p.add_argument("--out", default="assets/examples")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None:  # a process of its own (python -m shapesim), not a call from other Python code
        from .runtime import keep_freed_memory

        keep_freed_memory()  # large batches of feature maps, allocated again and again: see its docstring
    try:
        args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
