"""People's drawings: Omniglot (Lake, Salakhutdinov & Tenenbaum, Science 2015; MIT licence).

Twenty people drew each character of 50 alphabets; twenty drawings of one character are twenty
pictures of the same shape as people draw it. :class:`Omniglot` reads the *background* alphabets
(training may use them) as pictures (105×105, all 964 characters) and as pen trajectories (where a
folder has them: 242 characters of the small sets), one drawing once whichever archives hold it;
:func:`one_shot_runs` reads the paper's 20 one-shot runs, whose characters come from the
*evaluation* alphabets, which training must never see: the reader refuses them.

A folder is read as it comes: the archives of the Omniglot repository as they are
(``images_background.zip``, ``strokes_background_small1.zip``, ``all_runs.zip``, …), those
archives unpacked, or torchvision's layout (``omniglot-py/images_background/…``, with
:func:`download` putting ``strokes_background`` beside it). :func:`download` fetches the full
background set from the addresses torchvision's ``datasets.Omniglot`` uses.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "URL",
    "ARCHIVES",
    "EVALUATION_ALPHABETS",
    "SIDE",
    "Character",
    "Drawing",
    "Omniglot",
    "Run",
    "one_shot_runs",
    "background_runs",
    "same_different_pairs",
    "other_character",
    "download",
]

URL = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python"  # torchvision's address
ARCHIVES = {  # the full background set; the md5 torchvision checks (the strokes' is checked as a zip)
    "images_background.zip": "68d2efa1b9178cc56df9314c21c6e718",
    "strokes_background.zip": None,
}
SIDE = 105  # the drawings' pictures are SIDE × SIDE; trajectories are in their pixel coordinates
# The 20 alphabets of Omniglot's evaluation set: the one-shot runs are drawn from them.
EVALUATION_ALPHABETS = (
    "Angelic", "Atemayar_Qelisayer", "Atlantean", "Aurek-Besh", "Avesta", "Ge_ez", "Glagolitic", "Gurmukhi",
    "Kannada", "Keble", "Malayalam", "Manipuri", "Mongolian", "Old_Church_Slavonic_(Cyrillic)", "Oriya",
    "Sylheti", "Syriac_(Serto)", "Tengwar", "Tibetan", "ULOG",
)  # fmt: skip
_DRAWING = re.compile(
    r"(?:^|/)(strokes|images)_(background|evaluation)[^/]*/([^/]+)/(character\d+)/(\d+)_(\d+)\.(txt|png)$"
)


@dataclass(frozen=True)
class Character:
    alphabet: str
    name: str  # "character07"

    def __str__(self) -> str:
        return f"{self.alphabet.replace('_', ' ')} {self.name.replace('character', '#')}"


@dataclass(frozen=True)
class Drawing:
    """One person's drawing of one character: its picture, and its pen's strokes where they were kept."""

    character: int  # index into Omniglot.characters
    drawer: int  # 1 … 20
    strokes: tuple[np.ndarray, ...]  # in drawing order, each (k, 2) points in the picture's pixels (x right,
    # y down, 0 … SIDE); () where the folder has no trajectory of it
    picture: np.ndarray | None = None  # (SIDE, SIDE) bool, True where the ink is; None where it has no picture


@dataclass
class Omniglot:
    """The background alphabets' drawings that a folder holds (as pen trajectories)."""

    characters: list[Character]
    drawings: list[Drawing]

    @classmethod
    def load(cls, folder: str | Path, *, pictures: bool = True) -> Omniglot:
        """Every background drawing in ``folder`` (archives or unpacked; a drawing in two archives once),
        with its picture (unless ``pictures`` is False: trajectories only, quicker) and its trajectory where
        there is one. An evaluation alphabet is refused: training on it would break the one-shot runs' rule."""
        strokes: dict[tuple[str, str, int], tuple[np.ndarray, ...]] = {}
        images: dict[tuple[str, str, int], np.ndarray] = {}
        for name, read in _members(Path(folder)):
            m = _DRAWING.search(name)
            if not m or (m[1] == "images" and not pictures):
                continue
            kind, set_, alphabet, character, _, drawer, _ = m.groups()
            if set_ == "evaluation" or alphabet in EVALUATION_ALPHABETS:
                raise ValueError(
                    f"{name}: {alphabet} is an evaluation alphabet of Omniglot; the one-shot runs come from "
                    "those, and training must never see them"
                )
            key = (alphabet, character, int(drawer))
            if kind == "strokes" and key not in strokes:
                strokes[key] = _parse_strokes(read().decode())
            elif kind == "images" and key not in images:
                images[key] = _ink(read(), name)
        found = {k for k, v in strokes.items() if v} | set(images)
        if not found:
            raise FileNotFoundError(
                f"no Omniglot background drawings in {folder} (images_background*.zip, strokes_background*.zip "
                "or their folders; python -m shapesim omniglot --out DIR downloads them)"
            )
        characters = sorted({Character(a, c) for a, c, _ in found}, key=lambda c: (c.alphabet, c.name))
        index = {c: i for i, c in enumerate(characters)}
        drawings = [
            Drawing(index[Character(a, c)], d, strokes.get((a, c, d), ()), images.get((a, c, d)))
            for a, c, d in sorted(found)
        ]
        return cls(characters, drawings)

    @property
    def alphabets(self) -> list[str]:
        return sorted({c.alphabet for c in self.characters})

    def by_character(self) -> list[list[int]]:
        """For each character, the indices of its drawings."""
        out: list[list[int]] = [[] for _ in self.characters]
        for i, d in enumerate(self.drawings):
            out[d.character].append(i)
        return out

    def __len__(self) -> int:
        return len(self.drawings)


