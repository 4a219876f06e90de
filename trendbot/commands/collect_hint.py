"""The sentence a reply ends with when the store has no figures for what was asked: the
`trendbot collect papers …` command that would add them, with what it needs (the network,
OpenReview credentials for ICLR) and roughly how long it takes, or why there is nothing to
collect (ICCV is held in odd years; NAACL did not meet in 2020; 2031 has not happened yet).

Which venue-years exist comes from the collectors' own calendar (``storage.collectable``), so a
hint never names a command that answers "no venue-year to collect".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from trendbot.commands.text import fmt_int
from trendbot.storage import Method, Store, collectable

OPERATOR = "The bot's operator can collect"


def this_year() -> int:
    return datetime.now(UTC).year


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 90:
        return f"{max(5, 5 * math.ceil(minutes / 5))} minutes"
    hours = math.ceil(minutes / 30) / 2
    return f"{hours:g} hours"


def _rate(per_second: float) -> str:
    if per_second >= 1:
        return f"{per_second:g} a second"
    return f"one every {1 / per_second:g} seconds"


def _size(store: Store, venue_id: str, year: int) -> tuple[int, int] | None:
    """(year, papers) of the venue's stored year nearest ``year`` (the later one on a tie): a
    venue-year's size is the best guess of a neighbour's."""
    found: dict[int, int] = {}
    for m in store.methods().values():
        for row in store.venue_series(venue_id, m.id):
            found[row.year] = max(found.get(row.year, 0), row.total_papers)
    if not found:
        return None
    pick = min(found, key=lambda y: (abs(y - year), -y))
    return pick, found[pick]


def _needs_and_time(store: Store, plan: Sequence[tuple[str, str, int]]) -> str:
    """What collecting ``plan`` (venue id, venue name, year) needs and roughly takes: its
    PDFs at each source's rate, each venue-year as large as the venue's nearest stored one."""
    sources = {collectable.source_for(name, year) for _, name, year in plan}
    needs = ["the network"] + [
        collectable.NEEDS[s] for s in sorted(sources) if s in collectable.NEEDS
    ]
    rates = sorted({collectable.pdf_rate(s) for s in sources}, reverse=True)
    speed = " or ".join(_rate(r) for r in rates)
    seconds, papers, sizes = 0.0, 0, []
    for venue_id, name, year in plan:
        size = _size(store, venue_id, year)
        if size is not None:
            seconds += size[1] / collectable.pdf_rate(collectable.source_for(name, year))
            papers += size[1]
            sizes.append(f"{name} {size[0]} had {fmt_int(size[1])} papers")
    if len(sizes) == 1 and len(plan) == 1:
        took = (
            f"roughly {_duration(seconds)} or more (every PDF is downloaded, {speed}; {sizes[0]})"
        )
    elif sizes:
        took = (
            f"roughly {_duration(seconds)} or more (every PDF is downloaded, {speed}; about "
            f"{fmt_int(papers)} papers, judging by each venue's nearest stored year)"
        )
    else:
        took = (
            f"about {_duration(1000 / rates[-1])} per 1,000 papers (every PDF is downloaded, "
            f"{speed})"
        )
    return f"it needs {' and '.join(needs)}, and takes {took}"


def _command(names: Sequence[str], years: Sequence[int]) -> str:
    venue = ",".join(names)
    when = " ".join(f"--year {y}" for y in years)
    return f"`trendbot collect papers --venue {venue}{' ' + when if when else ''}`"


# What a collection adds for the ``code`` method beyond the papers: their links, then GitHub.
CODE_NOTE = (
    "The same run counts the papers' own code: it finds each paper's repository links as it "
    "reads the paper, then reads the linked GitHub repositories (60 requests an hour without "
    "`GITHUB_TOKEN`, 5,000 with one; a later run reads what a spent quota left)."
)


def collects(method: Method) -> bool:
    """Whether trendbot's own collections count under ``method`` (the ``code`` method is
    counted by the paper collection too, whether or not this store's calendar lists it yet)."""
    return method.is_code or method.name in collectable.COLLECTED_METHODS


