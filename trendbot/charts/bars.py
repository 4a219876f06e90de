"""Bar charts: grouped vertical bars per category, horizontal bars (with panels when the
categories fall in two groups), value labels and the legend above the axes.
"""

from __future__ import annotations

from typing import Any

from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from trendbot.charts.canvas import (
    BAR_LABEL_PT,
    FIG_H_PT,
    FIG_W_PT,
    LEFT_EDGE,
    LEGEND_PT,
    NOTE_PT,
    RIGHT_EDGE,
    SUBTITLE_TOP,
    TICK_PT,
    Ink,
    fmt_value,
    value_ticks,
    y_ticks,
)
from trendbot.charts.spec import ChartSpec, Series
from trendbot.charts.style import resolve_colour


def _bar_values(s: Series) -> dict[int, float]:
    return {int(x): y for x, y in s.defined()}


def bar_legend(ink: Ink, spec: ChartSpec) -> float:
    """Colour keys on the subtitle row, right-aligned; returns where they start (fig x)."""
    if len(spec.series) < 2:
        return RIGHT_EDGE
    x = RIGHT_EDGE
    y = SUBTITLE_TOP - 0.025
    box_w, box_h, gap = 10 / FIG_W_PT, 10 / FIG_H_PT, 5 / FIG_W_PT
    for s in reversed(spec.series):
        w = ink.width_pt(s.label, LEGEND_PT) / FIG_W_PT
        x -= w
        ink.text(x, y, s.label, size=LEGEND_PT, colour=ink.theme.text)
        x -= gap + box_w
        ink.fig.patches.append(
            Rectangle(
                (x, y - box_h / 2),
                box_w,
                box_h,
                transform=ink.fig.transFigure,
                facecolor=resolve_colour(s.colour, ink.theme),
                edgecolor="none",
            )
        )
        x -= 16 / FIG_W_PT
    return x


def draw_vbars(ax: Any, ink: Ink, spec: ChartSpec) -> None:
    theme = ink.theme
    n_cat, n_ser = len(spec.categories), len(spec.series)
    width = 0.8 / n_ser if n_cat > 1 else min(0.8 / n_ser, 0.3)
    values = [_bar_values(s) for s in spec.series]
    top = max((v for vs in values for v in vs.values()), default=1.0)
    (lo, hi), yticks = value_ticks(spec, top)
    hi = hi * 1.08  # room for the value label over the tallest bar
    ax.set_ylim(lo, hi)
    y_ticks(ax, ink, yticks)
    group_pt = ax.get_position().width * FIG_W_PT / max(n_cat, 1)
    label_pt = max(9.0, min(BAR_LABEL_PT + 2, group_pt * width / 2.6))
    for j, (s, vs) in enumerate(zip(spec.series, values, strict=True)):
        colour = resolve_colour(s.colour, theme)
        offset = (j - (n_ser - 1) / 2) * width
        idx = sorted(vs)
        starred = {int(x) for x in s.hollow}
        ax.bar(
            [i + offset for i in idx],
            [vs[i] for i in idx],
            width=width * 0.92,
            color=colour,
            zorder=3,
            linewidth=0,
        )
        for i in idx:
            text = fmt_value(vs[i], spec.y_unit, precise=spec.y_unit == "percent" and n_cat == 1)
            ink.text(
                i + offset,
                vs[i] + hi * 0.012,
                text + ("*" if i in starred else ""),
                ax=ax,
                transform=ax.transData,
                size=label_pt,
                colour=theme.text,
                bold=True,
                ha="center",
                va="bottom",
            )
    pad = 0.6 if n_cat == 1 else 0.0
    ax.set_xlim(-0.5 - pad, n_cat - 0.5 + pad)
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    _panels(ax, ink, spec, trans)
    name_pt = ink.fit(
        max(spec.categories, key=len), TICK_PT, group_pt * 0.95, bold=False, minimum=9
    )
    for i, name in enumerate(spec.categories):
        ink.text(
            i,
            -0.035,
            name,
            ax=ax,
            transform=trans,
            size=name_pt,
            colour=theme.text,
            ha="center",
            va="top",
        )
        if spec.category_notes:
            ink.text(
                i,
                -0.15,
                spec.category_notes[i],
                ax=ax,
                transform=trans,
                size=NOTE_PT,
                colour=theme.muted,
                ha="center",
                va="top",
            )


