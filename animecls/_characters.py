"""Draw the embedded default data set: anime-style character portraits.

The report's pictures are not ours to ship and no network is reachable at run
time, so [`make_characters`][animecls.datasets.make_characters] draws its own
characters with Pillow from a design sheet
([`CharacterDesign`][animecls.datasets.CharacterDesign]), deterministically
from a seed.
"""

import colorsys
import contextlib
import io
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter
from sklearn.utils import Bunch

from ._folders import save_image_folder
from ._validation import (
    check_choice,
    check_fraction,
    check_image_size,
    check_test_size,
    is_int,
)

__all__ = [
    "CharacterDesign",
    "DEFAULT_CHARACTERS",
    "DIFFICULTY_LEVELS",
    "TRAITS",
    "make_characters",
    "make_shortcut_characters",
]

HAIR_STYLES = ("long", "bob", "short", "ponytail", "twintails")
BANGS = ("blunt", "side_swept", "parted", "wispy")
OUTFITS = ("shirt", "blazer", "sailor", "dress", "sweater")
ACCESSORIES = (
    "hairband",
    "hair_clips",
    "earrings",
    "ribbon",
    "glasses",
    "hair_flower",
    "choker",
)
TRAITS = ("hair", "eyes", "accessories", "outfit")
"""The parts of a drawing that tell the characters apart, as masks can mark them.

The rest of the figure (skin, face, brows, nose, mouth) looks the same on
every character. ``make_characters(..., return_masks=True)`` marks where
each picture shows them, which [`animecls.interpretation.trait_attention`][]
compares with where a model looks.
"""
NUISANCES = ("background", "watermark")


def _parse_color(value, field):
    """Return ``value`` as an ``(r, g, b)`` tuple of ints in [0, 255]."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 7 and text.startswith("#"):
            try:
                return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))
            except ValueError:
                pass
    elif isinstance(value, tuple | list) and len(value) == 3:
        if all(
            isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255
            for c in value
        ):
            return tuple(int(c) for c in value)
    raise ValueError(
        f"{field} must be a '#rrggbb' string or an (r, g, b) tuple of ints in "
        f"[0, 255]. Received: {field}={value!r}"
    )


@dataclass(frozen=True)
class CharacterDesign:
    """A design sheet: what makes one drawn character recognisable.

    Colours are ``"#rrggbb"`` strings or ``(r, g, b)`` tuples; they are stored
    as tuples of ints.

    Parameters
    ----------
    name : str
        The character's name; also the class name and the folder name when
        the set is written to disk.
    hair_color : str or tuple of int
        Main hair colour.
    hair_style : {"long", "bob", "short", "ponytail", "twintails"}
        Shape of the hair behind the face.
    bangs : {"blunt", "side_swept", "parted", "wispy"}
        Shape of the fringe over the forehead.
    eye_color : str or tuple of int
        Iris colour.
    skin_color : str or tuple of int, default="#fbe3d4"
        Skin colour.
    hair_tip_color : str, tuple of int or None, default=None
        If given, the ends of the hair fade to this colour (dyed tips).
    accessories : tuple of str, default=()
        Any of ``"hairband"``, ``"hair_clips"``, ``"earrings"``,
        ``"ribbon"``, ``"glasses"``, ``"hair_flower"``, ``"choker"``.
    accessory_color : str or tuple of int, default="#d9a933"
        Colour of the accessories (gold by default).
    outfit : {"shirt", "blazer", "sailor", "dress", "sweater"}, default="blazer"
        Cut of the clothes and collar.
    outfit_colors : tuple of two colours, default=("#2b3556", "#c23a4a")
        Main colour of the clothes, then the accent colour (tie, ribbon,
        sailor collar or trim, depending on ``outfit``).
    sidelocks : bool, default=True
        Draw locks of hair falling in front of the ears, framing the face.

    Raises
    ------
    ValueError
        If a field has the wrong type or an unknown value.

    See Also
    --------
    make_characters : Draw a data set of these characters.

    Examples
    --------
    >>> from animecls.datasets import CharacterDesign
    >>> rei = CharacterDesign(
    ...     name="Rei",
    ...     hair_color="#9fc4e8",
    ...     hair_style="bob",
    ...     bangs="blunt",
    ...     eye_color="#c8283c",
    ...     accessories=("hair_clips",),
    ... )
    >>> rei.hair_color
    (159, 196, 232)
    """

    name: str
    hair_color: tuple
    hair_style: str
    bangs: str
    eye_color: tuple
    skin_color: tuple = "#fbe3d4"
    hair_tip_color: tuple | None = None
    accessories: tuple = ()
    accessory_color: tuple = "#d9a933"
    outfit: str = "blazer"
    outfit_colors: tuple = ("#2b3556", "#c23a4a")
    sidelocks: bool = True

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(
                f"name must be a non-empty string. Received: name={self.name!r}"
            )
        if any(c in self.name for c in '/\\:*?"<>|') or self.name.startswith("."):
            # The name becomes a folder name when the set is written to disk.
            raise ValueError(
                'name must be usable as a folder name (none of / \\ : * ? " < > | and '
                f"no leading dot). Received: name={self.name!r}"
            )
        for field in ("hair_color", "eye_color", "skin_color", "accessory_color"):
            object.__setattr__(self, field, _parse_color(getattr(self, field), field))
        if self.hair_tip_color is not None:
            object.__setattr__(
                self,
                "hair_tip_color",
                _parse_color(self.hair_tip_color, "hair_tip_color"),
            )
        if self.hair_style not in HAIR_STYLES:
            raise ValueError(
                f"hair_style must be one of {HAIR_STYLES}. "
                f"Received: hair_style={self.hair_style!r}"
            )
        if self.bangs not in BANGS:
            raise ValueError(
                f"bangs must be one of {BANGS}. Received: bangs={self.bangs!r}"
            )
        if self.outfit not in OUTFITS:
            raise ValueError(
                f"outfit must be one of {OUTFITS}. Received: outfit={self.outfit!r}"
            )
        accessories = self.accessories
        if isinstance(accessories, str) or not isinstance(accessories, tuple | list):
            raise ValueError(
                "accessories must be a tuple of accessory names. "
                f"Received: accessories={accessories!r}"
            )
        unknown = [a for a in accessories if a not in ACCESSORIES]
        if unknown:
            raise ValueError(
                f"accessories must be drawn from {ACCESSORIES}. "
                f"Received: accessories={tuple(accessories)!r}"
            )
        object.__setattr__(self, "accessories", tuple(dict.fromkeys(accessories)))
        colors = self.outfit_colors
        if isinstance(colors, str) or not isinstance(colors, tuple | list):
            colors = None
        if colors is None or len(colors) != 2:
            raise ValueError(
                "outfit_colors must be a pair of colours (clothes, collar). "
                f"Received: outfit_colors={self.outfit_colors!r}"
            )
        try:
            parsed = tuple(_parse_color(c, "outfit_colors") for c in colors)
        except ValueError:
            raise ValueError(
                "outfit_colors must be a pair of '#rrggbb' strings or (r, g, b) "
                "tuples of ints in [0, 255]. "
                f"Received: outfit_colors={self.outfit_colors!r}"
            ) from None
        object.__setattr__(self, "outfit_colors", parsed)
        if not isinstance(self.sidelocks, bool):
            raise ValueError(
                "sidelocks must be True or False. "
                f"Received: sidelocks={self.sidelocks!r}"
            )


DEFAULT_CHARACTERS = (
    CharacterDesign(
        name="Marin Kitagawa",
        hair_color="#f2d47c",
        hair_tip_color="#f07fa8",
        hair_style="long",
        bangs="wispy",
        eye_color="#d94a6e",
        accessories=("earrings",),
        accessory_color="#c9ccd6",
        outfit="shirt",
        outfit_colors=("#f6f6f4", "#b3283a"),
    ),
    CharacterDesign(
        name="Micchon Shikimori",
        hair_color="#f2a2bb",
        hair_style="bob",
        bangs="blunt",
        eye_color="#b2507e",
        accessories=("hair_clips",),
        accessory_color="#f5f0e6",
        outfit="blazer",
        outfit_colors=("#2b3556", "#c23a4a"),
    ),
    CharacterDesign(
        name="Yor Forger",
        hair_color="#25222b",
        hair_style="long",
        bangs="side_swept",
        eye_color="#c41e3a",
        accessories=("hairband", "earrings"),
        accessory_color="#d9a933",
        outfit="dress",
        outfit_colors=("#1b1a1f", "#9e1b2c"),
    ),
)
"""The three default designs, named after the report's characters.

