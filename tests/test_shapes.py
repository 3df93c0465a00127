"""The vocabulary: every family makes outlines that fit, the same identity the same way, and near misses
that differ from it by the definition of "the same shape"."""

import socket

import numpy as np
import pytest

from shapesim.raster import render
from shapesim.sampling import sample_images
from shapesim.shapes import (
    FAMILIES,
    FAMILY_NAMES,
    GLYPHS,
    NAMED,
    P,
    _cached,
    check_families,
    draw_identities,
    family_index,
    identity_names,
    near_misses,
    outline,
)
from shapesim.spec import PairSpec


def identities(name: str, n: int = 40, seed: int = 0):
    u = np.random.default_rng(seed).random((n, 33))
    return draw_identities(u, families=(name,))


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_every_outline_is_centred_and_reaches_the_unit_circle(name):
    family, params = identities(name)
    o = outline(family, params)
    assert o.points.shape[0] == len(family) and o.points.shape[-1] == 2
    assert (o.count.max(1) >= 2).all()
    assert (o.count[o.closed] >= 3).all()  # a closed contour bounds an area
    used = np.arange(o.points.shape[2])[None, None, :] < o.count[:, :, None]
    radius = np.where(used, np.linalg.norm(o.points, axis=-1), 0).max(axis=(1, 2))
    assert np.allclose(radius, 1, atol=1e-6)
    lo = np.where(used[..., None], o.points, np.inf).min(axis=(1, 2))
    hi = np.where(used[..., None], o.points, -np.inf).max(axis=(1, 2))
    assert np.allclose((lo + hi) / 2, 0, atol=1e-6)  # centred on its bounding box


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_same_uniforms_give_the_same_identity_and_the_same_outline(name):
    (f1, p1), (f2, p2) = identities(name, seed=3), identities(name, seed=3)
    assert np.array_equal(f1, f2) and np.array_equal(p1, p2) and p1.shape[1] == P
    o1, o2 = outline(f1, p1), outline(f2, p2)
    assert np.array_equal(o1.points, o2.points) and np.array_equal(o1.count, o2.count)
    other = identities(name, seed=4)[1]
    if not FAMILIES[family_index(name)].fixed:
        assert not np.array_equal(p1, other)  # a family without end makes new shapes


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_near_misses_are_other_identities_of_the_same_family(name):
    family, params = identities(name, n=60)
    fam_near, near = near_misses(family, params, np.random.default_rng(1).random(60))
    assert np.array_equal(fam_near, family)
    assert (np.abs(near - params).max(axis=1) > 0).all()  # every one is another identity
    names = identity_names(family, params)
    assert all(isinstance(n, str) and n for n in names)


def test_near_misses_differ_by_the_definition():
    """A different number of sides or points, one vertex moved far, another letter: never a transform."""
    family, params = identities("polygon", n=50)
    _, near = near_misses(family, params, np.random.default_rng(2).random(50))
    assert (np.abs(near[:, 0] - params[:, 0]) == 1).all()  # a hexagon and a heptagon
    family, params = identities("star-polygon", n=50)
    _, near = near_misses(family, params, np.random.default_rng(2).random(50))
    points = near[:, 0] != params[:, 0]
    assert (np.abs(near[points, 0] - params[points, 0]) == 1).all()  # a five- and a six-pointed star
    assert (np.abs(near[~points, 1] - params[~points, 1]) >= 0.2).all()  # or much deeper points
    family, params = identities("irregular", n=50)
    _, near = near_misses(family, params, np.random.default_rng(2).random(50))
    ratio = near[:, 9:17] / params[:, 9:17]
    assert ((ratio < 0.5) | (ratio > 1.4)).sum(axis=1).tolist() == [1] * 50  # exactly one vertex moved far


def _profile(mask: np.ndarray) -> np.ndarray:
    """How a mask's area lies around its centroid, at distances in units of sqrt(area): a histogram that
    position, size, rotation and reflection leave as it is."""
    ys, xs = np.nonzero(mask)
    r = np.hypot(xs - xs.mean(), ys - ys.mean()) / np.sqrt(len(xs))
    return np.histogram(r, bins=20, range=(0, 2))[0] / len(xs)


def _masks(family, params, seed):
    """Filled pictures of the identities, each turned, mirrored and placed at random (no stretch)."""
    spec = PairSpec(styles=("fill",), aspect=1.0, size=(0.8, 0.8), colours=(1, 0, 0), hard_edges=0)
    p = sample_images(spec, seed, np.arange(len(family)), family=family, shape=params)
    cover = ((render(p, 128) - p.bg[:, :, None, None]) / (p.fg - p.bg)[:, :, None, None]).mean(1)
    return (cover > 0.5).numpy()


@pytest.mark.parametrize("name", ["named", "irregular", "blob", "composite", "glyph"])
def test_turned_and_mirrored_pictures_of_one_identity_agree_and_near_misses_do_not(name):
    """Rotation and reflection leave an identity's shape as it is (the same profile, to the pixels);
    its near misses are told apart by the same measure, in most cases by far."""
    family, params = identities(name, n=24)
    _, near = near_misses(family, params, np.random.default_rng(5).random(24))
    one, again, other = _masks(family, params, 1), _masks(family, params, 2), _masks(family, near, 3)
    same = np.array([np.abs(_profile(a) - _profile(b)).sum() for a, b in zip(one, again, strict=True)])
    apart = np.array([np.abs(_profile(a) - _profile(b)).sum() for a, b in zip(one, other, strict=True)])
    assert np.median(same) < 0.1
    assert np.median(apart) > 2 * np.median(same)


def test_glyphs_need_no_network(monkeypatch):
    """The letters come from the font matplotlib ships: nothing is fetched."""

    def no_network(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "socket", no_network)
    _cached.cache_clear()
    family = np.full(len(GLYPHS), family_index("glyph"))
    params = np.zeros((len(GLYPHS), P))
    params[:, 0] = np.arange(len(GLYPHS))
    o = outline(family, params)
    assert (o.count.max(1) >= 3).all()
    assert identity_names(family[:2], params[:2]) == ["glyph A", "glyph B"]


def test_the_named_family_shows_only_the_named_shapes_asked_for():
    u = np.random.default_rng(0).random((200, 33))
    family, params = draw_identities(u, families=("named",), named=("circle", "square"))
    assert set(params[:, 0].astype(int)) == {NAMED.index("circle"), NAMED.index("square")}
    _, near = near_misses(family, params, u[:, 0], named=("circle", "square"))
    assert (near[:, 0] != params[:, 0]).all() and set(near[:, 0].astype(int)) <= {0, 1}


def test_unknown_family_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid families: named, polygon"):
        check_families(["hexagram"])
