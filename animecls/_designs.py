"""Random design sheets: as many drawn identities as pretraining needs.

[`random_designs`][animecls.datasets.random_designs] draws
[`CharacterDesign`][animecls.datasets.CharacterDesign] sheets at random,
deterministic from a seed, that differ in exactly the traits that tell anime
characters apart (hair colour and cut, fringe, eye colour, dyed tips,
accessories, outfit). Fed to
[`make_characters`][animecls.datasets.make_characters], they give a pretraining
set of thousands of identities drawn in the default set's style, with none of
the default characters among them: a design too close to an excluded one is
drawn again, so no picture a student evaluates on was seen in pretraining.
"""

import colorsys

import numpy as np

from ._characters import (
    ACCESSORIES,
    BANGS,
    DEFAULT_CHARACTERS,
    HAIR_STYLES,
    OUTFITS,
    CharacterDesign,
)
from ._validation import check_count, check_seed

__all__ = ["design_distance", "random_designs"]

# Two designs closer than this (see design_distance) would draw pictures a
# network could mistake for one another: an excluded design's look-alike is
# drawn again.
_MIN_DISTANCE = 0.5

# Hair colours anime characters wear: most saturated hues, plus the natural
# blacks, browns, blondes and whites, which the hue draw alone misses.
_NATURAL_HAIR = (
    (0.08, (0.2, 0.6), (0.08, 0.3)),  # black and dark brown
    (0.07, (0.35, 0.7), (0.35, 0.65)),  # brown
    (0.13, (0.35, 0.65), (0.8, 1.0)),  # blonde
    (0.6, (0.0, 0.12), (0.85, 1.0)),  # white and silver
)


def _color(rng, s_range, v_range, hue=None):
    h = rng.uniform(0, 1) if hue is None else hue
    s, v = rng.uniform(*s_range), rng.uniform(*v_range)
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h, s, v))


def _hair(rng):
    if rng.uniform() < 0.4:
        hue, s_range, v_range = _NATURAL_HAIR[rng.integers(len(_NATURAL_HAIR))]
        return _color(rng, s_range, v_range, hue=hue + rng.uniform(-0.03, 0.03))
    return _color(rng, (0.35, 0.9), (0.55, 1.0))


def _rgb_distance(a, b):
    """Distance of two colours in [0, 1]: 1 is black against white."""
    return float(np.linalg.norm(np.subtract(a, b)) / (255 * np.sqrt(3)))


def design_distance(a, b):
    """How different two design sheets look, from 0 (the same) upwards.

    A weighted sum over the traits that tell characters apart: hair colour
    and eye colour (colour distance, 0 to 1 each), and 0.25 for each of a
    different hair style, fringe, outfit, and a different set of accessories.

    Parameters
    ----------
    a, b : CharacterDesign

    Returns
    -------
    distance : float
    """
    return (
        _rgb_distance(a.hair_color, b.hair_color)
        + _rgb_distance(a.eye_color, b.eye_color)
        + 0.25 * (a.hair_style != b.hair_style)
        + 0.25 * (a.bangs != b.bangs)
        + 0.25 * (a.outfit != b.outfit)
        + 0.25 * (set(a.accessories) != set(b.accessories))
    )


def random_designs(n, *, random_state=0, exclude=DEFAULT_CHARACTERS, prefix="id"):
    """Draw ``n`` random character designs, none close to an excluded one.

    Parameters
    ----------
    n : int
        Number of designs (identities), at least 2.
    random_state : int, default=0
        Seed: the same seed gives the same designs.
    exclude : sequence of CharacterDesign, default=DEFAULT_CHARACTERS
        Designs that must not appear: any drawn design closer to one of
        them than 0.5 (``design_distance``; the default characters are
        1.28 to 1.83 apart) is replaced by another.
        By default the three characters of the embedded default set, so a
        network pretrained on these designs has never seen the characters a
        student evaluates it on.
    prefix : str, default="id"
        Names are ``f"{prefix}{k:05d}"``.

    Returns
    -------
    designs : tuple of CharacterDesign

    Examples
    --------
    >>> from animecls.datasets import make_characters, random_designs
    >>> designs = random_designs(4, random_state=0)
    >>> [d.name for d in designs]
    ['id00000', 'id00001', 'id00002', 'id00003']
    >>> data = make_characters(2, image_size=(32, 32), characters=designs)
    >>> data.images.shape
    (8, 32, 32, 3)
    """
    n = check_count(n, "n", minimum=2)
    rng = np.random.default_rng(check_seed(random_state))
    excluded = tuple(exclude)
    designs = []
    while len(designs) < n:
        n_accessories = rng.choice(4, p=(0.3, 0.4, 0.2, 0.1))
        hair = _hair(rng)
        design = CharacterDesign(
            name=f"{prefix}{len(designs):05d}",
            hair_color=hair,
            hair_style=HAIR_STYLES[rng.integers(len(HAIR_STYLES))],
            bangs=BANGS[rng.integers(len(BANGS))],
            eye_color=_color(rng, (0.45, 1.0), (0.35, 0.95)),
            skin_color=_color(rng, (0.08, 0.22), (0.9, 1.0), hue=0.06),
            hair_tip_color=_color(rng, (0.4, 0.9), (0.6, 1.0))
            if rng.uniform() < 0.15
            else None,
            accessories=tuple(
                ACCESSORIES[i]
                for i in rng.choice(len(ACCESSORIES), n_accessories, replace=False)
            ),
            accessory_color=_color(rng, (0.0, 0.9), (0.6, 1.0)),
            outfit=OUTFITS[rng.integers(len(OUTFITS))],
            outfit_colors=(
                _color(rng, (0.0, 0.8), (0.1, 0.95)),
                _color(rng, (0.3, 0.9), (0.3, 0.95)),
            ),
            sidelocks=bool(rng.uniform() < 0.7),
        )
        if all(design_distance(design, other) >= _MIN_DISTANCE for other in excluded):
            designs.append(design)
    return tuple(designs)
