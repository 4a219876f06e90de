"""How the industry commands write a figure: exact values with thousands separators, the date a
figure stands for in the metric's own terms ("March 2026", "30 days to 2025-06-25"), changes over
a year, shares, and the provenance footer. Abbreviations such as 1.2M belong on charts only.

Shared by ``!industry``, ``!trend``, ``!compare`` and ``!metrics``; pure functions, no I/O
beyond the store's cached source table.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable

from trendbot.commands.text import fmt_pct
from trendbot.storage.catalog import MetricDef
from trendbot.storage.figures import SHARE_OF_TOTAL, Figure
from trendbot.storage.frameworks import load_frameworks
from trendbot.storage.metrics import MetricValue

_WINDOW_DAYS = re.compile(r"(\d+) days")


def fw_name(framework: str) -> str:
    """'pytorch' → 'PyTorch' (from the framework table), '_all' stays as it is."""
    fw = load_frameworks().get(framework)
    return fw.name if fw else framework


def fmt_number(value: float) -> str:
    """Exact, with thousands separators; a fraction only where the value has one."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def fmt_value(value: float, definition: MetricDef) -> str:
    if definition.kind == "rank":
        return f"#{int(value):,}"
    return fmt_number(value)


def month_name(iso: str) -> str:
    return f"{calendar.month_name[int(iso[5:7])]} {iso[:4]}"


def fmt_when(v: MetricValue, definition: MetricDef) -> str:
    """What a row's date stands for, in the metric's period: a month, a window, or a day."""
    if definition.period == "month":
        return month_name(v.date)
    if definition.period == "30d":
        return f"30 days to {v.date}"
    if definition.period == "window":
        days = _WINDOW_DAYS.search(v.method)
        return f"{days.group(1) if days else 'a few'} days to {v.date}"
    return v.date[:10]


def fmt_pct_change(ratio: float) -> str:
    pct = (ratio - 1) * 100
    if abs(pct) < 0.05:
        return "±0 %"
    return f"{pct:+.1f} %" if abs(pct) < 10 else f"{pct:+,.0f} %"


def fmt_change(fig: Figure, definition: MetricDef) -> str:
    """The change over about a year, from the same source: '+59 %', 'up 12 places', or '—'."""
    if fig.before is None:
        return "—"
    if definition.kind == "rank":
        places = int(fig.before.value - fig.latest.value)
        if places == 0:
            return "same rank"
        return f"{'up' if places > 0 else 'down'} {abs(places):,} place{'s' * (abs(places) != 1)}"
    if definition.name in SHARE_OF_TOTAL:  # small counts: the figure itself, not a percentage
        return f"{fmt_number(fig.before.value)} a year before"
    ratio = fig.ratio
    if ratio is None:
        return f"{fig.change:+,.0f}"
    return fmt_pct_change(ratio)


def fmt_share(fig: Figure, definition: MetricDef) -> str:
    """'58.3 %' of the frameworks' downloads, or '4 of 409 ads' for counts within a total."""
    if definition.name in SHARE_OF_TOTAL and fig.total is not None:
        return f"{fmt_number(fig.latest.value)} of {fmt_number(fig.total.value)}"
    return fmt_pct(fig.share) if fig.share is not None else ""


def share_basis(definition: MetricDef, frameworks: Iterable[str] = ()) -> str:
    """What a share is of, said once per metric."""
    if definition.name == "hn-hiring":
        return "of the month's job ads"
    if definition.name in SHARE_OF_TOTAL:
        return f"of all {definition.unit} that {'month' if definition.period == 'month' else 'day'}"
    named = [fw_name(f) for f in frameworks]
    if named:
        return f"share of the {len(named)} frameworks' total ({', '.join(named)})"
    return "share of the frameworks' total"


def source_names(store, source_ids: Iterable[str]) -> list[str]:
    sources = store.sources()
    return [sources[s].name if s in sources else s for s in dict.fromkeys(source_ids)]


def short_source_names(store, source_ids: Iterable[str]) -> list[str]:
    """A chart's footnote names: each source's name without its parenthesised detail ('Top
    PyPI Packages', 'NeurIPS proceedings'), never a raw id such as 'hugovk-top-pypi-packages'
    unless the store has no name for it."""
    return list(dict.fromkeys(n.split(" (", 1)[0] for n in source_names(store, source_ids)))


def short_month(iso: str) -> str:
    """'2026-03-01' → 'Mar 2026': the date under a bar, where a group is about 14 letters wide."""
    return f"{calendar.month_abbr[int(iso[5:7])]} {iso[:4]}"


def collected_range(values: Iterable[MetricValue]) -> str:
    dates = sorted({v.collected_at[:10] for v in values if v.collected_at})
    if not dates:
        return "unknown"
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"


def industry_footer(store, values: Iterable[MetricValue]) -> str:
    """'Sources: … · collected 2024-05-01 to 2026-08-22': every source a reply's figures used."""
    values = [v for v in values if v is not None]
    names = "; ".join(source_names(store, (v.source_id for v in values))) or "none"
    return f"Sources: {names} · collected {collected_range(values)}"
