"""Themes and colours: how every trendbot chart looks, in one place.

A framework keeps one colour on every chart and in both themes, so a reader who has learnt that
PyTorch is vermillion never has to check a legend again. The framework colours are the Okabe–Ito
colour-blind-safe set (PyTorch keeps its own brand vermillion, which is that set's vermillion
made brighter): no two of them are closer than ΔE 15 in CIELAB, nor under simulated deuteranopia,
protanopia or tritanopia (tests/test_charts_readability.py checks the pairs), and each stands
out from both backgrounds. TensorFlow, PyTorch's rival on most charts, is sky blue against its
vermillion, the pair every kind of colour vision tells apart; its line is also dashed. Series that
are not frameworks (venues, fields) take the theme's palette in request order.

Palette (dark / light), also listed in docs/charts.md:

====  ==========  ==========
slot  dark        light
====  ==========  ==========
0     ``#3DDC97``  ``#0B8F5E``  mint
1     ``#C792EA``  ``#7E3FB0``  lavender
2     ``#F7C548``  ``#A87A00``  amber
3     ``#4DD0E1``  ``#00838F``  cyan
4     ``#F78FB3``  ``#C2185B``  pink
5     ``#A3BE8C``  ``#4F7A28``  sage
6     ``#D0D4DA``  ``#5D6470``  silver
7     ``#FFAB91``  ``#B5482B``  peach
====  ==========  ==========
"""

from __future__ import annotations

from dataclasses import dataclass

FRAMEWORK_COLOURS: dict[str, str] = {
    "pytorch": "#EE4C2C",  # vermillion (PyTorch's brand colour)
    "tensorflow": "#56B4E9",  # sky blue
    "jax": "#009E73",  # bluish green
    "keras": "#CC79A7",  # reddish purple
    "mxnet": "#E69F00",  # orange
    "paddlepaddle": "#4A7BE0",  # blue (Okabe–Ito's #0072B2, lightened for the dark theme)
    "mindspore": "#B9A55A",  # khaki (Okabe–Ito's yellow, darkened for the light theme)
    "other": "#6B7178",  # grey
    # The code method's repositories using several frameworks ("none" is drawn as "other").
    "several": "#9933FF",  # violet (apart from every framework for every colour vision)
}

FRAMEWORK_NAMES: dict[str, str] = {
    "pytorch": "PyTorch",
    "tensorflow": "TensorFlow",
    "jax": "JAX",
    "keras": "Keras",
    "mxnet": "MXNet",
    "paddlepaddle": "PaddlePaddle",
    "mindspore": "MindSpore",
    "other": "Other",
}


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    text: str  # titles, end labels
    muted: str  # ticks, footnote
    grid: str
    reference: str  # the 50 % line and similar guides
    palette: tuple[str, ...]


DARK = Theme(
    name="dark",
    background="#2B2D31",  # Discord's embed surface, so the image merges with the card
    text="#DBDEE1",
    muted="#949BA4",
    grid="#3F4147",
    reference="#6D6F78",
    palette=(
        "#3DDC97",
        "#C792EA",
        "#F7C548",
        "#4DD0E1",
        "#F78FB3",
        "#A3BE8C",
        "#D0D4DA",
        "#FFAB91",
    ),
)

LIGHT = Theme(
    name="light",
    background="#FFFFFF",
    text="#313338",
    muted="#5C5E66",
    grid="#E3E5E8",
    reference="#A0A3AB",
    palette=(
        "#0B8F5E",
        "#7E3FB0",
        "#A87A00",
        "#00838F",
        "#C2185B",
        "#4F7A28",
        "#5D6470",
        "#B5482B",
    ),
)

THEMES: dict[str, Theme] = {"dark": DARK, "light": LIGHT}


def framework_key(name: str) -> str:
    """'PyTorch' / 'pytorch' / 'TF' → the key used for colours and names."""
    key = name.strip().lower().replace(" ", "").replace("-", "")
    return {"tf": "tensorflow", "torch": "pytorch", "paddle": "paddlepaddle"}.get(key, key)


def framework_name(key: str) -> str:
    return FRAMEWORK_NAMES.get(framework_key(key), key)


def resolve_colour(colour: str, theme: Theme) -> str:
    """A series colour: ``#rrggbb``, a framework key (``pytorch``), or ``palette:N``."""
    if colour.startswith("#"):
        return colour
    if colour.startswith("palette:"):
        try:
            slot = int(colour.split(":", 1)[1])
        except ValueError:
            slot = 0
        return theme.palette[slot % len(theme.palette)]
    return FRAMEWORK_COLOURS.get(framework_key(colour), FRAMEWORK_COLOURS["other"])
