"""People's drawings (shapesim/omniglot.py): reading Omniglot in its layouts, the one-shot runs and their
rule, the download against a local stand-in for its server."""

import hashlib
import http.server
import io
import threading
import zipfile
from functools import partial

import numpy as np
import pytest
from PIL import Image

from shapesim.omniglot import EVALUATION_ALPHABETS, SIDE, Omniglot, background_runs, download, one_shot_runs


@pytest.fixture(scope="module")
def data(omniglot_data):
    return omniglot_data


def test_the_background_drawings_as_pictures_and_pen_trajectories(data):
    assert len(data.characters) == 964 and len(data) == 964 * 20  # every drawing once, whichever archives hold it
    assert len(data.alphabets) == 30
    drawers = {}
    for d in data.drawings:
        drawers.setdefault(d.character, set()).add(d.drawer)
        assert d.picture.shape == (SIDE, SIDE) and d.picture.dtype == bool and 0 < d.picture.mean() < 0.5
    assert all(len(v) == 20 for v in drawers.values())
    traced = [d for d in data.drawings if d.strokes]
    assert len(traced) == 242 * 20  # the small sets' characters: Greek and Latin in both archives, once
    small_sets = {"Balinese", "Early_Aramaic", "Greek", "Japanese_(katakana)", "Korean", "Latin", "Sanskrit", "Tagalog"}
    assert {data.characters[d.character].alphabet for d in traced} == small_sets
    assert all(s.ndim == 2 and s.shape[1] == 2 for d in traced for s in d.strokes)
    points = np.concatenate([s for d in traced for s in d.strokes])
    assert points.min() > -5 and points.max() < SIDE + 20  # picture pixels, y down (the files store y up)
    assert np.median(points, 0) == pytest.approx([SIDE / 2, SIDE / 2], abs=15)


def test_a_trajectory_lands_on_its_picture(data):
    """The strokes as read lie on the ink of the same drawing's picture (x right, y down)."""
    for d in [d for d in data.drawings if d.strokes][::997]:
        xy = np.concatenate(d.strokes).round().astype(int).clip(0, SIDE - 1)
        near_ink = [d.picture[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3].any() for x, y in xy]
        assert np.mean(near_ink) > 0.95


def test_unpacked_archives_and_torchvisions_layout_read_the_same(omniglot_folder, tmp_path, data):
    root = tmp_path / "omniglot-py"
    with zipfile.ZipFile(omniglot_folder / "strokes_background_small2.zip") as z:
        z.extractall(root)
    (root / "strokes_background_small2").rename(root / "strokes_background")
    with zipfile.ZipFile(omniglot_folder / "images_background_small2.zip") as z:
        z.extractall(root)
    (root / "images_background_small2").rename(root / "images_background")
    unpacked = Omniglot.load(tmp_path)
    assert len(unpacked.characters) == 156 and len(unpacked) == 156 * 20
    theirs = {(str(unpacked.characters[d.character]), d.drawer): d for d in unpacked.drawings}
    ours = {(str(data.characters[d.character]), d.drawer): d for d in data.drawings}
    for key in list(theirs)[::500]:
        assert np.array_equal(theirs[key].picture, ours[key].picture)
        assert all(np.array_equal(a, b) for a, b in zip(theirs[key].strokes, ours[key].strokes, strict=True))
    only_strokes = Omniglot.load(tmp_path, pictures=False)
    assert len(only_strokes) == 156 * 20 and all(d.picture is None and d.strokes for d in only_strokes.drawings)


def test_an_evaluation_alphabet_is_never_read_for_training(tmp_path):
    folder = tmp_path / "strokes_background" / EVALUATION_ALPHABETS[0] / "character01"
    folder.mkdir(parents=True)
    (folder / "0001_01.txt").write_text("START\n1,-1,0\n2,-2,5\nBREAK\n")
    with pytest.raises(ValueError, match=f"{EVALUATION_ALPHABETS[0]} is an evaluation alphabet"):
        Omniglot.load(tmp_path)
    (tmp_path / "empty").mkdir()
    picture = tmp_path / "pictures" / "images_background" / EVALUATION_ALPHABETS[3] / "character01"
    picture.mkdir(parents=True)
    Image.new("1", (SIDE, SIDE), 1).save(picture / "0001_01.png")
    with pytest.raises(ValueError, match=f"{EVALUATION_ALPHABETS[3]} is an evaluation alphabet"):
        Omniglot.load(tmp_path / "pictures")
    with pytest.raises(FileNotFoundError, match="no Omniglot background drawings"):
        Omniglot.load(tmp_path / "empty")