Alphabetical, so that their class numbers are the ones
[`load_image_folder`][animecls.datasets.load_image_folder] gives the folders
[`save_image_folder`][animecls.datasets.save_image_folder] writes: Marin
Kitagawa (long blonde hair with pink tips, earrings, white shirt and red tie),
Micchon Shikimori (pink bob with blunt bangs, hair clips, navy blazer) and Yor
Forger (long black hair, gold hairband and earrings, black dress).
"""


# Named difficulty levels; "default" is calibrated so that the report's
# figures hold (see benchmarks/README.md).
DIFFICULTY_LEVELS = {"easy": 0.3, "default": 0.8, "hard": 1.0}

_DEFAULT_TOTAL = 185  # the report's number of pictures
_MIN_SIZE = 32

# The character is drawn in design units: the face is about 40 units wide and
# centred on x=50, and 100 units span the picture at zoom 1.
_ANCHOR = (50.0, 45.0)  # the face centre, placed near the picture centre
_WHITE = (255, 255, 255)
_CIRCLE = np.linspace(0, 2 * np.pi, 29)[:-1].tolist()


def _mix(a, b, t):
    return tuple(int(round(a[i] + (b[i] - a[i]) * t)) for i in range(3))


def _shade(color, factor):
    """Darken (factor < 1) or lighten towards white (factor > 1)."""
    if factor <= 1:
        return tuple(int(round(c * factor)) for c in color)
    return _mix(color, _WHITE, min(factor - 1, 1))


def _luma(color):
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]


def _outline_of(color, darkness=0.55):
    # Dark colours get a near-black line, light ones a darker shade of
    # themselves, as in cel-shaded line art.
    if _luma(color) < 60:
        return (12, 10, 14)
    return _shade(color, darkness)


def _spline(points, closed=True, steps=5):
    """Sample a Catmull-Rom spline through ``points``."""
    pts = list(points)
    n = len(pts)
    out = []
    last = n if closed else n - 1
    for i in range(last):
        p0 = pts[(i - 1) % n] if closed or i > 0 else pts[0]
        p1 = pts[i]
        p2 = pts[(i + 1) % n]
        p3 = pts[(i + 2) % n] if closed or i + 2 < n else pts[-1]
        for s in range(steps):
            t = s / steps
            t2 = t * t
            t3 = t2 * t
            out.append(
                tuple(
                    0.5
                    * (
                        2 * p1[k]
                        + (p2[k] - p0[k]) * t
                        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                        + (3 * p1[k] - p0[k] - 3 * p2[k] + p3[k]) * t3
                    )
                    for k in (0, 1)
                )
            )
    if not closed:
        out.append(pts[-1])
    return out


def _mirror(points):
    return [(100.0 - x, y) for x, y in points]


class _Pen:
    """Draw in design units straight onto the picture.

    Every point goes through one similarity transform (zoom, tilt, mirror
    image, shift), so the character is posed without resampling it; ellipses
    become polygons so that they tilt with the rest.
    """

    def __init__(self, canvas, unit, origin, angle, mirror, masks=None):
        self.canvas = canvas
        self.unit = unit
        self._origin = origin
        self._cos, self._sin = math.cos(angle), math.sin(angle)
        self._flip = -1.0 if mirror else 1.0
        # "RGBA" on an RGB picture blends translucent fills (blush, shine).
        self._draw = ImageDraw.Draw(canvas, "RGBA")
        self._masks = masks
        self._part = None

    @contextlib.contextmanager
    def drawing(self, part):
        """Mark what is drawn inside the block as ``part`` of the figure."""
        before, self._part = self._part, part
        try:
            yield
        finally:
            self._part = before

    def _mark(self, shape, xy, fill, **options):
        if self._masks is not None:
            self._masks.mark(shape, xy, self._part, _is_opaque(fill), **options)

    def xy(self, points):
        u, c, s, f = self.unit, self._cos, self._sin, self._flip
        ox, oy = self._origin
        ax, ay = _ANCHOR
        out = []
        for x, y in points:
            dx, dy = (x - ax) * f, y - ay
            out.append((ox + u * (c * dx - s * dy), oy + u * (s * dx + c * dy)))
        return out

    def design_y(self, step):
        """Return the design-unit height of every ``step``-th pixel."""
        w, h = self.canvas.size
        ox, oy = self._origin
        xs = np.arange(0, w + step, step, dtype=np.float32) - ox
        ys = np.arange(0, h + step, step, dtype=np.float32) - oy
        return _ANCHOR[1] + (ys[:, None] * self._cos - xs[None, :] * self._sin) / (
            self.unit
        )

    def px(self, width):
        return max(1, int(round(width * self.unit)))

    def polygon(self, points, fill, outline=None, width=0.0):
        xy = self.xy(points)
        self._draw.polygon(xy, fill=fill)
        self._mark("polygon", xy, fill)
        if outline is not None and width > 0:
            self.line(points + points[:1], outline, width)

    def ellipse(self, box, fill, outline=None, width=0.0):
        x0, y0, x1, y1 = box
        cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        points = [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in _CIRCLE]
        if fill is not None:
            xy = self.xy(points)
            self._draw.polygon(xy, fill=fill)
            self._mark("polygon", xy, fill)
        if outline is not None and width > 0:
            self.line(points + points[:1], outline, width)

    def line(self, points, fill, width):
        xy, px = self.xy(points), self.px(width)
        self._draw.line(xy, fill=fill, width=px, joint="curve")
        self._mark("line", xy, fill, width=px, joint="curve")

    def hair(self, polygons, gradient, outline, width):
        """Fill hair shapes with a colour gradient, then ink them."""
        mask = Image.new("L", self.canvas.size, 0)
        draw = ImageDraw.Draw(mask)
        for points in polygons:
            xy = self.xy(points)
            draw.polygon(xy, fill=255)
            self._mark("polygon", xy, _WHITE)
        self.canvas.paste(gradient, (0, 0), mask)
        for points in polygons:
            self.line(points + points[:1], outline, width)


def _is_opaque(color):
    return len(color) == 3 or color[3] == 255


class _Masks:
    """Where the pen drew the figure and its traits, at the pen's resolution.

    Opaque shapes of a trait paint the trait mask, opaque shapes of any other
    part erase it (the face covers the hair behind it), and see-through
    fills (blush, shine, lenses) leave it as it was.
    """

    def __init__(self, size, traits):
        self.traits = frozenset(traits)
        self.images = {
            "masks": Image.new("L", size, 0),
            "silhouettes": Image.new("L", size, 0),
        }
        self._traits = ImageDraw.Draw(self.images["masks"])
        self._figure = ImageDraw.Draw(self.images["silhouettes"])

    def mark(self, shape, xy, part, opaque, **options):
        getattr(self._figure, shape)(xy, fill=255, **options)
        if opaque:
            value = 255 if part in self.traits else 0
            getattr(self._traits, shape)(xy, fill=value, **options)

    def erasers(self):
        """Return one drawer per mask, to blank out what covers the figure."""
        return [ImageDraw.Draw(im) for im in self.images.values()]

    def resized(self, width, height):
        """Return the masks at the picture's size: True where over half covered."""
        return {
            key: np.asarray(im.resize((width, height), Image.Resampling.BOX)) > 128
            for key, im in self.images.items()
        }


class _Covering:
    """Draw on the picture and erase the same shapes from the masks."""

    def __init__(self, img, masks):
        self._draw = ImageDraw.Draw(img)
        self._erasers = [] if masks is None else masks.erasers()

    def __getattr__(self, shape):
        def draw(xy, **options):
            getattr(self._draw, shape)(xy, **options)
            covered = {
                k: (0 if k in ("fill", "outline") and v is not None else v)
                for k, v in options.items()
            }
            for eraser in self._erasers:
                getattr(eraser, shape)(xy, **covered)

        return draw


def _strand(outer, tip, inner):
    """Outline a lock of hair: smooth outer edge, sharp tip, smooth inner edge."""
    return _spline(outer, closed=False, steps=4) + [tip] + _spline(inner, False, 4)


def _jagged(x_from, x_to, y, depth, n, rng, jitter):
    """Return a row of hair tips from ``x_from`` to ``x_to`` (tips at ``y``)."""
    xs = np.linspace(x_from, x_to, 2 * n + 1)
    pts = []
    for k, x in enumerate(xs):
        dy = 0.0 if k % 2 else -depth
        pts.append((float(x), y + dy + rng.uniform(-jitter, jitter)))
    return pts


# ---------------------------------------------------------------- hair shapes


