"""What every industry collector shares: the job it is given, what it hands back, month
arithmetic, and the download series that two PyPI sources compute the same way.

A collector is one module per source with ``NAME``, ``SOURCES`` (provenance rows), ``METRICS``
and ``async def collect(job) -> Collected``. It fetches through the shared ``HttpClient`` and
turns answers into ``MetricRow``s with pure ``transform``/``parse`` functions; it never writes to
the store. The runner (``run.py``) saves what it returns in one transaction, or, when it raises,
saves nothing and records why.

Two kinds of trouble are kept apart:

- a **fault** (a 5xx that outlasts the retries, a rate limit beyond the cap, a malformed body, a
  refused token) raises ``FetchError`` or ``SourceFault``: the whole run fails, the store stays
  as it was;
- an **absence** (a repository or package the source does not know, a framework without a Hub
  tag, a month without a thread) is an answer: that series gets nothing this run, with a note;
- a **spent quota** (``QuotaSpent``: GitHub's hour, Stack Exchange's day, the Hub's window,
  arXiv's ``Rate exceeded.``) is neither: the collector names what it leaves for later
  (``Collected.later``) and lets the exception go; the runner saves what it collected so far
  (``Job.out``) in one transaction, as for a complete run, and records the run as ``quota``.
  A collector only ever adds complete results to ``out``, so what is saved is never half a
  value; ``Collected.resume`` is handed to the next run (``Job.resume``) so that it goes on
  where this one stopped.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trendbot.collectors.http import HttpClient
from trendbot.storage.frameworks import Framework
from trendbot.storage.metrics import MetricRow

log = logging.getLogger("trendbot.collect.industry")

SETTLE_DAYS = 2  # a month is collected once it ended this many days ago (late arrivals)


class SourceFault(Exception):
    """A source answered, but not with something usable; the message is one sentence."""


@dataclass(frozen=True)
class SourceInfo:
    """A collector's ``sources`` row: where its numbers come from and how they were counted."""

    id: str
    name: str
    setting: str  # the base-URL setting of the source
    citation: str

    def row(self, urls: Mapping[str, str]) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "url": urls.get(self.setting, ""),
            "citation": self.citation,
        }


@dataclass(frozen=True)
class Skip:
    """A series that got no value this run, and why (an absence, not a fault)."""

    metric: str
    framework: str
    why: str


@dataclass
class Collected:
    """What a collector run found: rows to save (with their sources), ETags, notes."""

    rows: list[MetricRow] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    later: list[str] = field(default_factory=list)  # work a spent quota leaves for a later run
    resets_at: float | None = None  # when that quota resets (epoch seconds), if known
    resume: dict[str, Any] = field(default_factory=dict)  # for the next run, after a quota

    def leave(self, what: str, resets_at: float | None = None) -> None:
        """Leave ``what`` ("star history for 3 repos") for a run after the quota resets."""
        self.later.append(what)
        if resets_at is not None:
            self.resets_at = resets_at

    def skip(self, metric: str, framework: str, why: str) -> None:
        self.skipped.append(Skip(metric, framework, why))
        self.notes.append(f"{metric} {framework}: {why}")


class Progress:
    """What a collection tells whoever watches it; the CLI draws bars, tests record."""

    def plan(self, collector: str, total: int) -> None: ...

    def advance(self, collector: str, n: int = 1) -> None: ...

    def done(self, collector: str, status: str) -> None: ...


@dataclass
class Job:
    """One collector's run: what to collect, the HTTP client, the clock, and store reads.

    ``read`` runs a query in the runner's database thread, never on the event loop.
    """

    name: str
    http: HttpClient
    store: Any  # trendbot.storage.Store
    today: dt.date
    metrics: frozenset[str]
    frameworks: tuple[Framework, ...]
    since: dt.date | None = None
    pseudo: bool = True  # also the pseudo-series (_all, _ml)
    progress: Progress = field(default_factory=Progress)
    reader: Callable[..., Awaitable[Any]] | None = None
    # What the collector has found so far: saved even when a spent quota stops it.
    out: Collected = field(default_factory=Collected)
    # ``Collected.resume`` of the last run when that run stopped at a spent quota, else None.
    resume: dict[str, Any] | None = None

    def wants(self, metric: str) -> bool:
        return metric in self.metrics

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.reader is not None:
            return await self.reader(fn, self.store, *args)
        return await asyncio.to_thread(fn, self.store, *args)

    def secret(self, name: str, without: str) -> str | None:
        """A credential from the environment, or None with one log line saying what that costs.

        The value itself is never logged."""
        value = (self.http.env.get(name) or "").strip()
        if value:
            return value
        noted = self.http.state.setdefault("industry_missing_credentials", set())
        if name not in noted:
            noted.add(name)
            log.warning("%s is not set: %s", name, without)
        return None

    def plan(self, total: int) -> None:
        self.progress.plan(self.name, total)

    def advance(self, n: int = 1) -> None:
        self.progress.advance(self.name, n)


# -- bodies ----------------------------------------------------------------------------------------
def check_json_like(body: bytes) -> None:
    """An ``HttpClient`` check: a body that starts like JSON must be complete JSON (a cut-off or
    garbled answer is retried). Other bodies pass, so that a plain-text 404 can be read as an
    answer; ``load_json`` then refuses them where JSON is required."""
    if body.lstrip()[:1] in (b"{", b"["):
        json.loads(body)


