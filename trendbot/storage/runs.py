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
    status: str  # running (or interrupted, if it never finished), ok, partial, quota, failed
    items: int
    resets_at: str | None = None  # a quota run: when the source's quota resets (ISO, UTC)
    left: tuple[str, ...] = ()  # a quota run: what it left for later


def last_runs(conn: sqlite3.Connection, *, prefix: str = "") -> list[LastRun]:
    """The newest run of every collector (paper runs are per venue-year: `collect --status`
    lists those from the listings), optionally only those whose name starts with ``prefix``."""
    rows = conn.execute(
        "SELECT r.collector, r.started_at, r.finished_at, r.status, r.items, r.detail"
        " FROM collection_runs r JOIN (SELECT collector, max(id) AS id FROM collection_runs"
        " WHERE collector NOT IN ('papers', 'seed') AND collector LIKE ? GROUP BY collector) m"
        " ON m.id = r.id ORDER BY r.collector",
        (prefix + "%",),
    ).fetchall()
    out = []
    for *head, detail in rows:
        quota = _detail(detail).get("quota") if head[3] == "quota" else None
        quota = quota if isinstance(quota, dict) else {}
        left = tuple(str(x) for x in quota.get("left") or ())
        out.append(LastRun(*head, resets_at=quota.get("resets_at"), left=left))
    return out


def _detail(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def last_detail(conn: sqlite3.Connection, collector: str) -> tuple[str, dict] | None:
    """The status and detail of ``collector``'s newest finished run, or None."""
    row = conn.execute(
        "SELECT status, detail FROM collection_runs WHERE collector = ?"
        " AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
        (collector,),
    ).fetchone()
    return (row[0], _detail(row[1])) if row else None


def quota_resets(conn: sqlite3.Connection, prefix: str) -> list[str]:
    """When the quotas of collectors whose newest run stopped at one reset (ISO, UTC)."""
    return [r.resets_at for r in last_runs(conn, prefix=prefix) if r.resets_at]


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
