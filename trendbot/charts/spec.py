"""What a chart shows, as plain frozen dataclasses: picklable, hashable, and bounded.

A spec carries only numbers and short strings, never a store, a DataFrame or a matplotlib
object. That is what lets it cross into a worker process cheaply, serve as a cache key (together
with the store's data version), and be checked for size before anything is allocated for it.
The same two kinds, ``line`` and ``bars``, serve paper shares by venue today and industry time
series (``x_kind="date"``) later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

# Bounds that keep a hostile or buggy spec from allocating without limit or drawing for ever.
MAX_SERIES = 12
MAX_POINTS = 500  # per series: enough for 40 years of monthly values
MAX_TOTAL_POINTS = 2000
MAX_CATEGORIES = 30
MAX_TITLE = 90
MAX_SUBTITLE = 120
MAX_LABEL = 40
MAX_FOOTNOTE = 300
MAX_KEY = 240  # the marker key over the footnote: at most two lines
MAX_ABS_VALUE = 1e15

ChartKind = Literal["line", "bars"]
XKind = Literal["year", "date", "category"]
# Every share is drawn on a fixed 0–100 % axis, so two charts of shares can be read side by side
# and 7 % never looks like half: "percent" (two frameworks' shares, parity at 50 %, whole-number
# labels) and "percent_fine" (each framework's share of all papers: small shares, so one decimal
# below 10 %); "count" and "number": from zero to a round top.
YUnit = Literal["percent", "percent_fine", "count", "number"]

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_COLOUR_KEY = re.compile(r"^(palette:\d{1,2}|[a-z][a-z0-9_-]{0,30})$")


class ChartSpecError(ValueError):
    """A spec that is too large or malformed to draw; the message says which bound it broke."""


@dataclass(frozen=True)
class Series:
    """One line (or one set of same-coloured bars).

    ``points`` are ``(x, y)`` pairs: x is a year, days since 1970-01-01 for dates, or the
    category index for bars; y ``None`` means "no value here" and breaks a line in two, so a
    line never runs straight across years nobody counted (NeurIPS 2020 → 2024). A venue held
    every other year simply has no point for the years between, and its line stays whole: the
    spec builders decide which missing years are gaps (``charts.papers.with_gaps``).
    ``hollow`` lists x values drawn as open markers, for numbers that carry a caveat
    (submissions rather than accepted papers); ``thin`` lists x values whose figure rests on
    few papers (``charts.papers.THIN_PAPERS``), drawn with a cross.
    """

    label: str
    colour: str  # "#rrggbb", a framework key such as "pytorch", or "palette:N"
    points: tuple[tuple[float, float | None], ...]
    dashed: bool = False
    hollow: tuple[float, ...] = ()
    thin: tuple[float, ...] = ()

    def defined(self) -> list[tuple[float, float]]:
        return [(x, y) for x, y in self.points if y is not None]

    def segments(self) -> list[list[tuple[float, float]]]:
        """The runs of points a line joins: a ``None`` value ends one run and starts the next."""
        runs: list[list[tuple[float, float]]] = [[]]
        for x, y in self.points:
            if y is None:
                if runs[-1]:
                    runs.append([])
            else:
                runs[-1].append((x, y))
        return [r for r in runs if r]


@dataclass(frozen=True)
class ChartSpec:
    """Everything the renderer needs; equal specs draw identical PNGs."""

    kind: ChartKind
    title: str
    series: tuple[Series, ...]
    subtitle: str = ""
    footnote: str = ""
    key: str = ""  # what the markers mean ("× fewer than 20 papers"), on its own line
    y_label: str = ""  # what the y values are, beside the axis ("share of each measure")
    x_kind: XKind = "year"
    y_unit: YUnit = "percent"
    categories: tuple[str, ...] = ()  # bars: one label per group
    category_notes: tuple[str, ...] = ()  # bars: a short muted note per group ("67 % PyTorch")
    notes_title: str = ""  # heading over the category notes
    horizontal: bool = False  # bars: groups down the y axis (for many or long category names)
    reference_y: float | None = None  # a guide line, e.g. 50 for parity on a share chart
    theme: Literal["dark", "light"] = "dark"
    extra: tuple[tuple[str, str], ...] = field(default=())  # room for later options, hashable

    # -- checks ----------------------------------------------------------------------------------
    def validate(self) -> ChartSpec:
        """Raise ``ChartSpecError`` unless the spec is within every bound; cheap checks first."""
        if self.kind not in ("line", "bars"):
            raise ChartSpecError(f"unknown chart kind {self.kind!r}")
        if self.x_kind not in ("year", "date", "category"):
            raise ChartSpecError(f"unknown x kind {self.x_kind!r}")
        if self.y_unit not in ("percent", "percent_fine", "count", "number"):
            raise ChartSpecError(f"unknown y unit {self.y_unit!r}")
        if self.theme not in ("dark", "light"):
            raise ChartSpecError(f"unknown theme {self.theme!r}")
        if not isinstance(self.series, tuple) or not self.series:
            raise ChartSpecError("a chart needs at least one series")
        if len(self.series) > MAX_SERIES:
            raise ChartSpecError(f"{len(self.series)} series; at most {MAX_SERIES}")
        if len(self.categories) > MAX_CATEGORIES:
            raise ChartSpecError(f"{len(self.categories)} categories; at most {MAX_CATEGORIES}")
        if self.category_notes and len(self.category_notes) != len(self.categories):
            raise ChartSpecError("category_notes must match categories one to one")
        for s in self.series:
            if not isinstance(s.points, tuple) or len(s.points) > MAX_POINTS:
                raise ChartSpecError(f"a series may have at most {MAX_POINTS} points")
            if len(s.hollow) > MAX_POINTS or len(s.thin) > MAX_POINTS:
                raise ChartSpecError("too many markers")
        total = sum(len(s.points) for s in self.series)
        if total > MAX_TOTAL_POINTS:
            raise ChartSpecError(f"{total} points in all; at most {MAX_TOTAL_POINTS}")
        _check_text("title", self.title, MAX_TITLE)
        _check_text("subtitle", self.subtitle, MAX_SUBTITLE)
        _check_text("footnote", self.footnote, MAX_FOOTNOTE)
        _check_text("key", self.key, MAX_KEY)
        _check_text("y label", self.y_label, MAX_LABEL)
        _check_text("notes_title", self.notes_title, MAX_LABEL)
        for text in (*self.categories, *self.category_notes):
            _check_text("category", text, MAX_LABEL)
        for s in self.series:
            _check_text("series label", s.label, MAX_LABEL)
            if not (_HEX.match(s.colour) or _COLOUR_KEY.match(s.colour)):
                raise ChartSpecError(f"bad colour {s.colour[:20]!r}")
            for x, y in s.points:
                _check_number(x)
                if y is not None:
                    _check_number(y)
            for x in (*s.hollow, *s.thin):
                _check_number(x)
        if self.kind == "bars":
            if not self.categories:
                raise ChartSpecError("a bar chart needs categories")
            n = len(self.categories)
            for s in self.series:
                for x, _ in s.points:
                    if x != int(x) or not 0 <= x < n:
                        raise ChartSpecError("bar x values must be category indexes")
        if self.reference_y is not None:
            _check_number(self.reference_y)
        return self

    # -- facts used by the renderer, the alt text and the tests -------------------------------
    def xs(self) -> list[float]:
        return sorted({x for s in self.series for x, _ in s.defined()})

    def is_empty(self) -> bool:
        return not any(s.defined() for s in self.series)


def _check_text(what: str, value: str, limit: int) -> None:
    if not isinstance(value, str):
        raise ChartSpecError(f"{what} must be text")
    if len(value) > limit:
        raise ChartSpecError(f"{what} is {len(value)} characters; at most {limit}")


def _check_number(v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ChartSpecError(f"not a number: {v!r:.20}")
    if not math.isfinite(v) or abs(v) > MAX_ABS_VALUE:
        raise ChartSpecError(f"number out of range: {v!r:.20}")


def has_gap(series: Iterable[Series]) -> bool:
    """True when some line breaks between two of its points (not at its ends)."""
    return any(len(s.segments()) > 1 for s in series)


def clip_label(text: str, limit: int = MAX_LABEL) -> str:
    """Shorten user- or store-supplied text to fit a bound instead of failing on it."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line_chart(
    title: str,
    series: list[Series] | tuple[Series, ...],
    *,
    x_kind: XKind = "year",
    **options: object,
) -> ChartSpec:
    """A line chart, or grouped bars when every point sits at one x (a one-year venue).

    A single point per line reads as a dot floating in an empty frame; bars at that x say the
    same thing legibly. Deciding it here keeps every caller (venue shares, counts, metrics)
    consistent.
    """
    spec = ChartSpec(kind="line", title=title, series=tuple(series), x_kind=x_kind, **options)
    xs = spec.xs()
    if len(xs) != 1:
        return spec
    only = xs[0]
    label = str(int(only)) if x_kind == "year" else _date_label(only) if x_kind == "date" else ""
    bars = tuple(
        replace(
            s,
            points=tuple((0.0, y) for x, y in s.points if x == only and y is not None),
            hollow=(0.0,) if only in s.hollow else (),
            thin=(0.0,) if only in s.thin else (),
        )
        for s in series
    )
    return replace(spec, kind="bars", series=bars, categories=(label,), x_kind="category")


def _date_label(days: float) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(days))).isoformat()
