"""The label table of DESIGN.md, in one place. Label maps are uint8 images of these ids."""

from __future__ import annotations

BACKGROUND = 0
SKIN = 1
HAIR = 2
UPPER = 3
LOWER = 4
DRESS = 5
SHOES = 6
OUTER = 7

LABEL_NAMES: dict[int, str] = {
    BACKGROUND: "background",
    SKIN: "skin",
    HAIR: "hair",
    UPPER: "upper",
    LOWER: "lower",
    DRESS: "dress",
    SHOES: "shoes",
    OUTER: "outer",
}
LABEL_IDS: dict[str, int] = {name: i for i, name in LABEL_NAMES.items()}
NUM_LABELS = len(LABEL_NAMES)

# Layers, innermost first: the order they are stacked on a person and listed in layers.glb (body skin first).
LAYER_ORDER: tuple[int, ...] = (SKIN, SHOES, LOWER, UPPER, DRESS, OUTER, HAIR)
GARMENT_LABELS: tuple[int, ...] = (HAIR, UPPER, LOWER, DRESS, OUTER, SHOES)  # every label a garment layer can have
GARMENT_NAMES: tuple[str, ...] = tuple(LABEL_NAMES[i] for i in LABEL_NAMES if i in GARMENT_LABELS)  # label-id order
# The garments that are worn over one another, innermost first (LAYER_ORDER's order): collisions stack these.
# Hair and shoes each cover their own body part, so nothing is stacked on or under them.
STACKED_GARMENTS: tuple[str, ...] = tuple(LABEL_NAMES[i] for i in LAYER_ORDER if i in (LOWER, UPPER, DRESS, OUTER))
# The order garments are offered to a person (the web page's lists): the ones most often swapped first.
GARMENT_MENU_ORDER: tuple[str, ...] = ("upper", "lower", "dress", "outer", "shoes", "hair")
# The garment a demo tries on, first present of these (the most telling try-on first).
TRYON_PREFERENCE: tuple[str, ...] = ("upper", "dress", "outer", "lower")

# Display colours (RGB) for label maps in pictures; not used for any computation.
LABEL_COLORS: dict[int, tuple[int, int, int]] = {
    BACKGROUND: (0, 0, 0),
    SKIN: (240, 190, 160),
    HAIR: (90, 50, 20),
    UPPER: (220, 40, 40),
    LOWER: (40, 80, 220),
    DRESS: (200, 60, 200),
    SHOES: (60, 200, 60),
    OUTER: (240, 200, 40),
}


def label_id(name: str) -> int:
    """Label id for a name such as "upper"; raises ValueError listing the known names."""
    try:
        return LABEL_IDS[name]
    except KeyError:
        raise ValueError(f"unknown label {name!r}; known: {', '.join(LABEL_IDS)}") from None
