"""Converters for the collectors' flags (argparse ``type=``): each takes the text as typed and
returns the value, or raises ``argparse.ArgumentTypeError`` with one friendly sentence, which
argparse prints as ``trendbot collect papers: error: argument --rate: …`` with exit status 2.

A value that parses but cannot be meant (``--rate nan``, ``--workers 0``, ``--year 2030``) is
refused here, before anything starts: once a collection runs, such values hang it (a rate of
zero waits for ever), flood a source, or start a hundred thousand processes. The bounds are
generous; they only keep out what cannot be meant.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

MAX_RATE = 1000.0  # requests per second per source: for a mirror on 127.0.0.1 (tests, benches)
MIN_RATE = 0.01  # one request every 100 s; below it a venue-year would take weeks
MAX_DOWNLOADS = 64
MAX_WORKERS = 64
MAX_BATCH = 10_000
MAX_RECENT = 50
EARLIEST_YEAR = 1950  # before any venue's first proceedings (NeurIPS: 1987)
EARLIEST_SINCE = date(2000, 1, 1)  # no framework trendbot follows is older


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (``trendbot collect papers: error: argument
    --rate: …; see trendbot collect papers --help``) instead of the whole usage block before it:
    the one sentence every bad input gets. Subcommands' parsers are made of the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def this_year() -> int:
    return datetime.now(UTC).year


def _number(text: str, what: str) -> float:
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def _whole(text: str, what: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", value):
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return int(value)


def rate(text: str) -> float:
    """Requests per second per source: a number from MIN_RATE to MAX_RATE."""
    what = f"give requests per second, a number from {MIN_RATE:g} to {MAX_RATE:g}"
    value = _number(text, what)
    if not MIN_RATE <= value <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def count(name: str, most: int) -> Callable[[str], int]:
    """A whole number from 1 to ``most`` (``name`` says what it counts)."""

    def convert(text: str) -> int:
        what = f"give the number of {name}, a whole number from 1 to {most:,}"
        value = _whole(text, what)
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
        return value

    convert.__name__ = name  # argparse names the converter in some messages
    return convert


def seconds(most: float) -> Callable[[str], float]:
    """A number of seconds above 0 and at most ``most`` (nan and inf refused)."""

    def convert(text: str) -> float:
        what = f"must be a number of seconds above 0 and at most {most:g}"
        value = _number(text, what)
        if not 0 < value <= most:
            raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
        return value

    return convert


def year(text: str) -> int:
    """A year from EARLIEST_YEAR to this one (UTC): no paper of a later year is out yet."""
    now = this_year()
    value = _whole(text, f"give a year such as {now - 1}")
    if value > now:
        raise argparse.ArgumentTypeError(f"{value} is in the future (this year is {now})")
    if value < EARLIEST_YEAR:
        raise argparse.ArgumentTypeError(f"give a year from {EARLIEST_YEAR}, not {text!r}")
    return value


def recent(text: str) -> int:
    """The last N years: N from 1 to MAX_RECENT."""
    what = f"give a number of years from 1 to {MAX_RECENT} (1: this year only)"
    value = _whole(text, what)
    if not 1 <= value <= MAX_RECENT:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def venues(text: str) -> tuple[str, ...]:
    """``"CVPR, iccv"`` → ("CVPR", "ICCV"); ``all`` → every venue; an empty or unknown name is
    refused naming the venues there are."""
    from trendbot.collectors.papers import VENUES, CollectError, canonical_venue

    names: list[str] = []
    for part in text.replace(",", " ").split():
        if part.lower() == "all":
            names += [v for v in VENUES if v not in names]
            continue
        try:
            name = canonical_venue(part)
        except CollectError:
            raise argparse.ArgumentTypeError(
                f"no venue called {part!r} can be collected; the venues are "
                f"{', '.join(VENUES)} (or all)"
            ) from None
        if name not in names:
            names.append(name)
    if not names:
        raise argparse.ArgumentTypeError(
            f"name a venue: {', '.join(VENUES)}, or all (comma-separated for several)"
        )
    return tuple(names)


def pdf_folder(text: str) -> Path:
    """A folder to keep PDFs in: an existing folder trendbot can write, or one it can create.
    Anything else (a file such as /etc/passwd, a read-only folder) is refused before the run,
    instead of a warning per paper."""
    from trendbot.config import path_setting

    raw = path_setting(text)
    if not raw:
        raise argparse.ArgumentTypeError("name a folder to keep the PDFs in")
    path = Path(raw)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if existing == path and not path.is_dir():
            raise argparse.ArgumentTypeError(f"{text} is a file, not a folder to keep PDFs in")
        if not existing.is_dir():
            raise argparse.ArgumentTypeError(
                f"{text} cannot be made: {existing} is a file, not a folder"
            )
        if not os.access(existing, os.W_OK | os.X_OK):
            where = "it" if existing == path else f"{existing}"
            raise argparse.ArgumentTypeError(
                f"{text} cannot be written: {where} is not a folder you can write"
            )
    except OSError as exc:  # e.g. a name too long for the file system
        reason = (exc.strerror or type(exc).__name__).lower()
        raise argparse.ArgumentTypeError(f"{text} cannot be used ({reason})") from None
    return path


def since_date(text: str) -> date:
    """Where an industry backfill starts: 2019, 2019-05 or 2019-05-17, from EARLIEST_SINCE to
    today (a day in the year 1 would ask a source for two thousand years, month by month)."""
    from trendbot.collectors.industry.base import parse_since

    try:
        value = parse_since(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"give a year, a month or a day such as 2019, 2019-05 or 2019-05-17, not {text!r}"
        ) from None
    today = datetime.now(UTC).date()
    if value > today:
        raise argparse.ArgumentTypeError(f"{text} is in the future (today is {today})")
    if value < EARLIEST_SINCE:
        raise argparse.ArgumentTypeError(
            f"give a date from {EARLIEST_SINCE.year} on (no framework trendbot follows is "
            f"older), not {text!r}"
        )
    return value


def metrics(text: str) -> tuple[str, ...]:
    """Collected metric names (comma-separated), checked against the catalogue."""
    from trendbot.collectors.industry.run import METRICS, UsageError, choose_metrics

    names = tuple(text.replace(",", " ").split())
    if not names:
        raise argparse.ArgumentTypeError(f"name a metric: {', '.join(METRICS)}")
    try:
        choose_metrics(names)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
    return names


def frameworks(text: str) -> tuple[str, ...]:
    """Framework ids or aliases (comma-separated), checked against the framework table."""
    from trendbot.collectors.industry.run import UsageError, choose_frameworks

    names = tuple(text.replace(",", " ").split())
    if not names:
        from trendbot.storage.frameworks import load_frameworks

        known = ", ".join(load_frameworks().ids())
        raise argparse.ArgumentTypeError(f"name a framework: {known}")
    try:
        choose_frameworks(names)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
    return names
