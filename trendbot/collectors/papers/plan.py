"""What a paper collection will take, said before it starts: how many venue-years, roughly how
many papers to download and read, and roughly how long at the sources' polite rates.

Pure arithmetic over what the store already knows: a venue-year listed before has its papers
still to read; one the study counted has its total; any other is guessed from the same venue's
latest known year (venues grow, so that is low rather than high), or from the median of all
known years for a venue never counted. Time is one request per PDF at the source's rate
(``collectors.policy``, or ``--rate``), OpenReview's PDFs coming in zips of ``openreview.BATCH``;
each host's venue-years run one after another, so their times add up, and the hosts run side by
side (``hosts``), so the run takes as long as the busiest host.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from trendbot.collectors.papers import openreview, source_for
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.storage import Store, paper_queries


@dataclass(frozen=True)
class Plan:
    venue_years: int
    venues: tuple[str, ...]
    years: tuple[int, int]  # first and last
    papers: int  # roughly, to download and read
    seconds: float  # roughly, at the polite rates: the busiest host's time
    host_seconds: dict[str, float] = field(default_factory=dict)  # each host's, one after another

    def duration(self) -> str:
        return duration(self.seconds)


def duration(seconds: float) -> str:
    """``seconds`` in the largest unit that says it: minutes, hours or days."""
    minutes = seconds / 60
    if minutes < 90:
        return f"{max(1, round(minutes))} minute{'s' if round(minutes) > 1 else ''}"
    hours = minutes / 60
    if hours < 48:
        return f"{round(hours)} hours"
    return f"{round(hours / 24)} days"


def papers_to_read(store: Store, chosen: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Roughly how many papers each of ``chosen`` venue-years has to download and read."""
    aliases = store.aliases()
    known: dict[tuple[str, int], int] = {
        (vid, year): total
        for vid, year, total in store.rows(
            "SELECT venue_id, year, max(total_papers) FROM paper_counts GROUP BY venue_id, year"
        )
    }
    to_read = {
        (st.venue_id, st.year): st.pending + st.failed
        for st in store.read(paper_queries.listing_states)
    }
    typical = int(statistics.median(known.values())) if known else 1000
    out: dict[tuple[str, int], int] = {}
    for venue, year in chosen:
        vid = aliases.get(venue.lower(), venue.lower())
        if (vid, year) in to_read:
            n = to_read[(vid, year)]
        elif (vid, year) in known:
            n = known[(vid, year)]
        else:
            earlier = [(y, total) for (v, y), total in known.items() if v == vid and y < year]
            n = max(earlier)[1] if earlier else typical
        out[(venue, year)] = n
    return out


def estimate(store: Store, chosen: Sequence[tuple[str, int]], rate: float | None = None) -> Plan:
    """The plan for collecting ``chosen`` venue-years into ``store`` (``rate``: ``--rate``)."""
    papers = 0
    per_host: dict[str, float] = {}
    for (venue, year), n in papers_to_read(store, chosen).items():
        source = source_for(venue, year)
        requests = math.ceil(n / openreview.BATCH) if source == "openreview" else n
        papers += n
        seconds = (requests + 1) / (rate or DEFAULT_POLICIES[source].rate)
        per_host[source] = per_host.get(source, 0.0) + seconds
    years = [y for _, y in chosen] or [0]
    return Plan(
        venue_years=len(chosen),
        venues=tuple(dict.fromkeys(v for v, _ in chosen)),
        years=(min(years), max(years)),
        papers=papers,
        seconds=max(per_host.values(), default=0.0),
        host_seconds=per_host,
    )