def _back_hair(style, rng, jitter):
    """Hair behind the head, the neck and the clothes."""
    if style == "long":
        arc = [(18.5, 100), (20, 78), (21, 56), (21.5, 38), (25, 21), (36, 11),
               (50, 8.5), (64, 11), (75, 21), (78.5, 38), (79, 56), (80, 78),
               (81.5, 100)]  # fmt: skip
        bottom = _jagged(82, 18, 106, 5, 5, rng, jitter)
        return [_spline(arc, closed=False) + bottom]
    if style == "bob":
        arc = [(22, 63), (20.5, 50), (21.5, 34), (26.5, 20), (37.5, 11),
               (50, 8.5), (62.5, 11), (73.5, 20), (78.5, 34), (79.5, 50),
               (78, 63)]  # fmt: skip
        bottom = _jagged(77, 23, 67, 4, 6, rng, jitter)
        return [_spline(arc, closed=False) + bottom]
    arc = [(25.5, 52), (23, 40), (24.5, 27), (29.5, 17), (39, 10.5), (50, 8.5),
           (61, 10.5), (70.5, 17), (75.5, 27), (77, 40), (74.5, 52)]  # fmt: skip
    shapes = [_spline(arc, closed=False) + _jagged(74, 26, 55, 3, 5, rng, jitter)]
    if style == "ponytail":
        tail = _strand(
            [(64, 12), (78, 14), (87, 28), (88, 48), (85, 68)],
            (82, 84 + rng.uniform(-jitter, jitter)),
            [(80, 68), (80.5, 48), (77.5, 30), (69, 19)],
        )
        shapes.insert(0, tail)
    elif style == "twintails":
        tail = _strand(
            [(30, 22), (17, 28), (11.5, 46), (12, 66), (14.5, 82)],
            (17, 95 + rng.uniform(-jitter, jitter)),
            [(20.5, 80), (21, 62), (22.5, 44), (28, 31)],
        )
        shapes[:0] = [tail, _mirror(tail)]
    return shapes


def _front_locks(rng, jitter):
    """Long hair falling in front of the shoulders."""
    lock = _strand(
        [(30, 36), (25.5, 44), (23.5, 58), (21.5, 72), (19.5, 86)],
        (17.5, 99 + rng.uniform(-jitter, jitter)),
        [(21.5, 94), (23.5, 99.5), (26, 93), (28, 97.5), (29.5, 84), (30.5, 68),
         (31.5, 52), (33, 42)],
    )  # fmt: skip
    return [lock, _mirror(lock)]


def _sidelocks(style, rng, jitter):
    """Locks in front of the ears that frame the face."""
    end = {"long": 66, "bob": 62, "short": 55}.get(style, 60)
    lock = _strand(
        [(33, 30), (28.5, 36), (27, 46), (27, end - 8)],
        (28.5, end + rng.uniform(-jitter, jitter)),
        [(30.5, end - 9), (31.5, 46), (33.5, 37)],
    )
    return [lock, _mirror(lock)]


def _claw(a, tip, b, bend=0.75):
    """Outline a strand of fringe from notch ``a`` to ``tip`` and up to ``b``."""
    out = []
    for p, q, rev in ((a, tip, False), (b, tip, True)):
        ctrl = (p[0] + 0.15 * (q[0] - p[0]), p[1] + bend * (q[1] - p[1]))
        ts = np.linspace(0, 1, 6)
        pts = [
            ((1 - t) ** 2 * p[0] + 2 * (1 - t) * t * ctrl[0] + t * t * q[0],
             (1 - t) ** 2 * p[1] + 2 * (1 - t) * t * ctrl[1] + t * t * q[1])
            for t in ts
        ]  # fmt: skip
        out += pts[::-1][1:] if rev else pts[:-1]
    return out


def _fringe(style, rng, jitter):
    """Notches and tips of the fringe, from the right temple to the left."""

    def j(scale=1.0):
        return rng.uniform(-jitter, jitter) * scale

    if style == "blunt":
        notches = [(x, 28.5 + j(0.5)) for x in np.linspace(69, 31, 10)]
        tips = [(x + j(0.4), 35.5 + j(0.5)) for x in np.linspace(67.1, 32.9, 9)]
    elif style == "side_swept":
        xs = np.linspace(69, 31, 7)
        notches = [(x, 17 + 0.2 * (x - 30) + j()) for x in xs]
        # the tips overshoot the next notch, so the strands lean sideways
        tips = [
            (x - 1.25 * (x - xl), 30 + 0.28 * (x - 30) + j())
            for x, xl in zip(xs[:-1], xs[1:], strict=True)
        ]
    elif style == "parted":
        xs = (69, 64, 58.5, 53.5, 50, 46.5, 41.5, 36, 31)
        notches = [(x, 16 + 0.5 * abs(x - 50) + j()) for x in xs]
        tips = [
            ((x + xl) / 2 + (2.5 if x > 50 else -2.5), 24 + 0.72 * abs(x - 50) + j())
            for x, xl in zip(xs[:-1], xs[1:], strict=True)
        ]
    else:  # wispy: uneven strands and one long lock between the eyes
        xs = np.linspace(69, 31, 8)
        notches = [(x, 23.5 + j()) for x in xs]
        lengths = (37, 33.5, 38, 42, 34.5, 38.5, 35)
        tips = [
            ((x + xl) / 2 + j(0.8), y + j(1.5))
            for x, xl, y in zip(xs[:-1], xs[1:], lengths, strict=True)
        ]
    return notches, tips


def _bangs(style, rng, jitter):
    """Return the top of the head with its fringe, and lines between strands."""
    cap = [(29, 45), (28.5, 32), (32, 21), (40, 13.5), (50, 10.5), (60, 13.5),
           (68, 21), (71.5, 32), (71, 45)]  # fmt: skip
    notches, tips = _fringe(style, rng, jitter)
    edge = [(70.5, 38 + rng.uniform(-jitter, jitter))]
    for a, tip, b in zip(notches[:-1], tips, notches[1:], strict=True):
        edge += _claw(a, tip, b)
    edge += [notches[-1], (29.5, 38 + rng.uniform(-jitter, jitter))]
    lines = [[(x, y), (x + 0.15 * (x - 50), y - 6)] for x, y in notches[1:-1]]
    return [_spline(cap, closed=False) + edge], lines


def _hair_gradient(pen, look):
    """Return the hair colour over the picture, fading to the tip colour."""
    # The gradient is smooth: compute it on a coarse grid and enlarge it.
    step = 8
    ys = pen.design_y(step)[..., None]
    top = np.array(_shade(look["hair"], 1.12), dtype=np.float32)
    base = np.array(look["hair"], dtype=np.float32)
    t = np.clip((ys - 10) / 30, 0, 1)
    col = top * (1 - t) + base * t
    if look["tip"] is not None:
        start = {"long": 62.0, "bob": 50.0}.get(look["hair_style"], 44.0)
        s = np.clip((ys - start) / 22, 0, 1)
        col = col * (1 - s) + np.array(look["tip"], dtype=np.float32) * s
    small = Image.fromarray(np.clip(col, 0, 255).astype(np.uint8))
    w, h = pen.canvas.size
    big = small.resize(
        (small.width * step, small.height * step), Image.Resampling.BILINEAR
    )
    return big.crop((0, 0, w, h))


# ------------------------------------------------------------- face & clothes

_FACE = [(50, 15.5), (61, 17.5), (68.5, 25), (70.5, 36), (70, 46), (67.5, 53),
         (62.5, 59), (55, 63.5), (50, 65.2), (45, 63.5), (37.5, 59), (32.5, 53),
         (30, 46), (29.5, 36), (31.5, 25), (39, 17.5)]  # fmt: skip
_TORSO = [(43, 68.5), (33, 71), (22, 74), (14, 78.5), (9, 85), (6.5, 95),
          (5, 110), (2, 141), (98, 141), (95, 110), (93.5, 95), (91, 85),
          (86, 78.5), (78, 74), (67, 71), (57, 68.5)]  # fmt: skip


def _eye(pen, cx, cy, side, look):
    """One anime eye; ``side`` is -1 when the outer corner is on the left."""
    ink, lw = look["ink"], look["lw"]

    def at(points, dy=0.0):
        return [(cx + side * x, cy + y + dy) for x, y in points]

    state = look["eyes"]
    if state == "wink" and side == 1:
        state = "closed"
    if state in ("smile", "closed"):
        arc = [(-6, 1.5), (-3, -1.8), (0, -2.8), (3.2, -2), (6.8, 0.8)]
        pen.line(at(arc), ink, 1.5 * lw)
        pen.line(at([(6.8, 0.8), (8.2, 0.2)]), ink, lw)
        return
    eye = look["eye"]
    pen.ellipse((cx - 6, cy - 5, cx + 6, cy + 5.5), (252, 252, 255))
    pen.ellipse((cx - 4.3, cy - 5.6, cx + 4.3, cy + 5.9), _shade(eye, 0.55))
    pen.ellipse((cx - 3.6, cy - 3.2, cx + 3.6, cy + 5.3), eye)
    pen.ellipse((cx - 2.9, cy + 1.2, cx + 2.9, cy + 5.1), (*_shade(eye, 1.45), 190))
    pen.ellipse((cx - 1.8, cy - 2.4, cx + 1.8, cy + 2.4), _shade(eye, 0.22))
    pen.ellipse((cx - 3.7, cy - 4.1, cx - 0.6, cy - 1.0), _WHITE)
    pen.ellipse((cx + 1.3, cy + 2.3, cx + 2.8, cy + 3.8), _WHITE)
    drop = 0.0
    if state == "half":
        drop = 3.8
        lid = [(-7.5, -9), (9, -9), (9, -3.6), (0, -1.8), (-7.5, -2.6)]
        with pen.drawing("face"):
            pen.polygon(at(lid), look["skin"])
    lash = [(-6.6, -2.8), (-3.6, -6.1), (0, -7.1), (3.6, -6.7), (6.6, -4.8),
            (8.6, -2.2), (6.5, -3.0), (3.6, -4.9), (0, -5.5), (-3.6, -4.8),
            (-6.2, -2.0)]  # fmt: skip
    pen.polygon(at(lash, drop), ink)
    pen.line(at([(0.8, 5.9), (4.8, 5.0)]), ink, 0.7 * lw)