def _parse_strokes(text: str) -> tuple[np.ndarray, ...]:
    """``START`` … ``BREAK`` blocks of ``x,y,t`` lines (y up, t in ms) → strokes in pixels, y down."""
    strokes, points = [], []
    for line in text.splitlines():
        line = line.strip()
        if line in ("START", "BREAK"):
            if points:
                strokes.append(np.array(points, np.float32))
            points = []
        elif line:
            x, y, _ = line.split(",")
            points.append((float(x), -float(y)))
    if points:
        strokes.append(np.array(points, np.float32))
    return tuple(strokes)


@dataclass
class Run:
    """One of the paper's 20-way one-shot runs: 20 characters of one evaluation alphabet, one person's
    drawing of each (``training``) and another person's (``test``); ``answer[i]`` is the training
    drawing of test drawing i's character."""

    name: str
    training: list[np.ndarray]  # (SIDE, SIDE, 3) uint8, black ink on white
    test: list[np.ndarray]
    answer: np.ndarray  # (20,) int


def same_different_pairs(runs: list[Run]) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Pairs from the runs: each test drawing with its own character's training drawing (same, 1) and
    with another character of its run (different, 0), the others taken in turn. (a, b, labels)"""
    a, b, labels = [], [], []
    for run in runs:
        for i, test in enumerate(run.test):
            for j, label in ((run.answer[i], 1), (other_character(run, i), 0)):
                a.append(test)
                b.append(run.training[j])
                labels.append(label)
    return a, b, np.array(labels)


def other_character(run: Run, i: int) -> int:
    """The training drawing that test drawing ``i`` is paired with as a different pair."""
    n = len(run.training)
    return int((run.answer[i] + 1 + i % (n - 1)) % n)


def background_runs(data: Omniglot, characters, count: int, seed: int, *, within: bool = True) -> list[Run]:
    """``count`` runs drawn as the paper's are, from background ``characters`` (indices into
    ``data.characters``): 20 characters (of one alphabet that has 20 of them when ``within``, else of any),
    one person's drawing of each to learn from and another person's to classify. Training's own characters
    or those held out for validation: a model that misses its own characters as often as new ones is short
    of fit, not of data."""
    rng = np.random.default_rng([seed, 0x0B5])
    people: dict[int, dict[int, np.ndarray]] = {}
    for d in data.drawings:
        if d.picture is not None:
            people.setdefault(d.character, {})[d.drawer] = d.picture
    pools: dict[str, list[int]] = {}
    for c in characters:
        if len(people.get(int(c), {})) >= 2:
            pools.setdefault(data.characters[c].alphabet if within else "", []).append(int(c))
    pools = {a: cs for a, cs in pools.items() if len(cs) >= 20}
    if not pools:
        raise ValueError("no 20 characters with two people's pictures" + (" in one alphabet" if within else ""))
    white = lambda ink: np.repeat(np.where(ink, 0, 255).astype(np.uint8)[..., None], 3, 2)  # noqa: E731
    runs, names = [], sorted(pools)
    for r in range(count):
        chosen = rng.choice(pools[names[rng.integers(len(names))]], 20, replace=False)
        training, test = [], []
        for c in chosen:
            first, second = rng.choice(sorted(people[c]), 2, replace=False)
            training.append(white(people[c][first]))
            test.append(white(people[c][second]))
        order = rng.permutation(20)
        runs.append(Run(f"background{r + 1:02d}", training, [test[i] for i in order], order))
    return runs


def one_shot_runs(folder: str | Path) -> list[Run]:
    """The 20 runs in ``folder`` (``all_runs.zip`` or its unpacked ``runNN/`` folders)."""
    files = {name: read() for name, read in _members(Path(folder)) if re.search(r"run\d\d/", name)}
    labels = sorted(n for n in files if n.endswith("class_labels.txt"))
    if not labels:
        raise FileNotFoundError(f"no one-shot runs in {folder} (all_runs.zip)")
    runs = []
    for label_file in labels:
        root = label_file[: -len("class_labels.txt")]
        pairs = [line.split() for line in files[label_file].decode().splitlines() if line.strip()]
        tests = [t.split("/", 1)[1] for t, _ in pairs]  # "run01/test/item01.png" → "test/item01.png"
        trained = sorted({c.split("/", 1)[1] for _, c in pairs})
        picture = lambda rel, root=root: _picture(files[root + rel])  # noqa: E731
        runs.append(
            Run(
                name=root.rstrip("/").rsplit("/", 1)[-1],
                training=[picture(c) for c in trained],
                test=[picture(t) for t in tests],
                answer=np.array([trained.index(c.split("/", 1)[1]) for _, c in pairs]),
            )
        )
    return runs


def _ink(data: bytes, name: str) -> np.ndarray:
    """A background drawing's PNG → ``(SIDE, SIDE)`` bool, True where the ink is (black on white)."""
    with Image.open(io.BytesIO(data)) as img:
        ink = ~np.asarray(img) if img.mode == "1" else np.asarray(img.convert("L")) < 128  # one bit: True is white
    if ink.shape != (SIDE, SIDE):
        raise ValueError(f"{name}: an Omniglot drawing is {SIDE}×{SIDE} pixels, this one {ink.shape[::-1]}")
    return ink


