"""The outbox: update events written by collectors in the transaction that changes the numbers.

Collectors run as their own processes (``trendbot collect …``); the bot learns what they changed
by reading this table (``bot/poster.py`` polls it), so no queue or other service is needed, and
an event exists if and only if its numbers were committed: both are in one transaction. An
event says what changed, figure by figure (old → new), which topics it is news for (``papers``,
``venue:neurips``, ``industry``, ``metric:github-stars``; every event is also in the weekly
``digest``), and the data version it produced (charts are cached per data version).

Writers call :func:`record` inside their own write transaction, after the rows are written and
only when something changed; :func:`changes_between` builds the change list from two
``figure → value`` mappings. The seed's first load writes no event: installing is not news.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from trendbot.storage.clock import now_iso
from trendbot.storage.data_version import read as read_version

DIGEST = "digest"
PAPERS = "papers"
INDUSTRY = "industry"
Number = int | float


@dataclass(frozen=True)
class Change:
    """One figure's move. ``old`` None: a figure that did not exist; ``new`` None: removed.
    ``group`` gathers figures for display (a counting method, a metric)."""

    figure: str
    old: Number | None
    new: Number | None
    group: str = ""

    def to_json(self) -> list:
        return [self.group, self.figure, self.old, self.new]

    @classmethod
    def from_json(cls, row: Sequence) -> Change:
        group, figure, old, new = row
        return cls(figure, old, new, group)


@dataclass(frozen=True)
class Event:
    id: int
    created_at: str
    kind: str  # "papers" | "industry"
    title: str  # e.g. "NeurIPS 2023", "GitHub stars"
    changes: tuple[Change, ...]
    detail: Mapping = field(default_factory=dict)  # venue, year, source, chart, …
    data_version: int = 0


def venue_topic(venue_id: str) -> str:
    return f"venue:{venue_id.lower()}"


def metric_topic(metric: str) -> str:
    return f"metric:{metric.lower()}"


def paper_topics(venue_id: str) -> list[str]:
    """An event about a venue-year's counts is news for ``papers`` and for that venue."""
    return [PAPERS, venue_topic(venue_id)]


def metric_topics(metrics: Iterable[str]) -> list[str]:
    """An event about industry series is news for ``industry`` and for each metric in it."""
    return [INDUSTRY, *(metric_topic(m) for m in sorted(set(metrics)))]


def changes_between(
    old: Mapping[str, Number], new: Mapping[str, Number], *, group: str = ""
) -> list[Change]:
    """Every figure whose value differs between two ``figure → value`` mappings (new figures
    and removed ones included), in the order of ``new`` then the removed ones."""
    out = [
        Change(fig, old.get(fig), value, group)
        for fig, value in new.items()
        if old.get(fig) != value
    ]
    out += [Change(fig, value, None, group) for fig, value in old.items() if fig not in new]
    return out


def record(
    conn: sqlite3.Connection,
    topics: Sequence[str],
    changes: Sequence[Change],
    *,
    kind: str,
    title: str,
    detail: Mapping | None = None,
    data_version: int | None = None,
    created_at: str | None = None,
) -> int | None:
    """Write one update event inside the caller's write transaction; its id, or None when
    ``changes`` is empty (nothing changed: no event).

    ``topics`` are the keys subscriptions match (see :func:`paper_topics`,
    :func:`metric_topics`); ``digest`` is added. ``data_version`` defaults to the store's
    version as it stands in this transaction (call after writing the rows)."""
    if not changes:
        return None
    if not conn.in_transaction:
        raise RuntimeError("outbox.record must run inside the writer's transaction")
    cur = conn.execute(
        "INSERT INTO update_events (created_at, kind, title, changes, detail, data_version)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            created_at or now_iso(),
            kind,
            title,
            json.dumps([c.to_json() for c in changes], separators=(",", ":")),
            json.dumps(dict(detail or {}), separators=(",", ":"), sort_keys=True),
            read_version(conn) if data_version is None else data_version,
        ),
    )
    event_id = int(cur.lastrowid or 0)
    keys = sorted({t.strip().lower() for t in topics if t.strip()} | {DIGEST})
    conn.executemany(
        "INSERT INTO update_event_topics (topic, event_id) VALUES (?, ?)",
        [(k, event_id) for k in keys],
    )
    return event_id


# -- industry series (for the industry collectors' writer in storage/metrics.py) ---------------
MetricRow = tuple[str, str, str, str, float]  # (source_id, metric, framework, date, value)


def metric_changes(conn: sqlite3.Connection, rows: Iterable[MetricRow]) -> list[Change]:
    """What a batch of ``metrics`` rows will change, read **before** writing them.

    Per (source, metric, framework) only the batch's newest row counts, against the newest
    stored one: that is the figure the industry commands answer with. A row older than what is
    stored (history filled in), or with the same value (a figure carried to a new date), changes
    no answer. ``group`` is the metric name,
    ``figure`` the framework id."""
    newest: dict[tuple[str, str, str], tuple[str, float]] = {}
    for source_id, metric, framework, date, value in rows:
        key = (source_id, metric, framework)
        if key not in newest or date >= newest[key][0]:
            newest[key] = (date, value)
    changes = []
    for (source_id, metric, framework), (date, value) in sorted(newest.items()):
        stored = conn.execute(
            "SELECT date, value FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
            " ORDER BY date DESC LIMIT 1",
            (source_id, metric, framework),
        ).fetchone()
        if stored is not None and (stored[0] > date or stored[1] == value):
            continue  # history filled in, or the same figure on a newer date: no answer moves
        changes.append(Change(framework, stored[1] if stored else None, value, metric))
    return changes


def record_metrics(
    conn: sqlite3.Connection,
    changes: Sequence[Change],
    *,
    source: str,
    rows: int,
    dates: tuple[str, str] | None = None,
) -> int | None:
    """The update event of an industry collection (``changes`` from :func:`metric_changes`),
    inside the transaction that wrote its rows; None when nothing changed an answer."""
    metrics = list(dict.fromkeys(c.group for c in changes))
    if not metrics:
        return None
    title = ", ".join(metrics[:3]) + (f" and {len(metrics) - 3} more" if len(metrics) > 3 else "")
    return record(
        conn,
        metric_topics(metrics),
        changes,
        kind=INDUSTRY,
        title=f"Industry: {title}",
        detail={
            "metric": metrics[0],
            "metrics": metrics,
            "source": source,
            "rows": rows,
            "dates": list(dates) if dates else [],
            "chart": f"trend {metrics[0]}",
        },
    )


def newest_id(conn: sqlite3.Connection) -> int:
    """The newest event's id (0 if none): a new subscription's watermark."""
    row = conn.execute("SELECT max(id) FROM update_events").fetchone()
    return int(row[0] or 0)


def events(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Event]:
    """The events with these ids, by id."""
    wanted = sorted(set(ids))
    out: dict[int, Event] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            "SELECT id, created_at, kind, title, changes, detail, data_version"
            f" FROM update_events WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        for eid, created, kind, title, changes, detail, version in rows:
            out[eid] = Event(
                eid,
                created,
                kind,
                title,
                tuple(Change.from_json(c) for c in json.loads(changes)),
                json.loads(detail or "{}"),
                version,
            )
    return out


def topics_of(conn: sqlite3.Connection, event_id: int) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT topic FROM update_event_topics WHERE event_id = ? ORDER BY topic", (event_id,)
        )
    ]
