"""Many venue-years at once: one queue per host, the hosts side by side.

Why: each paper host (papers.nips.cc, PMLR, CVF, ECVA, ACL Anthology, OpenReview) is only
slowed by its own polite rate, so collecting venue-years one after another leaves five hosts
idle while the sixth works; a first backfill then takes the sum of every host's time instead of
the busiest host's. Here every host works through its own venue-years, in order, while the
others do the same:

- one ``PaperCollector`` per host, all siblings of one lead (``PaperCollector.sibling``): one
  ``HttpClient``, so every source's rate and concurrency limits are exactly what they are for
  one collector; one ``PaperPool`` reading every host's PDFs; one database thread (one writer);
- each venue-year is collected as before (its run log row, report, batches, counts), so a kill
  at any point resumes as a sequential run would: nothing read twice, nothing lost.

Reports come back as each venue-year finishes (hosts interleave), through ``on_report``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trendbot.collectors.papers import CollectError, source_for
from trendbot.collectors.papers.collect import PaperCollector, Progress, Report

UNKNOWN = "?"  # the queue of venue-years no source lists (each reports its own error)
# What a progress line calls each host.
HOST_NAMES = {
    "neurips": "papers.nips.cc",
    "pmlr": "PMLR",
    "cvf": "CVF",
    "ecva": "ECVA",
    "acl": "ACL Anthology",
    "openreview": "OpenReview",
}


@dataclass(frozen=True)
class HostQueue:
    """One host's venue-years, collected one after another, oldest first."""

    source: str  # the source's name (``collectors.papers.SOURCES``), one host each
    venue_years: tuple[tuple[str, int], ...]


def host_queues(chosen: Sequence[tuple[str, int]]) -> list[HostQueue]:
    """``chosen`` split by the host that lists each venue-year, keeping their order; hosts in
    the order they first appear."""
    by_source: dict[str, list[tuple[str, int]]] = {}
    for venue, year in chosen:
        try:
            source = source_for(venue, year)
        except CollectError:
            source = UNKNOWN
        by_source.setdefault(source, []).append((venue, year))
    return [HostQueue(s, tuple(vys)) for s, vys in by_source.items()]


async def collect_side_by_side(
    lead: PaperCollector,
    chosen: Sequence[tuple[str, int]],
    on_report: Callable[[str, Report], None],
    progress_for: Callable[[str], Progress] | None = None,
) -> list[Report]:
    """Collect ``chosen`` with every host's queue running at once (``lead`` open as a context
    manager); ``on_report(source, report)`` as each venue-year finishes. ``progress_for(source)``
    gives each host's progress (default: the lead's). The reports, in the order finished."""
    import asyncio

    reports: list[Report] = []

    async def run(queue: HostQueue) -> None:
        progress = progress_for(queue.source) if progress_for else lead.progress
        collector = lead.sibling(progress)
        for venue, year in queue.venue_years:
            report = await collector.collect(venue, year)
            reports.append(report)
            on_report(queue.source, report)

    async with asyncio.TaskGroup() as tg:
        for queue in host_queues(chosen):
            tg.create_task(run(queue))
    return reports
