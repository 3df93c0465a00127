"""What pictures look like and how pairs are made of them: :class:`PairSpec` and the named presets."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .shapes import FAMILY_NAMES, NAMED, check_families

__all__ = ["STYLES", "COLOURS", "PRESETS", "PairSpec", "preset"]

STYLES: tuple[str, ...] = ("fill", "outline", "sketch")
COLOURS: tuple[str, ...] = ("contrast", "equal-luma", "uniform")  # how a picture's two colours are drawn


@dataclass(frozen=True)
class PairSpec:
    """What pictures look like and how pairs are made of them.

    ``families`` are the families of :mod:`shapesim.shapes` identities come from
    (each as likely as the others); ``named`` the named shapes the ``named``
    family may show. Sizes are the shape's radius as a fraction of half the image
    (0.5 fills half the width); aspect is the largest long/short axis ratio.
    ``colours`` are the shares of pictures whose colours differ in brightness by at
    least ``min_contrast`` (luma), of nearly equal brightness (red on purple), and
    drawn independently and uniformly, as the origin project does; ``hard_edges``
    the share drawn without anti-aliasing, as a plain rasteriser does. ``framed`` is
    the share of pictures drawn as :func:`shapesim.images.frame` shows a user's picture
    to the model (the ink's bounding box centred, its longest side about ``FILL`` of
    the picture); the others lie anywhere at any size.
    """

    families: tuple[str, ...] = FAMILY_NAMES
    named: tuple[str, ...] = NAMED
    styles: tuple[str, ...] = ("fill", "outline")
    size: tuple[float, float] = (0.15, 0.85)
    aspect: float = 1.15
    sketch_aspect: float = 1.25
    colours: tuple[float, float, float] = (0.6, 0.2, 0.2)
    min_contrast: float = 0.3
    hard_edges: float = 0.25
    framed: float = 0.0
    hard_negatives: float = 0.25
    hard_positives: float = 0.25

    def __post_init__(self) -> None:
        object.__setattr__(self, "families", check_families(tuple(self.families)))
        unknown = [n for n in self.named if n not in NAMED]
        if unknown:
            raise ValueError(f"unknown named shape {unknown}; valid named shapes: {', '.join(NAMED)}")
        object.__setattr__(self, "named", tuple(self.named))
        if "named" in self.families and not self.named:
            raise ValueError("the named family needs at least one named shape")
        if len(self.families) == 1 and (self.families[0] == "named" and len(self.named) < 2):
            raise ValueError(f"a pair spec needs at least two shapes to make different pairs, got {self.named}")
        if not self.families:
            raise ValueError("a pair spec needs at least one family")
        object.__setattr__(self, "styles", tuple(self.styles))
        bad = [s for s in self.styles if s not in STYLES]
        if bad or not self.styles:
            raise ValueError(f"unknown style {bad or '(none)'}; valid styles: {', '.join(STYLES)}")
        lo, hi = self.size
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"size must satisfy 0 < low <= high <= 1 (fraction of half the image), got {self.size}")
        if self.aspect < 1 or self.sketch_aspect < 1:
            raise ValueError("aspect ratios must be >= 1 (long axis / short axis)")
        if not 0 <= self.min_contrast <= 0.85:
            raise ValueError(f"min_contrast must be between 0 and 0.85 (luma difference), got {self.min_contrast}")
        if len(self.colours) != 3 or min(self.colours) < 0 or abs(sum(self.colours) - 1) > 1e-6:
            raise ValueError(f"colours must be three shares ({', '.join(COLOURS)}) adding up to 1, got {self.colours}")
        for name in ("hard_negatives", "hard_positives", "hard_edges", "framed"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {getattr(self, name)}")

    def without(self, holdout: tuple[str, ...] | list[str]) -> PairSpec:
        """The same spec without the ``holdout`` families and named shapes."""
        _check_names(holdout)
        return replace(
            self,
            families=tuple(f for f in self.families if f not in holdout),
            named=tuple(n for n in self.named if n not in holdout),
        )

    def only(self, names: tuple[str, ...] | list[str]) -> PairSpec:
        """The same spec with only these families and named shapes (a named shape implies its family)."""
        _check_names(names)
        named = tuple(n for n in self.named if n in names) or (self.named if "named" in names else ())
        families = tuple(f for f in self.families if f in names or (f == "named" and named))
        return replace(self, families=families, named=named or self.named)


def _check_names(names) -> None:
    unknown = [n for n in names if n not in FAMILY_NAMES and n not in NAMED]
    if unknown:
        raise ValueError(
            f"unknown family or named shape {unknown}; valid families: {', '.join(FAMILY_NAMES)}; "
            f"named shapes: {', '.join(NAMED)}"
        )


PRESETS: dict[str, PairSpec] = {
    # The origin project's data: a filled circle or square anywhere, of any size, in independent
    # uniform colours, half of them with the hard edges of a plain rasteriser; plain random pairs.
    "seed": PairSpec(families=("named",), named=("circle", "square"), styles=("fill",), colours=(0, 0, 1),
                     hard_edges=0.5, hard_negatives=0.0, hard_positives=0.0),
    # The nine named shapes, filled and outlined; most pictures as framing shows them.
    "shapes": PairSpec(families=("named",), framed=0.6),
    # The nine named shapes drawn by hand: dark wobbly strokes on a light background.
    "sketch": PairSpec(families=("named",), styles=("sketch",), framed=0.6),
    # The nine named shapes in every style.
    "mixed": PairSpec(families=("named",), styles=STYLES, framed=0.6),
    # Shapes without end: every family in every style; what the bundled model trains on (some held out).
    "open": PairSpec(styles=STYLES, framed=0.6),
}  # fmt: skip


def preset(name: str, holdout: tuple[str, ...] | list[str] = ()) -> PairSpec:
    """The named preset, optionally without some families or named shapes."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    spec = PRESETS[name]
    return spec.without(holdout) if holdout else spec
