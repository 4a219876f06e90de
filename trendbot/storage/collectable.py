"""What trendbot's paper collectors can collect: which venue-years exist, which source lists
each, how fast its PDFs come, and which counting methods a collection writes.

One table, on the ground floor, because two floors read it: the paper collectors list from it
(``collectors.papers.source_for`` and each source's ``covers``) and the commands' hints name a
collect command from it, so a reply never suggests collecting a venue-year there is nothing to
collect for (ICCV 2024: ICCV is held in odd years) or a year no source lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Requests a second per paper site (static files, no published limit) and per OpenReview
# (500 notes requests an hour per account); the collectors' policies read these.
PAPER_SITE_RATE = 2.0
OPENREVIEW_RATE = 0.5

# The methods a paper collection counts under: the study's rule (comparable with the seed),
# every framework named, and the framework of the paper's own code (its repository, read from
# GitHub). The published article's rule only has the study's own counts.
COLLECTED_METHODS = ("final", "modern", "code")


@dataclass(frozen=True)
class Calendar:
    """When one venue meets, as far back as trendbot lists it.

    ``first``: the first year its default source lists; ``parity``: 1 for a venue held in odd
    years only, 0 for even years only; ``skipped``: years it did not meet, and why."""

    first: int
    parity: int | None = None
    skipped: frozenset[int] = frozenset()
    skipped_why: str = ""
    sources: tuple[tuple[int, str], ...] = field(default=())  # (from year, source), newest last


CALENDARS: dict[str, Calendar] = {
    "NeurIPS": Calendar(1987, sources=((1987, "neurips"),)),
    "ICML": Calendar(2013, sources=((2013, "pmlr"),)),
    "ICLR": Calendar(2018, sources=((2018, "openreview"),)),
    "CVPR": Calendar(2013, sources=((2013, "cvf"),)),
    "ICCV": Calendar(2013, parity=1, sources=((2013, "cvf"),)),
    "ECCV": Calendar(2018, parity=0, sources=((2018, "cvf"), (2020, "ecva"))),
    "ACL": Calendar(2015, sources=((2015, "acl"),)),
    "EMNLP": Calendar(2015, sources=((2015, "acl"),)),
    "NAACL": Calendar(
        2015,
        skipped=frozenset({2017, 2020, 2023}),
        skipped_why="EACL or a joint meeting took its slot",
        sources=((2015, "acl"),),
    ),
    "Findings": Calendar(2020, sources=((2020, "acl"),)),
}
VENUES = tuple(CALENDARS)

# What a source needs besides the network, in words a hint can quote.
NEEDS = {
    "openreview": "OpenReview credentials (a free account) in `OPENREVIEW_USERNAME` and "
    "`OPENREVIEW_PASSWORD`",
}
PDF_RATE = {"openreview": OPENREVIEW_RATE}


def meets(venue: str, year: int) -> bool:
    """Whether ``venue`` met in ``year`` (its cadence only; not whether a source lists it)."""
    cal = CALENDARS[venue]
    if cal.parity is not None and year % 2 != cal.parity:
        return False
    return year not in cal.skipped


def why_not(venue: str, year: int, this_year: int) -> str | None:
    """One sentence saying why there is no ``venue`` ``year`` to collect, or None when there is
    one (held, listed by a source, not in the future)."""
    cal = CALENDARS[venue]
    if cal.parity is not None and year % 2 != cal.parity:
        held = "odd" if cal.parity else "even"
        return f"{venue} is held in {held} years only, so there is no {venue} {year}."
    if year in cal.skipped:
        return f"{venue} did not meet in {year} ({cal.skipped_why})."
    if year > this_year:
        return f"{venue} {year} has not happened yet."
    if year < cal.first:
        return f"trendbot lists {venue} only from {cal.first}."
    return None


def collectable_years(venue: str, this_year: int, since: int | None = None) -> list[int]:
    """Every year of ``venue`` a collection can list, from ``since`` (or its first) on."""
    start = max(CALENDARS[venue].first, since or 0)
    return [y for y in range(start, this_year + 1) if meets(venue, y)]


def source_for(venue: str, year: int) -> str:
    """The source that lists ``venue`` ``year`` by default (a paper source's name)."""
    source = CALENDARS[venue].sources[0][1]
    for since, name in CALENDARS[venue].sources:
        if year >= since:
            source = name
    return source


def pdf_rate(source: str) -> float:
    """PDFs a second a collection fetches from ``source`` by default."""
    return PDF_RATE.get(source, PAPER_SITE_RATE)