def load_json(body: bytes, what: str) -> Any:
    """The JSON of an answer, or a SourceFault naming ``what`` was being read."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        snippet = " ".join(body[:120].decode("utf-8", "replace").split())
        raise SourceFault(f"{what} is not JSON ({snippet or 'an empty body'}).") from None


def parse_links(header: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next", <url>; rel="last"`` → {"next": url, "last": url}."""
    out: dict[str, str] = {}
    for url, params in re.findall(r"<([^>]*)>([^<]*)", header or ""):
        rel = re.search(r'rel\s*=\s*"?([^";,]+)"?', params)
        for name in rel.group(1).split() if rel else ():
            out.setdefault(name, url)
    return out


def page_of(url: str) -> int | None:
    values = parse_qs(urlsplit(url).query).get("page")
    if not values or not values[0].isdigit():
        return None
    return int(values[0])


# -- months ----------------------------------------------------------------------------------------
def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first``'s to ``last``'s, inclusive."""
    out, cur = [], month_start(first)
    while cur <= last:
        out.append(cur)
        cur = next_month(cur)
    return out


def last_complete_month(today: dt.date) -> dt.date:
    """The latest month that ended at least ``SETTLE_DAYS`` days before ``today``: a month still
    running, or only just over, would be stored short (SO questions, arXiv submissions and job
    ads keep arriving), and a flow for a month is stored once, complete."""
    return month_start(month_start(today - dt.timedelta(days=SETTLE_DAYS)) - dt.timedelta(days=1))


def parse_since(text: str) -> dt.date:
    """``2019``, ``2019-05`` or ``2019-05-17`` → a date (the first day of a year or month)."""
    value = text.strip()
    try:
        if len(value) == 4 and value.isdigit():
            return dt.date(int(value), 1, 1)
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since must be a year, a month or a day such as 2019, 2019-05 or "
                         f"2019-05-17, not {text!r}") from None  # fmt: skip


def missing_months(stored: Mapping[str, set[str]], first: dt.date, last: dt.date) -> list[dt.date]:
    """Months from ``first`` to ``last`` that any of the series in ``stored`` has no row for."""
    return [
        m
        for m in months(first, last)
        if any(m.isoformat() not in dates for dates in stored.values())
    ]


def unix(day: dt.date) -> int:
    """Seconds since the epoch at 00:00 UTC of ``day``."""
    return calendar.timegm(day.timetuple())


# -- PyPI download series (ClickHouse and pypistats compute them alike) ---------------------------
@dataclass(frozen=True)
class DownloadMethods:
    day: str
    window: str
    month: str


def download_rows(
    source_id: str,
    daily: Mapping[str, Mapping[dt.date, int]],
    known_from: dt.date,
    through: dt.date,
    methods: DownloadMethods,
    metrics: Iterable[str] = ("pypi-downloads-day", "pypi-downloads", "pypi-downloads-month"),
) -> list[MetricRow]:
    """Daily counts → the catalogue's three download metrics, per framework.

    ``daily`` maps framework → {day: downloads}, every day from ``known_from`` to ``through``
    that the source answered for (a day it has no row for had no downloads). A series starts at
    its first day with downloads. ``pypi-downloads`` is the 30 days ending on the date,
    inclusive, for every date whose 30 days all lie in [known_from, through];
    ``pypi-downloads-month`` is each calendar month lying wholly in that span, dated by its
    first day. A calendar month and a 30-day window are never mixed.
    """
    wanted = set(metrics)
    rows: list[MetricRow] = []
    for framework, counts in daily.items():
        days = [d for d, n in counts.items() if known_from <= d <= through and n]
        if not days:
            continue
        first = min(days)
        span = (through - first).days + 1
        series = [(first + dt.timedelta(days=i)) for i in range(span)]
        values = [int(counts.get(d, 0)) for d in series]
        if "pypi-downloads-day" in wanted:
            rows += [
                MetricRow(source_id, "pypi-downloads-day", framework, d.isoformat(), v, methods.day)
                for d, v in zip(series, values, strict=True)
            ]
        if "pypi-downloads" in wanted:
            window = 0
            for i, d in enumerate(series):
                window += values[i] - (values[i - 30] if i >= 30 else 0)
                if d >= known_from + dt.timedelta(days=29):
                    rows.append(
                        MetricRow(
                            source_id, "pypi-downloads", framework, d.isoformat(), window,
                            methods.window,
                        )
                    )  # fmt: skip
        if "pypi-downloads-month" in wanted:
            for m in months(max(known_from, first), through):
                if m < known_from or month_end(m) > through:
                    continue
                total = sum(int(counts.get(d, 0)) for d in _days(m, month_end(m)))
                rows.append(
                    MetricRow(
                        source_id, "pypi-downloads-month", framework, m.isoformat(), total,
                        methods.month,
                    )
                )  # fmt: skip
    return rows


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def by_framework(
    frameworks: Sequence[Framework], key: Callable[[Framework], str]
) -> dict[str, Framework]:
    """Frameworks indexed by a key (a package, a tag), skipping empty keys."""
    return {key(f): f for f in frameworks if key(f)}
