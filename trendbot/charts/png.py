"""The PNG: an 8-bit palette image whose palette is built from the colours the chart actually
uses (each blended toward the background in steps, for anti-aliased edges). That keeps every
framework colour exact, cuts the file to about half, and encodes in a few milliseconds where
zlib on full RGBA took ~45 ms.
"""

from __future__ import annotations

import functools
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from trendbot.charts.canvas import BLEND_STEPS, PNG_LEVEL
from trendbot.charts.spec import ChartSpec
from trendbot.charts.style import Theme, resolve_colour


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def palette(spec: ChartSpec, theme: Theme) -> Image.Image:
    """Every colour the chart uses, with shades toward the background for anti-aliasing."""
    series = tuple(dict.fromkeys(resolve_colour(s.colour, theme) for s in spec.series))
    return _palette_for(theme, series)


@functools.lru_cache(maxsize=64)
def _palette_for(theme: Theme, series: tuple[str, ...]) -> Image.Image:
    bg = _hex_rgb(theme.background)
    used = [theme.text, theme.muted, theme.grid, theme.reference, *series]
    exact = list(dict.fromkeys([bg, *(_hex_rgb(c) for c in used)]))
    shades = []
    for rgb in exact[1:]:
        for step in range(1, BLEND_STEPS):
            a = step / BLEND_STEPS
            shade = tuple(round(b + (c - b) * a) for b, c in zip(bg, rgb, strict=True))
            # Pillow maps pixels through a cache of 8×4×8-value cells, so a shade that close
            # to an exact colour could capture that colour's pixels; leave those out.
            if all(sum((p - q) ** 2 for p, q in zip(shade, e, strict=True)) > 144 for e in exact):
                shades.append(shade)
    entries = list(dict.fromkeys(exact + shades))[:256]
    flat = [v for rgb in entries for v in rgb]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + flat[:3] * (256 - len(entries)))
    return image


def encode_png(canvas: FigureCanvasAgg, palette: Image.Image) -> bytes:
    width, height = canvas.get_width_height(physical=True)
    rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    indexed = rgba.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    indexed.save(buf, format="PNG", compress_level=PNG_LEVEL)
    return buf.getvalue()