def _mouth(pen, look):
    ink, lw = look["ink"], look["lw"]
    kind = look["mouth"]
    inner = (150, 48, 60)
    if kind == "smile":
        pen.line(_spline([(46.6, 57.6), (50, 59.4), (53.4, 57.6)], False), ink, lw)
    elif kind == "open":
        shape = [(46.4, 57.4), (53.6, 57.4), (52.6, 59.8), (50, 61.5), (47.4, 59.8)]
        pen.polygon(shape, inner, ink, 0.8 * lw)
        pen.ellipse((48, 59.6, 52, 61.3), (232, 122, 132))
    elif kind == "o":
        pen.ellipse((48.6, 57.3, 51.4, 60.7), inner, ink, 0.7 * lw)
    elif kind == "cat":
        cat = [(46.6, 57.8), (48.3, 59.1), (50, 58.2), (51.7, 59.1), (53.4, 57.8)]
        pen.line(cat, ink, 0.9 * lw)
    else:  # flat
        pen.line([(48, 58.8), (52, 58.6)], ink, 0.9 * lw)


def _outfit(pen, look):
    ink, lw, skin = look["ink"], look["lw"], look["skin"]
    main, accent = look["outfit_colors"]
    kind = look["outfit"]
    pen.polygon(_spline(_TORSO, closed=True, steps=3), main, _outline_of(main), lw)
    if kind == "shirt":
        with pen.drawing("face"):
            pen.polygon([(44.6, 68.4), (55.4, 68.4), (50, 76.5)], skin)
        collar = [(44.2, 67.6), (50, 76.8), (42.5, 79), (39.5, 70.5)]
        pen.polygon(collar, main, _outline_of(main), lw)
        pen.polygon(_mirror(collar), main, _outline_of(main), lw)
        pen.polygon([(48.6, 76.6), (51.4, 76.6), (52, 79.6), (48, 79.6)], accent,
                      ink, 0.8 * lw)  # fmt: skip
        tie = [(48.3, 79.6), (51.7, 79.6), (53.4, 96), (50.3, 99.5), (47, 96)]
        pen.polygon(tie, accent, ink, 0.8 * lw)
    elif kind == "blazer":
        pen.polygon([(43.5, 68.5), (56.5, 68.5), (55, 85), (50, 92), (45, 85)],
                      (246, 246, 244), ink, 0.8 * lw)  # fmt: skip
        collar = [(44, 67.6), (50, 75.2), (44.8, 76.6), (41.8, 70.4)]
        pen.polygon(collar, (246, 246, 244), ink, 0.8 * lw)
        pen.polygon(_mirror(collar), (246, 246, 244), ink, 0.8 * lw)
        for loop in ([(50, 76.5), (44.8, 73.6), (45.2, 79.6)],
                     [(50, 76.5), (55.2, 73.6), (54.8, 79.6)],
                     [(49.4, 77), (47, 84.5), (49.8, 83.5)],
                     [(50.6, 77), (53, 84.5), (50.2, 83.5)]):  # fmt: skip
            pen.polygon(loop, accent, ink, 0.7 * lw)
        pen.ellipse((48.6, 75.2, 51.4, 78), accent, ink, 0.7 * lw)
        lapel = [(43.5, 68.5), (40.5, 76), (45.2, 85.5), (50, 92.5)]
        pen.line(lapel, ink, lw)
        pen.line(_mirror(lapel), ink, lw)
    elif kind == "sailor":
        collar = [(43.5, 68), (28, 73), (30.5, 80.5), (50, 94), (69.5, 80.5),
                  (72, 73), (56.5, 68), (50, 80)]  # fmt: skip
        pen.polygon(collar, accent, _outline_of(accent), lw)
        pen.line([(31.5, 76.5), (50, 89.5), (68.5, 76.5)], _WHITE, 0.9 * lw)
        pen.polygon([(46.5, 87.5), (53.5, 87.5), (50, 97)], (205, 45, 58),
                      ink, 0.7 * lw)  # fmt: skip
    elif kind == "dress":
        neck = [(42.5, 68.5), (57.5, 68.5), (56, 74), (50, 77), (44, 74)]
        with pen.drawing("face"):
            pen.polygon(neck, skin)
        trim = [(41.5, 69), (44, 74.8), (50, 78), (56, 74.8), (58.5, 69)]
        pen.line(trim, accent, 1.6 * lw)
        for dx, dy in ((0, 0), (2.1, 1.2), (-1.8, 1.6), (0.6, -2), (-2.1, -1)):
            pen.ellipse((62 + dx, 80 + dy, 65.2 + dx, 83.2 + dy), accent,
                          _outline_of(accent), 0.5 * lw)  # fmt: skip
    else:  # sweater: a turtleneck and a band across the chest
        neck = [(42.2, 62.5), (57.8, 62.5), (58.8, 71.5), (50, 73.5), (41.2, 71.5)]
        pen.polygon(neck, main, _outline_of(main), lw)
        for x in (45, 48.3, 51.7, 55):
            pen.line([(x, 64), (x + 0.2, 71.5)], _outline_of(main, 0.75), 0.5 * lw)
        band = [(8.5, 84), (91.5, 84), (92.5, 89), (7.5, 89)]
        pen.polygon(band, accent, _outline_of(accent), 0.7 * lw)


def _accessories(pen, look):
    ink, lw = look["ink"], look["lw"]
    color = look["accessory"]
    line = _outline_of(color)
    for name in look["accessories"]:
        if name == "hairband":
            angles = np.radians(np.linspace(198, 342, 25))
            arc = [(50 + 21.5 * math.cos(a), 37 + 24.5 * math.sin(a)) for a in angles]
            pen.line(arc, line, 2.4 + 1.6 * lw)
            pen.line(arc, color, 2.4)
        elif name == "hair_clips":
            for x, y in ((61.5, 23), (64.5, 26.5)):
                bar = [(x - 3.5, y - 2.2), (x + 3.5, y + 1.2), (x + 3.1, y + 2.2),
                       (x - 3.9, y - 1.2)]  # fmt: skip
                pen.polygon(bar, color, line, 0.6 * lw)
        elif name == "earrings":
            for x in (28.6, 71.4):
                pen.line([(x, 48.5), (x, 51)], line, 0.6 * lw)
                pen.ellipse((x - 1.5, 50.5, x + 1.5, 53.5), None, color, 0.9)
                pen.ellipse((x - 0.9, 53, x + 0.9, 55.6), color, line, 0.4 * lw)
        elif name == "ribbon":
            for loop in ([(68, 16), (60.5, 10), (61, 20)],
                         [(68, 16), (75.5, 10.5), (75, 21)]):  # fmt: skip
                pen.polygon(loop, color, line, 0.7 * lw)
            pen.ellipse((66.4, 14.4, 69.6, 17.6), color, line, 0.7 * lw)
        elif name == "glasses":
            frame = (70, 55, 70)
            pen.ellipse((34.2, 39.2, 48.4, 50.6), (255, 255, 255, 30), frame, 0.8)
            pen.ellipse((51.6, 39.2, 65.8, 50.6), (255, 255, 255, 30), frame, 0.8)
            pen.line([(48.4, 43.5), (51.6, 43.5)], frame, 0.8)
        elif name == "hair_flower":
            for k in range(5):
                a = 2 * math.pi * k / 5
                x, y = 32 + 2.4 * math.cos(a), 21 + 2.4 * math.sin(a)
                pen.ellipse((x - 2, y - 2, x + 2, y + 2), color, line, 0.5 * lw)
            pen.ellipse((30.8, 19.8, 33.2, 22.2), (250, 214, 90))
        elif name == "choker":
            pen.polygon([(44, 65.8), (56, 65.8), (56.2, 67.8), (43.8, 67.8)],
                          (30, 26, 34), ink, 0.4 * lw)  # fmt: skip
            pen.ellipse((49, 66.8, 51, 68.8), color)


