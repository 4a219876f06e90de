"""The log of collection runs (``collection_runs``): each collector's last run and outcome.

Read by ``trendbot collect --status``, the bot's owner-only ``!status`` and the bot's collection
schedule (which runs a collector when its last finished run is older than ``COLLECT_EVERY``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class LastRun:
    collector: str
    started_at: str
    finished_at: str | None
    status: str  # running (or interrupted, if it never finished), ok, partial, failed
    items: int


def last_runs(conn: sqlite3.Connection, *, prefix: str = "") -> list[LastRun]:
    """The newest run of every collector (paper runs are per venue-year: `collect --status`
    lists those from the listings), optionally only those whose name starts with ``prefix``."""
    rows = conn.execute(
        "SELECT r.collector, r.started_at, r.finished_at, r.status, r.items"
        " FROM collection_runs r JOIN (SELECT collector, max(id) AS id FROM collection_runs"
        " WHERE collector NOT IN ('papers', 'seed') AND collector LIKE ? GROUP BY collector) m"
        " ON m.id = r.id ORDER BY r.collector",
        (prefix + "%",),
    ).fetchall()
    return [LastRun(*r) for r in rows]


def last_finished(conn: sqlite3.Connection, prefix: str) -> str | None:
    """When a collector whose name starts with ``prefix`` last finished (whatever its outcome:
    a source that is down must not be hammered more often than the schedule says)."""
    row = conn.execute(
        "SELECT max(finished_at) FROM collection_runs WHERE collector LIKE ?", (prefix + "%",)
    ).fetchone()
    return row[0] if row else None
