"""The industry collectors' writer (``storage.metrics.save_metrics``) fills the outbox: each
collector run that changes a series' newest figure writes one update event in its transaction,
and a run that changes nothing writes none. Runs the real collectors against the fake sources
on 127.0.0.1 of ``tests/test_industry_collect.py``."""

from __future__ import annotations

import datetime as dt

from tests.support.industry_support import HAVE_CHDB, run
from tests.support.industry_world import World
from tests.support.loopback import Loopback
from trendbot.storage import outbox

SINCE = "2026-06"


def industry_events(store) -> list[outbox.Event]:
    ids = [r[0] for r in store.conn.execute("SELECT id FROM update_events WHERE kind = 'industry'")]
    found = outbox.events(store.conn, ids)
    return [found[i] for i in sorted(found)]


async def test_industry_runs_write_update_events_only_when_a_newest_figure_changes(store):
    world = World()
    versions = [store.data_version()]
    async with Loopback() as srv:
        world.fake(clickhouse=HAVE_CHDB).attach(srv)
        await run(store, srv, world.today, since=SINCE)
        first = industry_events(store)
        versions.append(store.data_version())
        await run(store, srv, world.today, since=SINCE)  # the same day again: nothing new
        assert industry_events(store) == first
        tomorrow = world.today + dt.timedelta(days=1)
        await run(store, srv, tomorrow, since=SINCE)
    later = industry_events(store)[len(first) :]
    # One event per collector run that wrote (the version moved once for each).
    assert len(first) == versions[1] - versions[0]
    assert all(e.data_version > versions[0] for e in first)
    stars = next(e for e in first if "github-stars" in e.detail["metrics"])
    topics = outbox.topics_of(store.conn, stars.id)
    assert {"industry", "metric:github-stars", "digest"} <= set(topics)
    jax = next(c for c in stars.changes if c.group == "github-stars" and c.figure == "jax")
    assert jax.new == world.repos["jax"].stars
    # The next day: news only where a figure moved; GitHub's values carried to the new day by
    # a 304 are the same figures on a new date, not news.
    assert all(c.old != c.new for e in later for c in e.changes)
    assert not any(c.group == "github-stars" for e in later for c in e.changes)
