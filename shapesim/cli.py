"""The command line: python -m shapesim COMMAND (--help on each)."""

# Each command imports what it needs when it runs, so that --help answers at once.

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import typing
from pathlib import Path


def _sample_options(p: argparse.ArgumentParser) -> None:
    from .shapes import FAMILY_NAMES, NAMED
    from .spec import PRESETS

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


def _sample(args: argparse.Namespace) -> None:
    from .data import PairGenerator
    from .plots import pair_grid
    from .spec import preset

    spec = preset(args.preset, holdout=args.holdout)
    batch = PairGenerator(spec, image_size=args.image_size, seed=args.seed)(args.start, args.pairs)
    fig = pair_grid(batch, columns=args.columns, title=f"preset '{args.preset}', seed {args.seed}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=args.dpi)
    print(f"wrote {args.pairs} pairs of preset '{args.preset}' to {out}")


def _add_dataclass_options(p: argparse.ArgumentParser, cls) -> None:
    """One ``--option`` per field of a config dataclass, with its default and its ``help`` metadata."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        kind = hints[f.name]
        if type(None) in typing.get_args(kind):  # float | None: None means "the preset's"
            kind = next(k for k in typing.get_args(kind) if k is not type(None))
        default = " ".join(f.default) if isinstance(f.default, tuple) else f.default
        default = "the preset's" if default is None else default
        meaning = f.metadata.get("help", "").replace("%", "%%")  # argparse formats help with %
        help_text = f"{meaning} (default: {default})".strip()
        if kind is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=meaning)
        elif typing.get_origin(kind) is tuple:
            p.add_argument(flag, nargs="*", default=list(f.default), metavar="NAME", help=help_text)
        else:
            p.add_argument(flag, type=kind, default=f.default, help=help_text)


def _train_options(p: argparse.ArgumentParser, training: bool = True) -> None:
    if training:  # TrainConfig's fields, and torch with them: only for a call that trains
        from .training import TrainConfig

        _add_dataclass_options(p, TrainConfig)
    p.add_argument(
        "--oneshot-every",
        type=int,
        default=0,
        help="steps between scoring Omniglot's one-shot runs into oneshot.jsonl (a curve; never chooses the model)",
    )


def _train(args: argparse.Namespace) -> None:
    import torch.distributed as dist

    from .evaluate import one_shot_curve
    from .training import TrainConfig, resumed_config, train

    config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
    # a resumed run keeps the config it was started with: its Omniglot folder scores the curve too
    run_config = resumed_config(config) if config.resume else config
    callback = one_shot_curve(run_config, args.oneshot_every) if args.oneshot_every else None
    result = train(config, callback=callback)
    if dist.is_initialized():  # started by torchrun: one report, from rank 0
        rank = dist.get_rank()
        dist.destroy_process_group()
        if rank != 0:
            return
    score = "score (mean F1 of the generator's and people's pairs)" if run_config.people else "F1"
    print(
        f"best validation {score} {result.best_score:.4f} after {result.steps} steps, "
        f"{result.seconds:.0f} s, {result.pairs_per_s:.0f} pairs/s; model in {config.out}"
    )


def _weights(source: str | None, writes: str):
    """The weights folder a command ``writes`` into: ``source`` (a folder or a Hub repo id) or, when None,
    $SHAPESIM_WEIGHTS; a folder of this machine, not a Hub download in the cache, never the bundle in place of
    weights that could not be had, and the bundle itself only when named (nothing is written into the
    installed package unasked)."""
    from .hub import resolve

    found = resolve(source, fallback=False)
    if source is None and found.kind == "bundled":
        raise ValueError(
            f"{writes} next to the weights, and without --weights that is the bundled model's folder, which belongs "
            f"to the installed package: give --weights DIR (a copy of {found.path}), or --weights {found.path} "
            "to write there on purpose"
        )
    if found.kind == "hub":
        raise ValueError(
            f"{writes} next to the weights, and {found.name} is a Hub download: fetch it into a folder first "
            f"(huggingface-cli download {found.name} --local-dir DIR) and give --weights DIR"
        )
    return found


def _evaluate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default=None, help=ANY_WEIGHTS)
    p.add_argument("--pairs", type=int, default=2000, help="pairs per test set")
    p.add_argument("--device", default="auto")
    p.add_argument("--figure", default=None, help="also write the confusion matrices to this PNG")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--save", action="store_true", help="write eval.json and the model card README.md into the folder")
    p.add_argument("--omniglot", default=None, help="folder with Omniglot's all_runs.zip: people's drawings too")


def _evaluate(args: argparse.Namespace) -> None:
    from .card import write_model_card
    from .evaluate import evaluate_folder
    from .hub import resolve
    from .metrics import results_table
    from .plots import confusion_matrices

    if args.save:
        source = _weights(args.weights, "--save writes eval.json and the model card")
    else:
        source = resolve(args.weights, fallback=args.weights is None)
    results = evaluate_folder(source.path, pairs=args.pairs, device=args.device, omniglot=args.omniglot)
    if args.save:
        source.folder.save_eval_results(results)
        write_model_card(source.path)
    if args.json:
        print(json.dumps(results))
    else:
        print(results_table(results, source.folder.holdout))
    if args.figure:
        confusion_matrices(results).savefig(args.figure, dpi=100)
        if not args.json:
            print(f"confusion matrices written to {args.figure}")


def _curves_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", dest="run_dir", default="checkpoints", help="a training run's folder")
    p.add_argument("--out", default=None, help="PNG to write (default: training.png in the run's folder)")


def _curves(args: argparse.Namespace) -> None:
    from .plots import training_curves
    from .weights import WeightsFolder

    run = WeightsFolder(args.run_dir)
    if not run.path.is_dir():
        raise FileNotFoundError(f"no such run folder: {run.path}")
    records = run.metrics()
    if not records:
        raise ValueError(f"no {run.METRICS} in {run.path}: not a training run's folder")
    config = run.train_config
    title = (
        f"preset '{config['preset']}', {config['image_size']} px, batch {config['batch_size']}"
        + (f", {config['people']:.0%} people's drawings" if config.get("people") else "")
        + (", fine-tuned" if config.get("init") else "")
        if {"preset", "image_size", "batch_size"} <= config.keys()
        else str(run.path)
    )
    out = Path(args.out) if args.out else run / "training.png"
    training_curves(records, title=title, one_shot=run.one_shot()).savefig(out, dpi=100)
    print(f"wrote {out}")


def _predict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("image_a")
    p.add_argument("image_b")
    p.add_argument("--weights", default=None, help=ANY_WEIGHTS)
    p.add_argument("--device", default=None)
    p.add_argument(
        "--upright",
        action="store_true",
        help="a turned or mirrored copy is another shape (b is not d); by default it is the same shape, "
        "turned, where the model tells turns apart",
    )
    p.add_argument(
        "--json", action="store_true", help="print probability, same, similarity, turned and weights as JSON"
    )


def _predict(args: argparse.Namespace) -> None:
    from .predict import Predictor

    predictor = Predictor.from_pretrained(args.weights, device=args.device)  # the bundle only in the default's place
    result = predictor.compare(args.image_a, args.image_b, turns=not args.upright)
    if args.json:
        print(json.dumps({**result.as_dict(), "weights": predictor.weights}))
    else:
        verdict = "the same shape" if result.same else "different shapes"
        verdict += f", {result.turned}" if result.same and result.turned else ""
        cosine = "" if result.similarity is None else f", cosine similarity {result.similarity:.3f}"
        print(f"{verdict}: probability of same shape {result.probability:.3f}{cosine} (weights: {predictor.weights})")


def _atlas_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default=None, help=LOCAL_WEIGHTS)
    p.add_argument("--points", type=int, default=2016, help="reference pictures (every class in every style)")
    p.add_argument("--figure", default=None, help="PNG of the map (default: umap.png beside the weights; '' for none)")
    p.add_argument("--device", default=None)


def _atlas(args: argparse.Namespace) -> None:
    from .atlas import build_atlas
    from .plots import atlas_map
    from .predict import Predictor

    source = _weights(args.weights, "atlas writes atlas.npz and atlas.json")
    predictor = Predictor.from_pretrained(str(source.path), device=args.device)
    weights = source.folder
    figure = weights / "umap.png" if args.figure is None else (Path(args.figure) if args.figure else None)
    atlas, report = build_atlas(predictor.embed, predictor.image_size, n=args.points, holdout=weights.holdout)
    weights.save_atlas(atlas, report)
    if figure:
        title = (
            f"UMAP of {len(atlas)} reference pictures\n10-NN class accuracy: 2-D {report['knn_accuracy_2d']:.3f}, "
            f"{atlas.embeddings.shape[1]}-D {report['knn_accuracy_embedding']:.3f}"
        )
        atlas_map(atlas, title=title).savefig(figure, dpi=100)
    print(json.dumps(report, indent=2))
    print(f"wrote {weights / weights.ATLAS}" + (f" and {figure}" if figure else ""))


def _push_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo-id", required=True, help="USER/NAME of the model repo (created if missing)")
    p.add_argument("--weights", default=None, help=LOCAL_WEIGHTS)
    p.add_argument("--private", action="store_true")


def _push(args: argparse.Namespace) -> None:
    from .publish import push

    source = _weights(args.weights, "push writes the model card")
    url = push(source.path, args.repo_id, private=args.private)
    print(f"published {source.path} to https://huggingface.co/{args.repo_id} ({url})")


def _space_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo-id", required=True, help="USER/NAME of the Space (created if missing)")
    p.add_argument("--private", action="store_true")


def _space(args: argparse.Namespace) -> None:
    from .publish import deploy_space

    url = deploy_space(args.repo_id, private=args.private)
    print(f"deployed the app to https://huggingface.co/spaces/{args.repo_id} ({url})")


def _omniglot_options(p: argparse.ArgumentParser) -> None:
    from .omniglot import URL

    p.add_argument("--out", default="data/omniglot", help="folder to put omniglot-py/ in")
    p.add_argument("--url", default=URL, help="where the archives are (torchvision's address)")


def _omniglot(args: argparse.Namespace) -> None:
    from .omniglot import Omniglot, download

    for path in download(args.out, url=args.url):
        print(f"downloaded and unpacked {path}")
    data = Omniglot.load(args.out)
    print(f"{len(data.characters)} characters of {len(data.alphabets)} alphabets, {len(data)} drawings in {args.out}")


def _blend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", help="the folder of the model fine-tuning started from")
    p.add_argument("tuned", help="the folder of the fine-tuned model")
    p.add_argument("--share", type=float, default=0.5, help="the fine-tuned model's part, 0 to 1 (default: 0.5)")
    p.add_argument("--out", required=True, help="the folder to write")


def _blend(args: argparse.Namespace) -> None:
    from .blend import blend

    for folder in (args.base, args.tuned):
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"no such weights folder: {folder} (blend reads two folders of this machine)")
    out = blend(args.base, args.tuned, args.share, args.out)
    print(
        f"wrote {1 - args.share:g} × {args.base} + {args.share:g} × {args.tuned} to {out.path} "
        f"(next: python -m shapesim evaluate --weights {out.path} --save, then atlas --weights {out.path})"
    )


def _examples_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="assets/examples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--omniglot", default=None, help="folder with Omniglot's all_runs.zip: two pairs of people's drawings"
    )


def _examples(args: argparse.Namespace) -> None:
    from .doodles import examples

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*_[ab].png"):
        old.unlink()
    runs = None
    if args.omniglot:
        from .omniglot import one_shot_runs

        runs = one_shot_runs(args.omniglot)
    pairs = examples(args.seed, runs)
    for name, (a, b) in pairs.items():
        a.save(out / f"{name}_a.png")
        b.save(out / f"{name}_b.png")
    print(f"wrote {len(pairs)} example pairs to {out}")


ANY_WEIGHTS = "a weights folder or Hub repo id user/name[@rev] (default: $SHAPESIM_WEIGHTS, else the bundled model)"
LOCAL_WEIGHTS = "a weights folder (default: $SHAPESIM_WEIGHTS if a folder, else the bundled model)"


def build_parser(training: bool = True) -> argparse.ArgumentParser:
    """The command line: each command's options are set by the function beside its handler. Without ``training``,
    ``train`` has no options of its own: TrainConfig, and with it torch, is imported only by a call that trains (or
    asks for train's help); every other command starts sooner."""
    parser = argparse.ArgumentParser(
        prog="python -m shapesim" if Path(sys.argv[0]).name == "__main__.py" else Path(sys.argv[0]).name,
        description="Do two pictures show the same shape? Compare pictures, train and evaluate models, "
        "make the embedding map, publish weights and the app. --help on each command for its options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (about, options, run) in COMMANDS.items():
        p = commands.add_parser(name, help=about)
        options(p, training) if options is _train_options else options(p)
        p.set_defaults(run=run)
    return parser


COMMANDS = {  # name: (what it does, its options, its handler)
    "sample": ("draw a labelled grid of generated pairs", _sample_options, _sample),
    "train": ("train a model (see TrainConfig for every option)", _train_options, _train),
    "evaluate": ("score a model on the fixed test sets", _evaluate_options, _evaluate),
    "curves": ("plot a run's training curves from its metrics.jsonl", _curves_options, _curves),
    "predict": ("do two pictures show the same shape?", _predict_options, _predict),
    "atlas": ("embed the reference set, fit UMAP, save atlas.npz next to the weights", _atlas_options, _atlas),
    "push": ("publish a weights folder to the Hugging Face Hub", _push_options, _push),
    "space": ("deploy the app with the bundled weights to a Hugging Face Space", _space_options, _space),
    "omniglot": ("download Omniglot's background set (people's drawings) for training", _omniglot_options, _omniglot),
    "blend": ("average two models of one design weight by weight (WiSE-FT)", _blend_options, _blend),
    "examples": ("write the app's example pairs", _examples_options, _examples),
}


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(training="train" in words[:1]).parse_args(argv)
    if argv is None:  # a process of its own (python -m shapesim), not a call from other Python code
        from .runtime import keep_freed_memory

        keep_freed_memory()  # large batches of feature maps, allocated again and again: see its docstring
    try:
        args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a failure is one line; SHAPESIM_DEBUG=1 shows where it came from
        if os.environ.get("SHAPESIM_DEBUG"):
            raise
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2 if isinstance(err, (ValueError, OSError)) else 1
    return 0


def _one_line(err: BaseException) -> str:
    """What went wrong, in one line: the message's first line (an unexpected error also names its kind)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    expected = isinstance(err, (ValueError, OSError))
    return text if expected and text else f"{type(err).__name__}: {text}".rstrip(": ")
