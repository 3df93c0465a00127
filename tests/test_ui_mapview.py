"""The Map tab's picture (shapesim/ui/mapview.py): the atlas as SVG, the user's pictures as stars, the colour bar."""

import numpy as np
from test_ui_answers import small_atlas

from shapesim.atlas import Placement
from shapesim.heatmaps import VIRIDIS
from shapesim.ui.mapview import COLOUR_BAR, map_svg


def test_the_map_labels_a_star_on_its_roomier_side():
    atlas = small_atlas()
    right, left = atlas.coords[:, 0].argmax(), atlas.coords[:, 0].argmin()
    marks = [(f"your picture {s}", Placement(*atlas.coords[i], "circle", np.array([i]), np.array([1.0])))
             for s, i in (("A", right), ("B", left))]  # fmt: skip
    svg = map_svg(atlas, marks)
    assert svg.count("<circle") == len(atlas) and svg.count('class="mark"') == 2
    text = lambda label: svg.split(f">{label}</text>")[0].rsplit("<text", 1)[1]  # noqa: E731
    assert 'text-anchor="end"' in text("your picture A")  # at the right edge: to the star's left
    assert "text-anchor" not in text("your picture B")


def test_the_colour_bar_shows_the_heatmaps_own_colours():
    bar = COLOUR_BAR.format(meaning="where the gate looked")
    assert ",".join(VIRIDIS) in bar and "where the gate looked" in bar


def test_two_stars_in_one_place_are_both_seen():
    atlas = small_atlas()
    here = Placement(*atlas.coords[0], "circle", np.array([0]), np.array([1.0]))
    svg = map_svg(atlas, [("your picture A", here), ("your picture B", here)])
    paths = [p.split('d="M')[1].split(" ")[0] for p in svg.split('class="mark"')[1:]]
    assert len(paths) == 2 and paths[0] != paths[1]  # B's star moved off A's
