"""How a reply names where its numbers came from: method, source, and collection date."""

from __future__ import annotations

from collections.abc import Iterable

from trendbot.storage import Method, Store, VenueYear


def source_names(store: Store, rows: Iterable[VenueYear]) -> list[str]:
    sources = store.sources()
    seen: list[str] = []
    for r in rows:
        src = sources.get(r.source_id)
        name = src.name if src else r.source_id
        if name not in seen:
            seen.append(name)
    return seen


def collected(rows: Iterable[VenueYear]) -> str:
    dates = sorted({r.collected_at[:10] for r in rows if r.collected_at})
    if not dates:
        return "unknown"
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"


def method_label(method: Method) -> str:
    return f"{method.name} rule ({method.version})"


def footer(store: Store, method: Method, rows: list[VenueYear]) -> str:
    """One line, e.g. 'Method: final rule (2021-10-22) · Source: … · collected 2021-10-22'."""
    srcs = "; ".join(source_names(store, rows)) or "none"
    return f"Method: {method_label(method)} · Source: {srcs} · collected {collected(rows)}"


def population_warning(row: VenueYear) -> str | None:
    """Rows whose denominator is not the accepted-paper list get a visible caveat."""
    if row.population == "submissions":
        return f"counts all {row.total_papers:,} submissions, not only accepted papers"
    if row.population == "partial":
        return f"a partial list of {row.total_papers:,} papers" + (
            f" ({row.note})" if row.note else ""
        )
    return None
