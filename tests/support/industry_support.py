"""Helpers for the industry collector tests: a fast HTTP client, a run, a dump of the store."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace

from tests.support.clickhouse_chdb import CHDB_ERROR
from tests.support.loopback import Loopback
from trendbot.collectors.http import HttpClient
from trendbot.collectors.industry import collect_industry
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.config import SOURCE_URLS, Settings

HAVE_CHDB = CHDB_ERROR is None


def settings_for(srv: Loopback, env: dict[str, str] | None = None) -> Settings:
    return Settings(source_urls={name: srv.base for name in SOURCE_URLS}, extra=dict(env or {}))


def fast_client(srv: Loopback, env: dict[str, str] | None = None, **policy) -> HttpClient:
    """The real policies (signals, caps) with no pacing and short backoffs."""
    tweaks = {"rate": 1000, "burst": 1000, "backoff": 0.01, "backoff_max": 0.05, "attempts": 3}
    tweaks.update(policy)
    fast = {n: replace(p, **tweaks) for n, p in DEFAULT_POLICIES.items()}
    return HttpClient(settings_for(srv, env), fast, env=dict(env or {}))


async def run(store, srv: Loopback, today: dt.date, env=None, **kw):
    """One collection against the loopback server: (results, reports by collector)."""
    reports: list = []
    async with fast_client(srv, env, **kw.pop("policy", {})) as http:
        results = await collect_industry(
            store, settings_for(srv, env), http=http, today=today, reports=reports, **kw
        )
    return results, {r.collector: r for r in reports}


def dump(conn: sqlite3.Connection) -> list[str]:
    """Every table's content and the schema, except the run log (which records the failure)."""
    return [
        line
        for line in conn.iterdump()
        if "collection_runs" not in line and "sqlite_sequence" not in line
    ]


def value(store, source: str, metric: str, framework: str, date: str) -> float | None:
    row = store.conn.execute(
        "SELECT value FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
        " AND date = ?",
        (source, metric, framework, date),
    ).fetchone()
    return row[0] if row else None


def series(store, source: str, metric: str, framework: str) -> dict[str, float]:
    rows = store.conn.execute(
        "SELECT date, value FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?",
        (source, metric, framework),
    ).fetchall()
    return dict(rows)


def last_run(store, collector: str) -> tuple[str, str]:
    row = store.conn.execute(
        "SELECT status, detail FROM collection_runs WHERE collector = ? ORDER BY id DESC LIMIT 1",
        (f"industry:{collector}",),
    ).fetchone()
    return row