def _picture(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def _members(folder: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Every file under ``folder`` and inside its zip archives, as (path with '/', a reader of its bytes,
    to be called before the next member is asked for)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    for path in sorted(folder.rglob("*")):
        if "__MACOSX" in path.parts or not path.is_file():
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if not info.is_dir() and "__MACOSX" not in info.filename:
                        yield info.filename, (lambda z=z, info=info: z.read(info))
        else:
            yield path.relative_to(folder).as_posix(), path.read_bytes


def download(out: str | Path, url: str = URL, archives: dict[str, str | None] = ARCHIVES) -> list[Path]:
    """The full background set (964 characters, pictures and trajectories) into ``out``/omniglot-py,
    torchvision's layout, unpacked; the archives are checked (md5, or as a zip) before use."""
    from torchvision.datasets.utils import check_integrity, download_url, extract_archive

    root = Path(out) / "omniglot-py"
    got = []
    for name, md5 in archives.items():
        try:
            download_url(f"{url}/{name}", str(root), filename=name)  # checked below, with a clearer message
        except Exception as err:  # torchvision raises many kinds: say which file and where from
            raise OSError(f"could not download {url}/{name}: {err}") from err
        path = root / name
        if not check_integrity(str(path), md5) or not zipfile.is_zipfile(path):
            raise OSError(f"{path} is not the archive expected from {url}/{name}")
        extract_archive(str(path), str(root))
        got.append(path)
    return got