def _draw_character(pen, look, rng):
    jitter = look["strand_jitter"]
    lw, skin = look["lw"], look["skin"]
    gradient = _hair_gradient(pen, look)
    hair_ink = _outline_of(look["hair"], 0.5)
    skin_ink = _shade(skin, 0.62)
    back = Image.eval(gradient, lambda v: int(v * 0.8))
    with pen.drawing("hair"):
        pen.hair(_back_hair(look["hair_style"], rng, jitter), back, hair_ink, lw)

    # neck, with the chin's shadow, then the clothes
    with pen.drawing("face"):
        pen.polygon([(44.5, 56), (55.5, 56), (56, 71), (44, 71)], skin, skin_ink, lw)
        pen.polygon([(44.6, 58), (55.4, 58), (55.6, 63.5), (50, 67.5), (44.4, 63.5)],
                      _shade(skin, 0.86))  # fmt: skip
    with pen.drawing("outfit"):
        _outfit(pen, look)
    if look["hair_style"] == "long":
        with pen.drawing("hair"):
            pen.hair(_front_locks(rng, jitter), gradient, hair_ink, lw)

    # ears and face
    with pen.drawing("face"):
        for box in ((26.5, 38, 32.2, 49.5), (67.8, 38, 73.5, 49.5)):
            pen.ellipse(box, skin, skin_ink, 0.8 * lw)
        pen.polygon(_spline(_FACE), skin, skin_ink, lw)
        if look["blush"]:
            for x in (34, 58.5):
                pen.ellipse((x, 50.2, x + 7.5, 53.8), (240, 110, 125, 85))
                for k in range(3):
                    xs = x + 2 + 1.6 * k
                    pen.line([(xs + 0.8, 51.2), (xs, 52.8)], (222, 92, 110), 0.35 * lw)
    for cx, side in ((41.5, -1), (58.5, 1)):
        with pen.drawing("eyes"):
            _eye(pen, cx, 44.5, side, look)
        brow = [(cx + side * -4.5, 34.2 - look["brow"]),
                (cx + side * 0.5, 33 - look["brow"]),
                (cx + side * 5.5, 34.4 - look["brow"])]  # fmt: skip
        with pen.drawing("face"):
            pen.line(_spline(brow, False), hair_ink, 0.8 * lw)
    with pen.drawing("face"):
        pen.line([(50.4, 52.2), (49.7, 53.8)], skin_ink, 0.7 * lw)
        _mouth(pen, look)

    # hair in front of the face, its shine, then what is worn on it
    front, strands = _bangs(look["bangs"], rng, jitter)
    if look["sidelocks"]:
        front = _sidelocks(look["hair_style"], rng, jitter) + front
    with pen.drawing("hair"):
        pen.hair(front, gradient, hair_ink, lw)
        for line in strands:
            pen.line(line, hair_ink, 0.6 * lw)
        xs = np.linspace(36, 64, 15)
        top = [(x, 17.5 + ((x - 50) / 20) ** 2 * 6) for x in xs]
        zig = [(x, y + (2.2 if k % 2 else 4.2)) for k, (x, y) in enumerate(top)]
        pen.polygon(top + zig[::-1], (*_shade(look["hair"], 1.45), 150))
    with pen.drawing("accessories"):
        _accessories(pen, look)


# ------------------------------------------------------------------ nuisances


def _hsv_color(rng, s_range, v_range):
    h = rng.uniform(0, 1)
    s = rng.uniform(*s_range)
    v = rng.uniform(*v_range)
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h, s, v))


def _sample_look(design, others, d, rng):
    """Everything that varies from one picture of a character to the next."""
    hair = _shade(design.hair_color, rng.uniform(1 - 0.2 * d, 1 + 0.2 * d))
    eye = design.eye_color
    accessories = [a for a in design.accessories if rng.uniform() > 0.3 * d]
    outfit, outfit_colors = design.outfit, design.outfit_colors
    # Shared traits: the report's characters are confusable because they share
    # one drawing style; here a picture may borrow another character's hair
    # shade, eyes, accessory or clothes.
    if others and rng.uniform() < 0.5 * d:
        other = others[rng.integers(len(others))]
        hair = _mix(hair, other.hair_color, rng.uniform(0.25, 0.6))
    if others and rng.uniform() < 0.4 * d:
        eye = _mix(
            eye, others[rng.integers(len(others))].eye_color, rng.uniform(0.4, 1)
        )
    if rng.uniform() < 0.5 * d:
        pool = [a for o in others for a in o.accessories] or list(ACCESSORIES)
        borrowed = pool[rng.integers(len(pool))]
        if borrowed not in accessories:
            accessories.append(borrowed)
    if others and rng.uniform() < 0.4 * d:
        other = others[rng.integers(len(others))]
        outfit, outfit_colors = other.outfit, other.outfit_colors
    p_expr = 0.2 + 0.7 * d
    eyes = "open"
    if rng.uniform() < p_expr:
        eyes = ("smile", "wink", "half", "open")[rng.integers(4)]
    mouth = "smile"
    if rng.uniform() < p_expr:
        mouth = ("open", "flat", "o", "cat")[rng.integers(4)]
    return {
        "hair": hair,
        "tip": design.hair_tip_color,
        "hair_style": design.hair_style,
        "bangs": design.bangs,
        "sidelocks": design.sidelocks,
        "eye": eye,
        "skin": _shade(design.skin_color, rng.uniform(1 - 0.06 * d, 1 + 0.1 * d)),
        "accessories": accessories,
        "accessory": design.accessory_color,
        "outfit": outfit,
        "outfit_colors": outfit_colors,
        "eyes": eyes,
        "mouth": mouth,
        "brow": rng.uniform(-0.8, 1.5) * d,
        "blush": rng.uniform() < 0.3 + 0.3 * d,
        "ink": _shade((52, 36, 44), rng.uniform(1 - 0.5 * d, 1)),
        "lw": 0.75 * rng.uniform(1 - 0.4 * d, 1 + 0.8 * d),
        "strand_jitter": 0.4 + 1.6 * d,
    }


def _background(size, d, rng):
    w, h = size
    light = ((0.05, 0.15 + 0.55 * d), (1 - 0.6 * d, 1.0))
    kinds = ("flat", "gradient", "shapes", "stripes")
    weights = np.array([1 - 0.75 * d, 0.2 + 0.3 * d, 0.5 * d, 0.35 * d])
    kind = kinds[rng.choice(4, p=weights / weights.sum())]
    first = _hsv_color(rng, *light)
    if kind == "gradient":
        second = _hsv_color(rng, *light)
        angle = rng.uniform(0, 2 * np.pi)
        # A smooth ramp: computed on a 32x32 grid, then enlarged.
        yy, xx = np.mgrid[0:32, 0:32] / 31
        t = np.cos(angle) * xx + np.sin(angle) * yy
        t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
        arr = np.array(first) * (1 - t[..., None]) + np.array(second) * t[..., None]
        return Image.fromarray(arr.astype(np.uint8)).resize(
            size, Image.Resampling.BILINEAR
        )
    img = Image.new("RGB", size, first)
    draw = ImageDraw.Draw(img)
    side = min(w, h)
    if kind == "shapes":
        for _ in range(rng.integers(3, 10)):
            color = _hsv_color(rng, *light)
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            r = side * rng.uniform(0.04, 0.22)
            if rng.uniform() < 0.5:
                draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
            else:
                star = [
                    (x + r * f * math.cos(a), y + r * f * math.sin(a))
                    for k, a in enumerate(np.linspace(0, 2 * np.pi, 11)[:-1])
                    for f in ((1.0 if k % 2 == 0 else 0.45),)
                ]
                draw.polygon(star, fill=color)
    elif kind == "stripes":
        second = _hsv_color(rng, *light)
        width = side * rng.uniform(0.05, 0.15)
        slope = rng.uniform(-1.5, 1.5)
        x = -h * 2.0
        while x < w + 2.0 * h:
            quad = [
                (x, 0),
                (x + width, 0),
                (x + width + slope * h, h),
                (x + slope * h, h),
            ]
            draw.polygon(quad, fill=second)
            x += 2 * width
    return img


