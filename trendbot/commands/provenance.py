"""How a reply names where its numbers came from: method, source, and collection date."""

from __future__ import annotations

from collections.abc import Iterable

from trendbot.commands.text import figure_name
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


def population_label(store: Store, row: VenueYear) -> str:
    """What a venue-year's total counts, in words every reply can use after a number:
    "accepted papers", "submissions", or a collection's own description."""
    if row.population == "submissions":
        return "submissions"
    if row.population == "partial":
        return "papers (a partial list)"
    if not store.is_published(row.source_id) and row.note:
        return row.note
    return f"accepted papers ({row.note})" if row.note else "accepted papers"


def source_name(store: Store, row: VenueYear) -> str:
    src = store.sources().get(row.source_id)
    return src.name if src else row.source_id


def unread(store: Store, row: VenueYear) -> str | None:
    """For a collected venue-year: how many of its papers could not be read (they count in the
    total, as in the study) and how many had no text layer; None when all were read."""
    if store.is_published(row.source_id):
        return None
    failed, no_text = store.paper_failures().get((row.venue_id, row.year), (0, 0))
    parts = []
    if failed:
        parts.append(f"{failed:,} could not be read")
    if no_text:
        parts.append(f"{no_text:,} had no text layer (scans)")
    if not parts:
        return None
    return f"{' and '.join(parts)}; they count in the total of {row.total_papers:,}"


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "±0"


def alternative_lines(store: Store, method: Method, row: VenueYear) -> list[str]:
    """The other sources' figures for the same venue-year, one line each: trendbot's own count
    under the study's, with the difference, and where the two count different populations."""
    lines = []
    for other in row.others:
        figures = ", ".join(
            f"{figure_name(fw)} {other.counts.get(fw, 0):,} "
            f"({_signed(other.counts.get(fw, 0) - row.counts.get(fw, 0))})"
            for fw in method.figures
            if "+" not in fw
        )
        text = (
            f"Also counted by {source_name(store, other)} ({other.collected_at[:10]}): "
            f"{figures}, of {other.total_papers:,} {population_label(store, other)}"
        )
        if (other.population, other.total_papers) != (row.population, row.total_papers):
            # A population label may end in brackets of its own: the comparison is a clause of
            # its own, not one more bracket after it.
            caveat = f" ({row.note})" if row.note and store.is_published(row.source_id) else ""
            text += (
                f"; the figure above counts {row.total_papers:,} "
                f"{population_label(store, row)}{caveat}"
            )
        lines.append(text + ".")
    return lines
