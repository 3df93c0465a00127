"""The app's drawing sheet (shapesim/ui/sheet.py): strokes as the browser sends them, drawn again here."""

import base64
import io

import numpy as np
from PIL import Image

from shapesim.ui import sheet


def test_a_blank_sheet_is_no_picture_and_strokes_are_drawn_in_black_on_white():
    assert sheet.picture(sheet.blank()) is None and sheet.picture(None) is None
    value = {**sheet.blank(), "strokes": [[40, 140, 240, 140], [140.5, 40, 140.5, 240]]}
    picture = sheet.picture(value)
    assert picture.shape == (280, 280, 3) and picture.dtype == np.uint8
    assert (picture[140, 60] == 0).all() and (picture[60, 140] == 0).all()  # both strokes
    assert (picture[20, 20] == 255).all() and (picture[100, 140 + sheet.PEN] == 255).all()  # the pen's width


def test_a_tap_is_a_dot_and_nonsense_from_a_browser_is_left_out():
    value = {**sheet.blank(), "strokes": [[100, 100], "nonsense", [1, "x"], [float("nan"), 3, 4, 5], [50, 50, 60]]}
    picture = sheet.picture(value)
    assert (picture[100, 100] == 0).all() and (picture[200, 200] == 255).all()
    assert (picture[50, 50] == 0).all()  # a stroke with an odd number keeps its whole points


def test_an_upload_is_shown_small_and_drawn_over_whole():
    big = np.full((1200, 1600, 3), 255, np.uint8)
    big[500:700, 700:900] = (200, 30, 30)
    value = sheet.showing(big)
    assert (value["width"], value["height"]) == (560, 420) and value["strokes"] == []
    shown = Image.open(io.BytesIO(base64.b64decode(value["picture"].split(",", 1)[1])))
    assert shown.size == (560, 420)  # the browser gets a copy to look at
    assert np.array_equal(sheet.picture(value, big), big)  # the model gets the upload whole
    value["strokes"] = [[0, 210, 560, 210]]  # across the middle of the shown copy
    drawn = sheet.picture(value, big)
    assert drawn.shape == big.shape and (drawn[600, 100] == 0).all() and (drawn[100, 100] == 255).all()
    assert sheet.is_drawn(value, big) and not sheet.is_drawn(sheet.blank())
