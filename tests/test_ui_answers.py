"""What the app shows, as plain data (shapesim/ui/answers.py): answers, mistakes in words, uploads, random pairs."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shapesim.atlas import Atlas
from shapesim.card import weights_summary
from shapesim.hub import WeightsSource
from shapesim.predict import Predictor
from shapesim.ui import answers, sheet
from shapesim.ui.answers import Mistake
from shapesim.ui.models import Predictors


def small_atlas() -> Atlas:
    rng = np.random.default_rng(0)
    n = 90
    emb = rng.normal(size=(n, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    pictures = rng.integers(0, 255, (n, 32, 32)).astype(np.uint8)
    return Atlas(emb, rng.normal(size=(n, 2)).astype(np.float32), np.arange(n) % 9, np.arange(n) % 3, pictures,
                 holdout=("arrow",))  # fmt: skip


@pytest.fixture(scope="module")
def atlas():
    return small_atlas()


def drawing(kind: str, size=280) -> np.ndarray:
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    if kind == "circle":
        d.ellipse((70, 70, 210, 210), outline="black", width=6)
    else:
        d.rectangle((70, 70, 210, 210), outline="black", width=6)
    return np.asarray(img)


def test_the_sheets_as_pictures():
    """A blank sheet is no picture yet; strokes on paper, or an upload kept whole, are."""
    stroke = {**sheet.blank(), "strokes": [[60, 60, 200, 60, 200, 200]]}
    upload = drawing("square", size=400)
    a, b = answers.pictures((stroke, sheet.showing(upload)), (None, upload))
    assert a.shape == (280, 280, 3) and (a[60, 100] == 0).all() and (a[150, 100] == 255).all()
    assert b.shape == (400, 400, 3) and np.array_equal(b, upload)
    assert answers.pictures((sheet.blank(), None), (None, None)) == (None, None)


def test_compare_gives_verdict_similarity_heatmaps_and_map_points(predictor, atlas):
    got = answers.compare(predictor, atlas, drawing("circle"), drawing("square"))
    assert set(got.verdict) == {"same shape", "different shapes"} and got.mistake is None
    assert sum(got.verdict.values()) == pytest.approx(1.0)
    assert "Cosine similarity" in got.similarity
    assert got.heat_a.shape == got.heat_b.shape == (280, 280, 3) and got.heat_a.dtype == np.uint8
    swapped = answers.compare(predictor, atlas, drawing("square"), drawing("circle"))
    assert swapped.verdict == got.verdict and swapped.similarity == got.similarity  # exactly, either way round
    assert np.array_equal(swapped.heat_a, got.heat_b)
    assert [label for label, _ in got.placed] == ["your picture A", "your picture B"]


@pytest.mark.parametrize(
    "a, b, message",
    [
        (None, "square", "Picture A is empty"),
        ("circle", None, "Picture B is empty"),  # an untouched sheet
        ("blank", "square", "nothing is drawn"),  # an upload of blank paper
        ("tiny", "square", "too small"),
    ],
)
def test_bad_input_is_a_mistake_in_words(predictor, atlas, a, b, message, caplog):
    pictures = {
        "circle": drawing("circle"),
        "square": drawing("square"),
        "blank": np.full((280, 280, 3), 255, np.uint8),
        "tiny": np.zeros((2, 2, 3), np.uint8),
    }
    a, b = (pictures.get(x, x) if isinstance(x, str) else x for x in (a, b))
    with caplog.at_level("INFO", logger="shapesim.ui.answers"), pytest.raises(Mistake, match=message):
        answers.compare(predictor, atlas, a, b)
    assert caplog.records[-1].getMessage().startswith("refused: ")  # one line in the log, no traceback
    shown = answers.answer(predictor, atlas, a, b)  # as the page shows it: the mistake in the verdict's place
    assert message in shown.mistake and shown.verdict is None and shown.heat_a is None and shown.placed == []


def test_an_upload_is_read_by_shapesims_reader(tmp_path):
    Image.new("RGB", (400, 300), "navy").save(tmp_path / "wide.png")
    value = answers.uploaded(str(tmp_path / "wide.png"), "A")
    assert value.shape == (300, 400, 3)  # at its own size, no letterbox
    (tmp_path / "notes.png").write_text("eggs, milk")
    with pytest.raises(Mistake, match="Picture B cannot be used: notes.png is not a picture"):
        answers.uploaded(str(tmp_path / "notes.png"), "B")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + bytes(11_000_000))
    with pytest.raises(Mistake, match="Picture A cannot be used: it is too large: 11 MB; the limit is 10 MB"):
        answers.uploaded(str(big), "A")


def test_find_similar_gives_the_nearest_reference_pictures_or_says_why_not(predictor, atlas, variants):
    found, why = answers.similar(predictor, atlas, drawing("circle"), k=5)
    assert len(found) == 5 and found[0][0].shape == (32, 32, 3) and why == ""
    sims = [float(caption.rsplit("·", 1)[1]) for _, caption in found]
    assert sims == sorted(sims, reverse=True)
    assert answers.similar(predictor, None, drawing("circle")) == ([], answers.similar(predictor, None, None)[1])
    assert "without a map" in answers.similar(predictor, None, drawing("circle"))[1]
    assert "Draw or upload picture A first" in answers.similar(predictor, atlas, None)[1]
    assert "nothing is drawn" in answers.similar(predictor, atlas, np.full((280, 280, 3), 255, np.uint8))[1]
    concat = Predictors(predictor, variants).get("concat")
    assert "no embeddings" in answers.similar(concat, atlas, drawing("circle"))[1]
    assert "no embeddings" in answers.no_map_for(concat, "agfusion (local folder)")


def test_random_pair_fills_both_editors_and_counts_on():
    a, b, note, counter = answers.random_pair("shapes", 3)
    assert a.shape == (sheet.SIDE, sheet.SIDE, 3) and a.dtype == np.uint8
    assert counter == 4 and "preset `shapes`" in note
    again, _, _, _ = answers.random_pair("shapes", 3)
    assert np.array_equal(again, a)


def test_model_card_says_where_the_weights_came_from(predictor):
    text = weights_summary(predictor)
    assert "local folder" in text and "attention gate" in text
    fallback = Predictor(
        predictor.model, WeightsSource(predictor.source.path, "bundled", "x", fallback_reason="Hub down")
    )
    assert "Hub down" in weights_summary(fallback)


def test_compare_with_a_design_without_maps_or_similarity(predictor, variants, atlas):
    concat = Predictors(predictor, variants).get("concat")
    got = answers.compare(concat, atlas, drawing("circle"), drawing("square"))
    assert sum(got.verdict.values()) == pytest.approx(1.0)
    assert "no similarity" in got.similarity and "no map" in got.similarity
    assert got.heat_a.shape == (280, 280, 3) and (got.heat_a[0, 0] == 255).all()  # the picture as it is, close
    assert got.placed == []  # no embeddings: nothing to place on the map
    assert "`concat`" in weights_summary(concat) and "one CNN" in weights_summary(concat)


def test_a_client_that_goes_away_is_one_line_in_the_log():
    import logging

    from starlette.requests import ClientDisconnect

    answers.quiet_disconnects()
    try:
        raise RuntimeError("upload failed") from ClientDisconnect()
    except RuntimeError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI app", (), None)
        import sys

        record.exc_info = sys.exc_info()
    for f in logging.getLogger("uvicorn.error").filters:
        f.filter(record)
    assert record.getMessage() == "a client went away during a request" and record.exc_info is None
    other = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "something else", (), None)
    assert logging.getLogger("uvicorn.error").filter(other) and other.getMessage() == "something else"


def test_a_turned_copy_is_answered_same_shape_turned_and_strict_on_request():
    from fakes import letter_f, overlap_predictor

    upright, f = overlap_predictor(), letter_f()
    mirrored = np.asarray(f.transpose(Image.FLIP_LEFT_RIGHT))
    got = answers.compare(upright, None, np.asarray(f), mirrored)
    assert max(got.verdict, key=got.verdict.get) == "same shape, mirrored left to right"
    strict = answers.compare(upright, None, np.asarray(f), mirrored, turns=False)
    assert max(strict.verdict, key=strict.verdict.get) == "different shapes"
    assert "no similarity of its own" in got.similarity and got.cosine is None