def _occlude(img, d, rng, masks=None):
    """Cover part of the picture with an unrelated object."""
    w, h = img.size
    side = min(w, h)
    draw = _Covering(img, masks)
    color = _hsv_color(rng, (0.0, 1.0), (0.15, 1.0))
    r = side * rng.uniform(0.08, 0.12 + 0.14 * d)
    x, y = rng.uniform(0, w), rng.uniform(0.1 * h, h)
    edge = _shade(color, 0.5)
    kind = rng.integers(4)
    if kind == 0:
        draw.rectangle(
            [x - r, y - 0.7 * r, x + r, y + 0.7 * r],
            fill=color,
            outline=edge,
            width=max(1, side // 150),
        )
    elif kind == 1:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
    elif kind == 2:  # a speech bubble
        draw.ellipse(
            [x - 1.3 * r, y - 0.8 * r, x + 1.3 * r, y + 0.8 * r],
            fill=_WHITE,
            outline=(20, 20, 20),
            width=max(1, side // 120),
        )
        for k in range(3):
            draw.line(
                [
                    (x - 0.8 * r, y - 0.3 * r + 0.3 * k * r),
                    (x + 0.6 * r, y - 0.3 * r + 0.3 * k * r),
                ],
                fill=(90, 90, 90),
                width=max(1, side // 100),
            )
    else:
        pts = [
            (
                x + r * rng.uniform(0.5, 1.2) * math.cos(a),
                y + r * rng.uniform(0.5, 1.2) * math.sin(a),
            )
            for a in np.linspace(0, 2 * np.pi, 8)[:-1]
        ]
        draw.polygon(pts, fill=color, outline=edge)


def _jitter_colors(img, d, rng):
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(1 - 0.3 * d, 1 + 0.2 * d))
    img = ImageEnhance.Contrast(img).enhance(rng.uniform(1 - 0.4 * d, 1 + 0.3 * d))
    img = ImageEnhance.Color(img).enhance(rng.uniform(1 - 0.5 * d, 1 + 0.3 * d))
    if rng.uniform() < 0.6 * d:
        hsv = np.array(img.convert("HSV"))
        shift = int(round(255 * rng.uniform(-0.1, 0.1) * d))
        hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
        img = Image.fromarray(hsv, "HSV").convert("RGB")
    return img


_MARKS = ("circle", "square", "triangle", "diamond", "star", "cross")


def _nuisance_color(label, n_classes):
    """Return class ``label``'s colour: hues spread evenly, none alike."""
    rgb = colorsys.hsv_to_rgb(label / n_classes, 0.6, 0.9)
    return tuple(int(round(255 * c)) for c in rgb)


def _stamp(img, label, n_classes, masks):
    """Stamp class ``label``'s mark (a shape and a colour) in the lower right."""
    w, h = img.size
    r = 0.07 * min(w, h)
    x, y = w - 1.7 * r, h - 1.7 * r
    kind = _MARKS[label % len(_MARKS)]
    if kind == "circle":
        shape = [(x + r * math.cos(a), y + r * math.sin(a)) for a in _CIRCLE]
    elif kind == "square":
        shape = [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
    elif kind == "triangle":
        shape = [(x, y - r), (x + r, y + r), (x - r, y + r)]
    elif kind == "diamond":
        shape = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    elif kind == "star":
        shape = [
            (x + r * f * math.sin(a), y - r * f * math.cos(a))
            for k, a in enumerate(np.linspace(0, 2 * np.pi, 11)[:-1])
            for f in ((1.0 if k % 2 == 0 else 0.45),)
        ]
    else:
        arm = [(-0.35, -1), (0.35, -1), (0.35, -0.35)]  # a quarter, turned 4 times
        turns = ((1, 0, 0, 1), (0, -1, 1, 0), (-1, 0, 0, -1), (0, 1, -1, 0))
        shape = [
            (x + r * (a * u + b * v), y + r * (c * u + e * v))
            for a, b, c, e in turns
            for u, v in arm
        ]
    _Covering(img, masks).polygon(
        shape,
        fill=_nuisance_color(label, n_classes),
        outline=_WHITE,
        width=max(1, int(round(0.15 * r))),
    )


def _render(design, others, d, rng, height, width, *, traits=None, nuisance=None):
    """Draw one picture of ``design``; every random choice comes from ``rng``.

    ``traits`` (a subset of TRAITS) also returns the trait and figure masks;
    ``nuisance`` is ``(kind, label, n_classes)`` to paint class ``label``'s
    background or stamp its watermark. Neither changes the random stream, so
    the character is the one drawn without them.
    """
    # Draw at about twice the final size and shrink with a LANCZOS filter, so
    # the lines are anti-aliased.
    ss = 2.0 if min(height, width) <= 320 else max(1.0, 640 / min(height, width))
    cw, ch = int(round(width * ss)), int(round(height * ss))
    zoom = math.exp(rng.normal(0, 0.15 * d)) * rng.uniform(0.92, 1.08)
    shift = 0.12 * d
    tx, ty = rng.uniform(-shift, shift), rng.uniform(-shift, shift)
    if rng.uniform() < 0.3 * d:  # a close crop: part of the head leaves the frame
        zoom *= rng.uniform(1.2, 1.6)
        tx, ty = tx * 2.5, ty * 2.5
    angle = math.radians(rng.uniform(-28, 28) * d)
    unit = min(cw, ch) / 100 * zoom
    mirror = rng.uniform() < min(0.5, d)
    look = _sample_look(design, others, d, rng)

    canvas = _background((cw, ch), d, rng)
    if nuisance is not None and nuisance[0] == "background":
        # Replaced only after it was drawn: drawing it takes random numbers
        # from rng, and the character must be make_characters' own.
        canvas = Image.new("RGB", (cw, ch), _nuisance_color(*nuisance[1:]))
    masks = None if traits is None else _Masks((cw, ch), traits)
    origin = (cw * (0.5 + tx), ch * (0.47 + ty))
    _draw_character(_Pen(canvas, unit, origin, angle, mirror, masks), look, rng)
    if rng.uniform() < 0.5 * d:
        _occlude(canvas, d, rng, masks)
    if nuisance is not None and nuisance[0] == "watermark":
        _stamp(canvas, *nuisance[1:], masks)
    img = canvas.resize((width, height), Image.Resampling.LANCZOS)
    img = _jitter_colors(img, d, rng)
    if rng.uniform() < 0.3 * d:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * width / 250))
    if rng.uniform() < 0.2 + 0.8 * d:
        buffer = io.BytesIO()
        quality = int(rng.integers(max(10, int(92 - 75 * d)), 96))
        img.save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            img = decoded.convert("RGB")
    picture = np.asarray(img, dtype=np.uint8)
    if masks is None:
        return picture
    return picture, masks.resized(width, height)


# ------------------------------------------------------------ the public API


def _check_characters(characters):
    if characters is None:
        return tuple(DEFAULT_CHARACTERS)
    if isinstance(characters, CharacterDesign | str) or not hasattr(
        characters, "__iter__"
    ):
        raise ValueError(
            "characters must be a sequence of CharacterDesign. "
            f"Received: characters={characters!r}"
        )
    designs = tuple(characters)
    if not all(isinstance(c, CharacterDesign) for c in designs):
        raise ValueError(
            "characters must be a sequence of CharacterDesign. "
            f"Received: characters={designs!r}"
        )
    if len(designs) < 2:
        raise ValueError(
            "characters must hold at least 2 designs to make a classification "
            f"task. Received: characters={designs!r}"
        )
    names = [c.name for c in designs]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"characters must have unique names; {duplicates} appear more than "
            f"once. Received: characters names={names}"
        )
    return designs


def _check_counts(n_per_class, n_classes):
    if n_per_class is None:
        base, extra = divmod(_DEFAULT_TOTAL, n_classes)
        counts = [base + (k < extra) for k in range(n_classes)]
        if base < 2:
            raise ValueError(
                f"n_per_class=None spreads {_DEFAULT_TOTAL} pictures over the "
                f"characters, which is fewer than 2 each for {n_classes} "
                f"characters; pass n_per_class. Received: n_per_class={n_per_class}"
            )
        return counts
    if is_int(n_per_class):
        counts = [int(n_per_class)] * n_classes
    elif isinstance(n_per_class, str) or not hasattr(n_per_class, "__iter__"):
        raise ValueError(
            "n_per_class must be None, an int or a sequence of ints. "
            f"Received: n_per_class={n_per_class!r}"
        )
    else:
        counts = list(n_per_class)
        if len(counts) != n_classes or not all(is_int(c) for c in counts):
            raise ValueError(
                f"n_per_class must hold one int per character ({n_classes}). "
                f"Received: n_per_class={n_per_class!r}"
            )
        counts = [int(c) for c in counts]
    if min(counts) < 2:
        raise ValueError(
            "n_per_class must be at least 2 for every character, so that a "
            f"stratified split can put one in each part. Received: "
            f"n_per_class={n_per_class!r}"
        )
    return counts


def _check_size(image_size):
    return check_image_size(
        image_size, minimum=_MIN_SIZE, why="smaller faces cannot be drawn"
    )


def _check_difficulty(difficulty):
    if isinstance(difficulty, str):
        if difficulty not in DIFFICULTY_LEVELS:
            raise ValueError(
                f"difficulty must be one of {sorted(DIFFICULTY_LEVELS)} or a "
                f"number in [0, 1]. Received: difficulty={difficulty!r}"
            )
        return DIFFICULTY_LEVELS[difficulty]
    if (
        not isinstance(difficulty, Real)
        or isinstance(difficulty, bool)
        or not 0 <= difficulty <= 1
    ):
        raise ValueError(
            f"difficulty must be one of {sorted(DIFFICULTY_LEVELS)} or a number "
            f"in [0, 1]. Received: difficulty={difficulty!r}"
        )
    return float(difficulty)


def _check_random_state(random_state):
    if random_state is None or is_int(random_state):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(
        "random_state must be None, an int, a numpy Generator or a RandomState. "
        f"Received: random_state={random_state!r}"
    )


def _check_traits(traits):
    if (
        isinstance(traits, str)
        or not hasattr(traits, "__iter__")
        or not traits
        or any(t not in TRAITS for t in traits)
    ):
        raise ValueError(
            f"traits must be a non-empty tuple drawn from {TRAITS}. "
            f"Received: traits={traits!r}"
        )
    return tuple(traits)


def _character_streams(given, counts_given, rng):
    """Sort the designs by name; give each its own stream of random numbers."""
    order = sorted(range(len(given)), key=lambda k: given[k].name)
    designs = tuple(given[k] for k in order)
    counts = [counts_given[k] for k in order]
    seeds = rng.integers(0, 2**63 - 1, size=len(designs))
    streams = [np.random.default_rng(int(seed)) for seed in seeds]
    return designs, counts, streams


