"""The log of collection runs (``collection_runs``): every collector writes a row when it
starts and fills it in when it ends (a row left 'running' is a run that never finished).

Each collector's last run and outcome are read by ``trendbot collect --status``, the bot's
owner-only ``!status`` and the bot's collection schedule (which runs a collector when its last
finished run is older than ``COLLECT_EVERY``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from trendbot.storage.clock import now_iso


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


def start_run(conn: sqlite3.Connection, collector: str, detail: Mapping | None = None) -> int:
    with conn:
        cur = conn.execute(
            "INSERT INTO collection_runs (collector, started_at, status, detail)"
            " VALUES (?, ?, 'running', ?)",
            (collector, now_iso(), json.dumps(dict(detail or {}), ensure_ascii=False)),
        )
    return int(cur.lastrowid or 0)


def finish_run(
    conn: sqlite3.Connection, run_id: int, status: str, items: int, detail: Mapping
) -> None:
    with conn:
        conn.execute(
            "UPDATE collection_runs SET finished_at = ?, status = ?, items = ?, detail = ?"
            " WHERE id = ?",
            (now_iso(), status, items, json.dumps(dict(detail), ensure_ascii=False), run_id),
        )
