"""Saying when a spent quota comes back: "resets at 14:52, in 52 min".

A spent quota (``http.QuotaSpent``) is not a failure: the run keeps what it fetched and leaves the
rest for a later run. What a user needs to know is when that later run can go on, in the local
time of whoever reads it and relative to now; the run log keeps the instant in UTC (ISO 8601).
"""

from __future__ import annotations

import datetime as dt
import time


def iso(resets_at: float | None) -> str | None:
    """The reset instant as the run log keeps it: ISO 8601 in UTC, to the second."""
    if resets_at is None:
        return None
    return dt.datetime.fromtimestamp(resets_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str | None) -> float | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def relative(seconds: float) -> str:
    """``in 52 min``, ``in 5 h 26 min``, ``in 40 s``; ``now`` once it has passed."""
    seconds = round(seconds)
    if seconds <= 0:
        return "now"
    if seconds < 60:
        return f"in {seconds} s"
    minutes = (seconds + 59) // 60
    if minutes < 60:
        return f"in {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes:02d} min" if minutes else f"in {hours} h"


def resets_phrase(resets_at: float | None, now: float | None = None) -> str:
    """``resets at 14:52, in 52 min`` (local time; the date too when it is not today), or
    ``did not say when it resets`` when the source gave no time."""
    if resets_at is None:
        return "did not say when it resets"
    now = time.time() if now is None else now
    when = dt.datetime.fromtimestamp(resets_at).astimezone()
    today = dt.datetime.fromtimestamp(now).astimezone().date()
    clock = f"{when:%H:%M}" if when.date() == today else f"{when:%Y-%m-%d %H:%M}"
    if resets_at <= now:
        return f"reset at {clock}"
    return f"resets at {clock}, {relative(resets_at - now)}"