def _draw_set(
    designs,
    target,
    streams,
    level,
    height,
    width,
    *,
    traits=None,
    nuisance_kind=None,
    nuisance=None,
):
    """Draw the pictures of ``target`` (grouped by class) from their streams."""
    n = len(target)
    images = np.empty((n, height, width, 3), dtype=np.uint8)
    masks = np.zeros((n, height, width), dtype=bool) if traits else None
    silhouettes = np.zeros_like(masks) if traits else None
    for i, label in enumerate(target):
        design = designs[label]
        others = [o for o in designs if o is not design]
        planted = None
        if nuisance_kind is not None:
            planted = (nuisance_kind, int(nuisance[i]), len(designs))
        out = _render(
            design,
            others,
            level,
            streams[label],
            height,
            width,
            traits=traits,
            nuisance=planted,
        )
        if traits:
            images[i], drawn = out
            masks[i], silhouettes[i] = drawn["masks"], drawn["silhouettes"]
        else:
            images[i] = out
    return Bunch(images=images, masks=masks, silhouettes=silhouettes)


_DESCR = """\
Drawn anime characters (the animecls embedded default)
-------------------------------------------------------

Anime-style portraits drawn by animecls with Pillow, deterministically from a
seed, so that the library works offline and ships no one else's pictures.

**Data Set Characteristics:**

:Number of pictures: {n_images}
:Number of classes: {n_classes} ({names})
:Pictures per class: {counts}
:Picture size: {height} x {width} pixels, RGB, uint8
:Difficulty: {difficulty:.2f} (0 = clean studio portraits, 1 = hardest)
:Order: grouped by class (all pictures of target 0, then 1, ...)

Each character follows a design sheet (hair colour, hair style, fringe, eye
colour, accessories, outfit). What varies from picture to picture, more so as
the difficulty grows: head position, size and tilt, mirror image, close crops;
expression (eyes open, closed, winking, half-lidded; mouth shapes; blush);
background (flat, gradient, shapes, stripes); brightness, contrast, saturation
and hue; line thickness and ink colour; an object covering part of the
picture; blur and JPEG compression; and traits shared across characters (a
picture may borrow another character's hair shade, eye colour, accessory or
clothes), because the report's characters were confusable for sharing one
drawing style.

With the default settings the set mirrors the report (185 pictures, 3
characters) and is calibrated so that, with the report's 70/30 split, a
linear SVM on raw 32x32 pixels scores at most 0.85 test accuracy while the
report's two-pen CNN reaches at least 0.6 and overfits visibly; see
benchmarks/README.md in the source tree for the measured figures.
"""


def make_characters(
    n_per_class=None,
    *,
    image_size=(250, 250),
    characters=None,
    difficulty="default",
    random_state=0,
    directory=None,
    return_X_y=False,
    return_masks=False,
    traits=TRAITS,
):
    """Draw a data set of anime-style character portraits.

    The embedded default data set of animecls: the report's pictures cannot be
    shipped and no network is needed, so the characters are drawn with Pillow
    from design sheets
    ([`CharacterDesign`][animecls.datasets.CharacterDesign]). The same
    arguments always give byte-identical pictures.

    Parameters
    ----------
    n_per_class : int, sequence of int or None, default=None
        Pictures per character: one count for all, or one count per entry of
        ``characters`` (in the order given). ``None`` mirrors the report: 185
        pictures in all, spread as evenly as possible (62, 62 and 61 for the
        three default characters). Every count must be at least 2.
    image_size : int or tuple of int, default=(250, 250)
        ``(height, width)`` of the pictures, or one int for square ones; at
        least 32 on each side. The
        report's CNN was built for 250x250.
    characters : sequence of CharacterDesign or None, default=None
        The characters to draw, at least 2 with unique names. ``None`` uses
        [`DEFAULT_CHARACTERS`][animecls.datasets.DEFAULT_CHARACTERS]: "Marin
        Kitagawa", "Micchon Shikimori" and "Yor Forger", as in the report.
    difficulty : {"easy", "default", "hard"} or float, default="default"
        How much the pictures of one character vary (see Notes): a number in
        [0, 1] or a named level ("easy" = 0.3, "default" = 0.8,
        "hard" = 1.0).
    random_state : int, numpy.random.Generator, RandomState or None, default=0
        Seed of the drawing. An int gives reproducible pictures; ``None``
        draws fresh ones each call.
    directory : str, path-like or None, default=None
        If given, also write the pictures as
        ``<directory>/<character name>/<nnnn>.png`` with
        [`animecls.datasets.save_image_folder`][], ready for
        [`animecls.datasets.load_image_folder`][].
    return_X_y : bool, default=False
        If True, return ``(images, target)`` instead of a Bunch. Cannot be
        combined with ``return_masks``.
    return_masks : bool, default=False
        If True, the Bunch also holds ``masks`` and ``silhouettes``: where
        each picture shows the character's distinguishing traits and where
        it shows the character at all. They are drawn by the same pen as the
        pictures, so they line up with them pixel for pixel; the pictures
        are the same as without them.
    traits : tuple of str, default=("hair", "eyes", "accessories", "outfit")
        What ``masks`` marks, any of [`TRAITS`][animecls.datasets.TRAITS]: the
        parts of the figure that differ between design sheets. Skin, face,
        brows, nose and mouth look the same on every character and are never
        traits.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        images : ndarray of shape (n_images, height, width, 3), dtype uint8
            The pictures, grouped by class (all of target 0 first).
        target : ndarray of shape (n_images,), dtype int
            Index of each picture's character in ``class_names``.
        class_names : list of str
            The character names, sorted alphabetically, so that the targets
            match those of the folder loader on the written set.
        designs : tuple of CharacterDesign
            The design sheets, in the order of ``class_names``.
        filenames : list of str or None
            The written files when ``directory`` is given, else None.
        DESCR : str
            Description of the data set.
        masks : ndarray of shape (n_images, height, width), dtype bool
            Only with ``return_masks``: True where a trait is visible (hair,
            eyes, accessories and outfit by default). A pixel counts when
            more than half of it is covered; an object covering the
            character hides its traits.
        silhouettes : ndarray of shape (n_images, height, width), dtype bool
            Only with ``return_masks``: True on the whole visible figure,
            False on the background.

    (images, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ValueError
        If ``n_per_class``, ``image_size``, ``characters``, ``difficulty``,
        ``random_state`` or ``traits`` is invalid, or if ``return_X_y`` and
        ``return_masks`` are both True; the message ends with the value
        received.
    FileExistsError
        If ``directory`` already holds files of the same names; nothing is
        written then (see [`animecls.datasets.save_image_folder`][]).

    See Also
    --------
    CharacterDesign : A design sheet for your own characters.
    animecls.datasets.save_image_folder : Write a set as one folder per class.
    animecls.datasets.load_image_folder : Read such a folder back.

    Notes
    -----
    What varies between pictures, scaled by ``difficulty``: head position,
    size and tilt, mirror image and close crops; expression (eyes, mouth,
    blush); background (flat colours, gradients, shapes, stripes); brightness,
    contrast, saturation and hue; line thickness; an object covering part of
    the picture; blur and JPEG compression at a random quality; and traits
    shared across characters (a picture may borrow another character's hair
    shade, eye colour, accessory or clothes), the confusion the report
    describes. At the default level a linear SVM on raw 32x32 pixels scores at
    most 0.85 on the report's split and the report's CNN at least 0.6 while
    overfitting; ``benchmarks/README.md`` records the measurements.

    Each character is drawn from its own stream of random numbers, so the
    first pictures of a character do not change when you ask for more
    pictures of another.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> data = make_characters()
    >>> data.images.shape
    (185, 250, 250, 3)
    >>> data.class_names
    ['Marin Kitagawa', 'Micchon Shikimori', 'Yor Forger']
    >>> X, y = make_characters(4, image_size=(64, 64), return_X_y=True)
    >>> X.shape, y.tolist()
    ((12, 64, 64, 3), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])

    The masks show what tells the characters apart, for instance to check
    where a model looks:

    >>> data = make_characters(2, image_size=(64, 64), return_masks=True)
    >>> data.masks.shape, data.masks.dtype
    ((6, 64, 64), dtype('bool'))
    >>> bool((data.masks <= data.silhouettes).all())
    True
    """
    if return_X_y and return_masks:
        raise ValueError(
            "return_X_y=True returns only (images, target); use the Bunch to "
            f"get the masks. Received: return_X_y={return_X_y!r}, "
            f"return_masks={return_masks!r}"
        )
    traits = _check_traits(traits) if return_masks else None
    given = _check_characters(characters)
    counts_given = _check_counts(n_per_class, len(given))
    height, width = _check_size(image_size)
    level = _check_difficulty(difficulty)
    rng = _check_random_state(random_state)

    designs, counts, streams = _character_streams(given, counts_given, rng)
    target = np.repeat(np.arange(len(designs)), counts)
    drawn = _draw_set(designs, target, streams, level, height, width, traits=traits)

    names = [d.name for d in designs]
    descr = _DESCR.format(
        n_images=len(target),
        n_classes=len(designs),
        names=", ".join(names),
        counts=", ".join(f"{n}: {c}" for n, c in zip(names, counts, strict=True)),
        height=height,
        width=width,
        difficulty=level,
    )
    bunch = Bunch(
        images=drawn.images,
        target=target,
        class_names=names,
        designs=designs,
        filenames=None,
        DESCR=descr,
    )
    if return_masks:
        bunch.masks, bunch.silhouettes = drawn.masks, drawn.silhouettes
    if directory is not None:
        bunch.filenames = save_image_folder(bunch, directory)
    if return_X_y:
        return drawn.images, target
    return bunch