def test_the_one_shot_runs_and_their_rule(omniglot_folder, data):
    runs = one_shot_runs(omniglot_folder)
    assert [r.name for r in runs] == [f"run{i:02d}" for i in range(1, 21)]
    for run in runs:
        assert len(run.training) == len(run.test) == 20 and sorted(run.answer) == list(range(20))
        assert run.training[0].shape == (SIDE, SIDE, 3) and run.training[0].dtype == np.uint8
    # The rule: no picture of the runs is a picture of the background drawings training may use.
    digest = lambda p: hashlib.sha1(np.asarray(p).tobytes()).hexdigest()  # noqa: E731
    tested = {digest(p) for r in runs for p in r.training + r.test}
    background = set()
    for name in ("images_background_small1.zip", "images_background_small2.zip"):
        with zipfile.ZipFile(omniglot_folder / name) as z:
            for n in z.namelist():
                if n.endswith(".png") and "__MACOSX" not in n:
                    background.add(digest(Image.open(io.BytesIO(z.read(n))).convert("RGB")))
    assert len(background) > 4000 and not tested & background
    assert not set(data.alphabets) & set(EVALUATION_ALPHABETS)


def test_runs_drawn_from_background_characters_as_the_papers_are(data):
    """Runs from the characters asked for only: 20 of them, of one alphabet when asked, each drawn by two
    different people, the answer naming the test drawing's own character; the same seed, the same runs."""
    ink = {}
    for d in data.drawings:
        if d.picture is not None:
            ink.setdefault(np.packbits(d.picture).tobytes(), set()).add(d.character)
    owner = lambda p: ink[np.packbits(p[..., 0] < 128).tobytes()]  # noqa: E731
    asked = np.arange(0, len(data.characters), 2)  # every other character
    for within in (True, False):
        runs = background_runs(data, asked, 3, seed=5, within=within)
        assert len(runs) == 3
        for run in runs:
            assert len(run.training) == len(run.test) == 20 and sorted(run.answer) == list(range(20))
            characters = [owner(p) for p in run.training]
            assert all(len(c) == 1 for c in characters)  # a picture is one drawing of one character
            characters = [c.pop() for c in characters]
            assert len(set(characters)) == 20 and set(characters) <= set(asked.tolist())
            for i, test in enumerate(run.test):
                assert characters[run.answer[i]] in owner(test)
                assert not np.array_equal(test, run.training[run.answer[i]])  # another person's drawing
            alphabets = {data.characters[c].alphabet for c in characters}
            assert len(alphabets) == 1 if within else len(alphabets) > 1
    first, again = background_runs(data, asked, 2, seed=5), background_runs(data, asked, 2, seed=5)
    pictures = lambda runs: np.stack([p for r in runs for p in r.test + r.training])  # noqa: E731
    assert np.array_equal(pictures(first), pictures(again))
    with pytest.raises(ValueError, match="one alphabet"):
        background_runs(data, asked[:19], 1, seed=0)


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_fetches_checks_and_unpacks_in_torchvisions_layout(omniglot_folder, tmp_path):
    served = tmp_path / "server"
    served.mkdir()
    (served / "strokes_background.zip").write_bytes((omniglot_folder / "strokes_background_small1.zip").read_bytes())
    (served / "images_background.zip").write_bytes((omniglot_folder / "images_background_small1.zip").read_bytes())
    md5 = {n: hashlib.md5((served / n).read_bytes()).hexdigest() for n in ("images_background.zip",)}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Files, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        got = download(tmp_path / "out", url=url, archives={**md5, "strokes_background.zip": None})
        assert [p.name for p in got] == ["images_background.zip", "strokes_background.zip"]
        assert (tmp_path / "out" / "omniglot-py" / "images_background_small1" / "Korean").is_dir()
        got = Omniglot.load(tmp_path / "out")
        assert len(got.characters) == 136 and all(d.picture is not None and d.strokes for d in got.drawings)
        with pytest.raises(OSError, match="is not the archive expected"):
            download(tmp_path / "bad", url=url, archives={"images_background.zip": "0" * 32})
        with pytest.raises(OSError, match="could not download"):
            download(tmp_path / "none", url=url, archives={"missing.zip": None})
    finally:
        server.shutdown()