def _with_method(text: str, method: Method) -> str:
    if method.is_code:
        return f"{text} {CODE_NOTE}"
    if not collects(method):
        return f"{_collected_by(method)} {text}"
    return text


def _collected_by(method: Method) -> str:
    """Why a method that collections do not count under has no figure to collect."""
    *rest, last = collectable.COLLECTED_METHODS
    rules = f"{', '.join(rest)} and {last}" if rest else last
    return (
        f"The {method.name} method has only the study's published counts; trendbot's own "
        f"collections count under the {rules} methods."
    )


def no_such(store: Store, venue_id: str, year: int, *, now: int | None = None) -> str | None:
    """Why there is no venue-year to collect (not held that year, not listed, not yet), or
    None when there is one."""
    name = store.venues()[venue_id].name
    if name not in collectable.CALENDARS:
        return None
    return collectable.why_not(name, year, now or this_year())


def venue_year_hint(
    store: Store, venue_id: str, year: int, method: Method, *, now: int | None = None
) -> str:
    """How to collect one venue-year, or why there is none."""
    name = store.venues()[venue_id].name
    if name not in collectable.CALENDARS:
        return ""
    why = collectable.why_not(name, year, now or this_year())
    if why is not None:
        return f"{why} There is nothing to collect."
    text = (
        f"{OPERATOR} it with {_command([name], [year])}: "
        f"{_needs_and_time(store, [(venue_id, name, year)])}."
    )
    return _with_method(text, method)


def venue_hint(store: Store, venue_id: str, method: Method, *, now: int | None = None) -> str:
    """How to collect every year of a venue (from 2015, as `--venue X` does), or why not."""
    name = store.venues()[venue_id].name
    if name not in collectable.CALENDARS:
        return ""
    now = now or this_year()
    years = collectable.collectable_years(name, now, since=2015)
    if not years:
        return f"trendbot cannot list any {name} year yet. There is nothing to collect."
    plan = [(venue_id, name, y) for y in years]
    text = (
        f"{OPERATOR} its {len(years)} years from {years[0]} with {_command([name], [])}: "
        f"{_needs_and_time(store, plan)}."
    )
    return _with_method(text, method)


def year_hint(store: Store, year: int, method: Method, *, now: int | None = None) -> str:
    """How to collect every venue held in ``year``, or why there is nothing to collect."""
    now = now or this_year()
    if year > now:
        return f"{year} has not happened yet. There is nothing to collect."
    ids = {v.name: v.id for v in store.venues().values()}
    held = [v for v in collectable.VENUES if v in ids and collectable.why_not(v, year, now) is None]
    if not held:
        return f"No venue trendbot collects has a {year} it can list. There is nothing to collect."
    plan = [(ids[v], v, year) for v in held]
    every = f"the {len(held)} venues" if len(held) > 1 else "the one venue"
    text = (
        f"{OPERATOR} {every} of {year} ({', '.join(held)}) with "
        f"{_command(['all'], [year])}: {_needs_and_time(store, plan)}."
    )
    return _with_method(text, method)


def any_venue_year(store: Store, venue_id: str | None, year: int | None) -> str:
    """For a search with no venue-year to go on (`!paper` on an empty store): the command for
    the venue and year named, if they name one that exists; else the command's shape."""
    if venue_id is not None and year is not None:
        hint = venue_year_hint(store, venue_id, year, store.default_method())
        if hint:
            return hint
    if year is not None and venue_id is None:
        return year_hint(store, year, store.default_method())
    venue = store.venues()[venue_id].name if venue_id is not None else "<venue>"
    per = _duration(1000 / collectable.PAPER_SITE_RATE)
    return (
        f"{OPERATOR} the venue-year a paper appeared in with "
        f"`trendbot collect papers --venue {venue} --year <year>`: it needs the network, and "
        f"takes about {per} per 1,000 papers (every PDF is downloaded, "
        f"{_rate(collectable.PAPER_SITE_RATE)}; ICLR's come from OpenReview, "
        f"{_rate(collectable.OPENREVIEW_RATE)}, and need {collectable.NEEDS['openreview']})."
    )