_SHORTCUT_DESCR = """\
Drawn anime characters with a planted shortcut
----------------------------------------------

The characters of make_characters, each picture carrying one class's
{kind}. In the training part that class is the picture's own with
probability {correlation:.2f}, else another class at random; in the test
part it is drawn at random, independently of the character. A model that
learned the {kind} instead of the character scores well in training and near
chance on the test part.

**Data Set Characteristics:**

:Number of pictures: {n_images} ({n_train} training, {n_test} test)
:Number of classes: {n_classes} ({names})
:Picture size: {height} x {width} pixels, RGB, uint8
:Difficulty: {difficulty:.2f}
:Nuisance: {kind} ({how})
:Nuisance agrees with the class: {train_agreement:.2f} of the training
 pictures, {test_agreement:.2f} of the test pictures
"""


_NUISANCE_HOW = {
    "background": "a flat background in the class's colour",
    "watermark": "the class's shape and colour, in the lower right corner",
}


def _test_counts(counts, test_size):
    """Return how many pictures of each class go to the test part.

    A fraction is rounded class by class; a count is spread over the classes
    in proportion (largest remainders first), so the parts hold exactly that
    many. Either way every class keeps at least one picture on each side.
    """
    if isinstance(test_size, float):
        return [min(max(int(round(test_size * c)), 1), c - 1) for c in counts]
    n, k = sum(counts), len(counts)
    if not k <= test_size <= n - k:
        raise ValueError(
            f"test_size={test_size} pictures cannot be split over {k} classes "
            f"of {n} pictures with one of each class on each side: it must be "
            f"between {k} and {n - k}. Received: test_size={test_size!r}"
        )
    exact = np.asarray(counts) * test_size / n
    per = np.clip(np.floor(exact).astype(int), 1, np.asarray(counts) - 1)
    # Stable sorts: between equal remainders the first class gets the picture.
    while per.sum() < test_size:
        room = per < np.asarray(counts) - 1
        order = np.argsort(-(exact - per), kind="stable")
        per[next(i for i in order if room[i])] += 1
    while per.sum() > test_size:
        order = np.argsort(exact - per, kind="stable")
        per[next(i for i in order if per[i] > 1)] -= 1
    return [int(c) for c in per]


def make_shortcut_characters(
    n_per_class=None,
    *,
    nuisance="background",
    train_correlation=1.0,
    test_size=0.3,
    image_size=(250, 250),
    difficulty="default",
    random_state=0,
    characters=None,
    return_masks=False,
):
    """Draw the characters with a shortcut planted in the training part.

    Each picture carries a nuisance that belongs to one class: a flat
    background of the class's colour, or a small mark (the class's shape and
    colour) in the lower right corner. In the training part the nuisance
    agrees with the character with probability ``train_correlation``; in the
    test part it is drawn at random. A model that scores well on the training
    part and near chance on the test part learned the nuisance, not the
    character: the "clever Hans" failure the report could not rule out.

    Parameters
    ----------
    n_per_class : int, sequence of int or None, default=None
        Pictures per character, as in
        [`make_characters`][animecls.datasets.make_characters] (``None``: 185
        pictures in all).
    nuisance : {"background", "watermark"}, default="background"
        What is planted: ``"background"`` replaces the background with the
        class's flat colour; ``"watermark"`` stamps the class's mark in the
        lower right corner.
    train_correlation : float, default=1.0
        Probability, in [0, 1], that a training picture's nuisance is its own
        class's; otherwise it is another class's, chosen at random. ``1 /
        n_classes`` makes the nuisance useless in training as well.
    test_size : float or int, default=0.3
        Fraction of each class, a float in (0, 1), put in the test part; or
        the number of test pictures (an int), spread over the classes in
        proportion. Every class keeps at least one picture in each part.
    image_size : int or tuple of int, default=(250, 250)
        ``(height, width)`` of the pictures, or one int for square ones; at
        least 32 on each side.
    difficulty : {"easy", "default", "hard"} or float, default="default"
        As in [`make_characters`][animecls.datasets.make_characters].
    random_state : int, numpy.random.Generator, RandomState or None, default=0
        Seed of the drawing, the split and the nuisances. The characters are
        the pictures [`make_characters`][animecls.datasets.make_characters]
        draws with the same seed; only the nuisance is added.
    characters : sequence of CharacterDesign or None, default=None
        The characters to draw; ``None`` uses
        [`DEFAULT_CHARACTERS`][animecls.datasets.DEFAULT_CHARACTERS].
    return_masks : bool, default=False
        If True, also return ``masks`` and ``silhouettes`` as
        [`make_characters`][animecls.datasets.make_characters] does (the
        watermark is not part of the figure).

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        images : ndarray of shape (n_images, height, width, 3), dtype uint8
            The pictures, grouped by class.
        target : ndarray of shape (n_images,), dtype int
            Index of each picture's character in ``class_names``.
        class_names : list of str
            The character names, sorted alphabetically.
        nuisance : ndarray of shape (n_images,), dtype int
            Index of the class whose nuisance each picture carries.
        is_test : ndarray of shape (n_images,), dtype bool
            True for the pictures of the test part.
        nuisance_kind : str
            ``"background"`` or ``"watermark"``.
        designs : tuple of CharacterDesign
            The design sheets, in the order of ``class_names``.
        DESCR : str
            Description of the data set, with the measured agreement of
            nuisance and class in each part.

    Raises
    ------
    ValueError
        If an argument is invalid; the message ends with the value received.

    See Also
    --------
    make_characters : The same characters without a shortcut.

    Examples
    --------
    >>> from animecls.datasets import make_shortcut_characters
    >>> data = make_shortcut_characters(4, image_size=(32, 32))
    >>> data.images.shape, int(data.is_test.sum())
    ((12, 32, 32, 3), 3)
    >>> train = ~data.is_test
    >>> bool((data.nuisance[train] == data.target[train]).all())
    True
    """
    nuisance = check_choice(nuisance, "nuisance", NUISANCES)
    correlation = check_fraction(train_correlation, "train_correlation", closed=True)
    test_size = check_test_size(test_size)
    given = _check_characters(characters)
    counts_given = _check_counts(n_per_class, len(given))
    height, width = _check_size(image_size)
    level = _check_difficulty(difficulty)
    rng = _check_random_state(random_state)

    # The streams come first, so the characters are make_characters' own.
    designs, counts, streams = _character_streams(given, counts_given, rng)
    n_classes = len(designs)
    target = np.repeat(np.arange(n_classes), counts)
    is_test = np.zeros(len(target), dtype=bool)
    for label, n_test in enumerate(_test_counts(counts, test_size)):
        members = np.flatnonzero(target == label)
        is_test[rng.choice(members, size=n_test, replace=False)] = True
    planted = target.copy()
    # Another class is the label plus a shift in 1..n_classes-1.
    swap = rng.uniform(size=len(target)) >= correlation
    shift = rng.integers(1, n_classes, size=len(target))
    planted[swap] = (target[swap] + shift[swap]) % n_classes
    planted[is_test] = rng.integers(0, n_classes, size=int(is_test.sum()))

    traits = TRAITS if return_masks else None
    drawn = _draw_set(
        designs,
        target,
        streams,
        level,
        height,
        width,
        traits=traits,
        nuisance_kind=nuisance,
        nuisance=planted,
    )

    names = [d.name for d in designs]
    agree = planted == target
    descr = _SHORTCUT_DESCR.format(
        kind=nuisance,
        how=_NUISANCE_HOW[nuisance],
        correlation=correlation,
        n_images=len(target),
        n_train=int((~is_test).sum()),
        n_test=int(is_test.sum()),
        n_classes=n_classes,
        names=", ".join(names),
        height=height,
        width=width,
        difficulty=level,
        train_agreement=agree[~is_test].mean(),
        test_agreement=agree[is_test].mean(),
    )
    bunch = Bunch(
        images=drawn.images,
        target=target,
        class_names=names,
        nuisance=planted,
        is_test=is_test,
        nuisance_kind=nuisance,
        designs=designs,
        DESCR=descr,
    )
    if return_masks:
        bunch.masks, bunch.silhouettes = drawn.masks, drawn.silhouettes
    return bunch
