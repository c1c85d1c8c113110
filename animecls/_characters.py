"""Draw the embedded default data set: anime-style character portraits.

The report's pictures are not ours to ship and no network is reachable at run
time, so :func:`make_characters` draws its own characters with Pillow from a
design sheet (:class:`CharacterDesign`), deterministically from a seed.
"""

from dataclasses import dataclass

__all__ = ["CharacterDesign", "DEFAULT_CHARACTERS", "make_characters"]

HAIR_STYLES = ("long", "bob", "short", "ponytail", "twintails")
BANGS = ("blunt", "side_swept", "parted", "wispy")
OUTFITS = ("school", "sailor", "dress", "sweater")
ACCESSORIES = (
    "hairband",
    "hair_clips",
    "earrings",
    "ribbon",
    "glasses",
    "hair_flower",
    "choker",
)


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
    outfit : {"school", "sailor", "dress", "sweater"}, default="school"
        Cut of the clothes and collar.
    outfit_colors : tuple of two colours, default=("#2b3556", "#f4f4f4")
        Main colour of the clothes, then the collar or shirt colour.
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
    outfit: str = "school"
    outfit_colors: tuple = ("#2b3556", "#f4f4f4")
    sidelocks: bool = True

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(
                f"name must be a non-empty string. Received: name={self.name!r}"
            )
        if any(c in self.name for c in '/\\:*?"<>|') or self.name in (".", ".."):
            # The name becomes a folder name when the set is written to disk.
            raise ValueError(
                'name must be usable as a folder name (no / \\ : * ? " < > |). '
                f"Received: name={self.name!r}"
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
        object.__setattr__(
            self,
            "outfit_colors",
            tuple(_parse_color(c, "outfit_colors") for c in colors),
        )
        if not isinstance(self.sidelocks, bool):
            raise ValueError(
                "sidelocks must be True or False. "
                f"Received: sidelocks={self.sidelocks!r}"
            )


DEFAULT_CHARACTERS = (
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
    CharacterDesign(
        name="Marin Kitagawa",
        hair_color="#f2d47c",
        hair_tip_color="#f07fa8",
        hair_style="long",
        bangs="wispy",
        eye_color="#d94a6e",
        accessories=("earrings",),
        accessory_color="#c9ccd6",
        outfit="school",
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
        outfit="school",
        outfit_colors=("#2b3556", "#f4f4f4"),
    ),
)


def make_characters(
    n_per_class=None,
    *,
    image_size=(250, 250),
    characters=None,
    difficulty="default",
    random_state=0,
    directory=None,
    return_X_y=False,
):
    """Draw a data set of anime-style character portraits (being written)."""
    raise NotImplementedError("make_characters is being written")