def panel_split(spec: ChartSpec) -> tuple[int, str, str] | None:
    """Two panels on one bar chart: ``extra`` ``("split", "k")`` puts categories before k in the
    left panel, titled ``left_title`` / ``right_title`` (e.g. research beside industry)."""
    extra = dict(spec.extra)
    try:
        k = int(extra.get("split", "0"))
    except ValueError:
        return None
    if not 0 < k < len(spec.categories):
        return None
    return k, extra.get("left_title", "")[:40], extra.get("right_title", "")[:40]


def _panels(ax: Any, ink: Ink, spec: ChartSpec, trans: Any) -> None:
    split = panel_split(spec)
    if split is None:
        return
    k, left, right = split
    theme = ink.theme
    ax.axvline(k - 0.5, color=theme.muted, linewidth=1.4, linestyle=(0, (4, 3)), zorder=2)
    n = len(spec.categories)
    for centre, title in (((k - 1) / 2, left), ((k + n - 1) / 2, right)):
        if title:
            ink.text(
                centre,
                1.0,
                title,
                ax=ax,
                transform=trans,
                size=NOTE_PT + 1,
                colour=theme.muted,
                bold=True,
                ha="center",
                va="bottom",
            )


def draw_hbars(ax: Any, ink: Ink, spec: ChartSpec) -> None:
    theme = ink.theme
    n_cat, n_ser = len(spec.categories), len(spec.series)
    height = 0.82 / n_ser
    values = [_bar_values(s) for s in spec.series]
    top = max((v for vs in values for v in vs.values()), default=1.0)
    x_max = 112.0 if spec.y_unit == "percent" else max(top * 1.16, 1.0)
    ax.set_xlim(0, x_max)
    ax.set_ylim(n_cat - 0.5, -0.5)  # first category at the top
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(True)
    ax.spines["left"].set_color(theme.grid)
    ax.spines["left"].set_linewidth(1.2)
    pos = ax.get_position()
    row_pt = pos.height * FIG_H_PT / max(n_cat, 1)
    label_pt = max(8.5, min(BAR_LABEL_PT, row_pt * height * 0.95))
    for j, (s, vs) in enumerate(zip(spec.series, values, strict=True)):
        colour = resolve_colour(s.colour, theme)
        offset = (j - (n_ser - 1) / 2) * height
        idx = sorted(vs)
        starred = {int(x) for x in s.hollow}
        ax.barh(
            [i + offset for i in idx],
            [vs[i] for i in idx],
            height=height * 0.9,
            color=colour,
            zorder=3,
            linewidth=0,
        )
        for i in idx:
            text = fmt_value(vs[i], spec.y_unit) + ("*" if i in starred else "")
            ink.text(
                vs[i] + x_max * 0.008,
                i + offset,
                text,
                ax=ax,
                transform=ax.transData,
                size=label_pt,
                colour=theme.text,
                bold=True,
            )
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    name_room = (pos.x0 - LEFT_EDGE) * FIG_W_PT - 0.02 * pos.width * FIG_W_PT
    name_pt = min(
        ink.fit(max(spec.categories, key=len), TICK_PT, name_room, bold=False, minimum=9),
        max(10.0, row_pt * 0.62),
    )
    for i, name in enumerate(spec.categories):
        ink.text(
            -0.02, i, name, ax=ax, transform=trans, size=name_pt, colour=theme.text, ha="right"
        )
        if spec.category_notes:
            ink.text(
                1.03,
                i,
                spec.category_notes[i],
                ax=ax,
                transform=trans,
                size=name_pt,
                colour=theme.text,
                bold=True,
            )
    if spec.notes_title:
        ink.text(1.03, 1.01, spec.notes_title, ax=ax, size=11, colour=theme.muted, va="bottom")
