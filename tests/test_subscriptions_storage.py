"""The outbox, subscriptions and claims in the store, and the pure planning and formatting."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from tests.support.paper_data import Paper, collect
from trendbot.commands.reply import MAX_CONTENT, MAX_EMBED_TOTAL
from trendbot.storage import open_store, outbox
from trendbot.storage import subscriptions as subs
from trendbot.subscriptions.format import post_reply
from trendbot.subscriptions.plan import plan_posts
from trendbot.subscriptions.topics import describe, fixed_topics, parse_topic

G0, G1 = 0 << 22, 1 << 22  # guilds on shard 0 and 1 of 2


def events(conn) -> list[tuple]:
    return conn.execute("SELECT id, kind, title, data_version FROM update_events").fetchall()


def papers(pytorch: int) -> list[Paper]:
    return [Paper(f"P{i}", ("pytorch",)) for i in range(pytorch)] + [Paper("T", ("tensorflow",))]


def test_the_seed_writes_no_event_and_a_collection_writes_one_when_numbers_change(tmp_path):
    store = open_store(tmp_path / "t.db")
    assert events(store.conn) == []  # installing is not news
    collect(store, "neurips", "neurips", 2023, papers(2))
    ((eid, kind, title, version),) = events(store.conn)
    assert (kind, title) == ("papers", "NeurIPS 2023")
    assert version == store.data_version()  # written in the transaction that moved it
    assert outbox.topics_of(store.conn, eid) == ["digest", "papers", "venue:neurips"]
    (event,) = outbox.events(store.conn, [eid]).values()
    final = {c.figure: (c.old, c.new) for c in event.changes if c.group == "final"}
    assert final == {"pytorch": (None, 2), "tensorflow": (None, 1), "total": (None, 3)}
    collect(store, "neurips", "neurips", 2023, papers(2))  # same numbers: no event
    assert len(events(store.conn)) == 1
    collect(store, "neurips", "neurips", 2023, papers(4))
    (_, latest) = outbox.events(store.conn, [r[0] for r in events(store.conn)]).values()
    moved = {(c.group, c.figure): (c.old, c.new) for c in latest.changes}
    assert moved[("final", "pytorch")] == (2, 4) and moved[("final", "total")] == (3, 5)
    assert ("final", "tensorflow") not in moved  # unchanged figures are not news
    store.close()


def test_record_refuses_to_run_outside_a_transaction(tmp_path):
    store = open_store(tmp_path / "t.db")
    try:
        outbox.record(store.conn, ["papers"], [outbox.Change("x", 1, 2)], kind="papers", title="t")
    except RuntimeError as exc:
        assert "transaction" in str(exc)
    else:
        raise AssertionError("an event outside its writer's transaction must be refused")
    store.close()


def _event(conn, topics=("papers", "venue:neurips"), title="NeurIPS 2023", at=None) -> int:
    with subs.immediate(conn):
        return outbox.record(
            conn, list(topics), [outbox.Change("pytorch", 1, 2, "final")], kind="papers",
            title=title, created_at=at,
        )  # fmt: skip


def test_subscribing_never_replays_and_claims_are_exactly_once(tmp_path):
    store = open_store(tmp_path / "t.db")
    old = _event(store.conn)
    sub, status = subs.subscribe(store.conn, guild_id=G0, channel_id=10, topic="papers", user_id=1)
    assert status == "new" and sub.watermark == old
    assert subs.pending(store.conn) == []
    new = _event(store.conn)
    (owed,) = subs.pending(store.conn)
    assert (owed.subscription.id, owed.event_id) == (sub.id, new)
    # Two processes race for the same delivery: one claim wins, the other writes nothing.
    other = sqlite3.connect(tmp_path / "t.db")
    first = subs.claim(store.conn, guild_id=G0, channel_id=10, pairs=[(sub.id, new)])
    second = subs.claim(other, guild_id=G0, channel_id=10, pairs=[(sub.id, new)])
    assert first is not None and second is None
    assert first.marker == f"update {first.id}"
    assert [p.id for p in subs.posts(store.conn)] == [first.id]  # the loser left no row
    assert subs.pending(store.conn) == []
    assert [p.id for p in subs.open_posts(store.conn)] == [first.id]
    subs.mark_posted(store.conn, first.id, 999)
    assert (
        subs.open_posts(store.conn) == [] and subs.get_post(store.conn, first.id).message_id == 999
    )
    other.close()
    store.close()


def test_switched_off_subscriptions_wait_and_come_back_without_a_backlog(tmp_path):
    store = open_store(tmp_path / "t.db")
    a, _ = subs.subscribe(store.conn, guild_id=G0, channel_id=10, topic="papers", user_id=1)
    b, _ = subs.subscribe(store.conn, guild_id=G1, channel_id=11, topic="venue:neurips", user_id=1)
    assert subs.disable(store.conn, reason="missing_access: x", channel_id=10) == 1
    _event(store.conn)
    assert [p.subscription.id for p in subs.pending(store.conn)] == [b.id]
    # A claim planned before the switch-off is refused.
    eid = outbox.newest_id(store.conn)
    assert subs.claim(store.conn, guild_id=G0, channel_id=10, pairs=[(a.id, eid)]) is None
    again, status = subs.subscribe(store.conn, guild_id=G0, channel_id=10, topic="papers",
                                   user_id=2)  # fmt: skip
    assert status == "enabled" and again.enabled and again.watermark == eid
    assert [p.subscription.id for p in subs.pending(store.conn)] == [b.id]
    # Shards: each process sees only its servers' subscriptions.
    on0 = subs.pending(store.conn, shard_count=2, shard_ids=[0])
    on1 = subs.pending(store.conn, shard_count=2, shard_ids=[1])
    assert on0 == [] and [p.subscription.guild_id for p in on1] == [G1]
    assert subs.unsubscribe(store.conn, channel_id=11, topic="venue:neurips")
    assert not subs.unsubscribe(store.conn, channel_id=11, topic="venue:neurips")
    store.close()


def test_plan_combines_a_channel_and_holds_digests_for_their_week(tmp_path):
    store = open_store(tmp_path / "t.db")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    subs.subscribe(store.conn, guild_id=G0, channel_id=10, topic="papers", user_id=1,
                   now=start.isoformat())  # fmt: skip
    subs.subscribe(store.conn, guild_id=G0, channel_id=10, topic="venue:neurips", user_id=1)
    digest, _ = subs.subscribe(store.conn, guild_id=G0, channel_id=12, topic="digest", user_id=1,
                               now=start.isoformat())  # fmt: skip
    for minute in (0, 1):
        _event(store.conn, at=(start + timedelta(minutes=minute)).isoformat())
    owed = subs.pending(store.conn)
    assert plan_posts(owed, now=start + timedelta(seconds=90), combine_s=120) == []
    (post,) = plan_posts(owed, now=start + timedelta(seconds=120), combine_s=120)
    assert post.channel_id == 10 and len(post.pairs) == 4 and post.size == 2
    assert post.topics == ("papers", "venue:neurips")
    week = start + timedelta(days=7)
    due = subs.digests_due(store.conn, (week - timedelta(days=7)).isoformat())
    assert [d.id for d in due] == [digest.id]
    plans = plan_posts(owed, now=week, combine_s=120, digests_due=[digest.id])
    assert [(p.channel_id, p.digest) for p in plans] == [(10, False), (12, True)]
    store.close()


def test_a_backfill_post_stays_one_message_with_a_summary(tmp_path):
    store = open_store(tmp_path / "t.db")
    many = [
        outbox.Event(
            i, f"2026-01-{1 + i % 28:02d}T00:00:00+00:00", "papers", f"Venue{i} 20{i % 30:02d}",
            tuple(outbox.Change(f"fw{j}", j, j + i, f"method{j % 3}") for j in range(30)),
            {"venue": "NeurIPS", "year": 2023, "source": "s", "methods": ["final"]}, i,
        )
        for i in range(1, 2001)
    ]  # fmt: skip
    topics = [describe(store, "papers"), parse_topic(store, "NeurIPS")]
    reply = post_reply(many, topics, marker="update 77", prefix="?")
    assert reply.title == "New numbers: 2,000 updates (Venue1 2001, Venue2 2002 and 1,998 more)"
    assert reply.description.startswith("60,000 figures changed in 2,000 updates")
    assert "more updates" in reply.description
    assert len(reply.text) <= MAX_CONTENT and reply.embed_length() <= MAX_EMBED_TOTAL
    assert reply.files == []  # never a .txt attachment
    assert reply.footer == "papers · NeurIPS · update 77 · to stop: ?unsubscribe papers or " + (
        "?unsubscribe NeurIPS"
    )
    assert "http" not in reply.footer
    store.close()


def test_industry_changes_count_the_newest_figure_against_the_stored_one(tmp_path):
    store = open_store(tmp_path / "t.db")
    conn = store.conn
    src, day = conn.execute(
        "SELECT source_id, max(date) FROM metrics WHERE metric = 'github-stars'"
        " AND framework = 'pytorch' GROUP BY source_id ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    stored = conn.execute(
        "SELECT value FROM metrics WHERE source_id = ? AND metric = 'github-stars'"
        " AND framework = 'pytorch' AND date = ?",
        (src, day),
    ).fetchone()[0]
    later = "2099-01-02"
    rows = [
        (src, "github-stars", "pytorch", "2099-01-01", stored + 5),
        (src, "github-stars", "pytorch", later, stored + 10),  # the newest of the batch counts
        (src, "github-stars", "pytorch", "2000-01-01", 1.0),  # history filled in: no news
    ]
    changes = outbox.metric_changes(conn, rows)
    assert changes == [outbox.Change("pytorch", stored, stored + 10, "github-stars")]
    same = outbox.metric_changes(conn, [(src, "github-stars", "pytorch", day, stored)])
    assert same == []
    with subs.immediate(conn):
        eid = outbox.record_metrics(conn, changes, source=src, rows=3, dates=("2000-01-01", later))
    assert outbox.topics_of(conn, eid) == ["digest", "industry", "metric:github-stars"]
    (event,) = outbox.events(conn, [eid]).values()
    assert event.detail["chart"] == "trend github-stars" and event.kind == "industry"
    reply = post_reply([event], [describe(store, "industry")], marker="update 1")
    assert f"PyTorch {stored:,.0f} → {stored + 10:,.0f} (+10)" in reply.description
    store.close()


def test_a_code_update_names_its_figures_as_repositories_not_unread_papers():
    changes = [
        outbox.Change("pytorch", 10, 12, group="code"),
        outbox.Change("unread", 5, 3, group="code"),
        outbox.Change("total", 10, 12, group="code"),
        outbox.Change("unread", 2, 1, group=""),
    ]
    event = outbox.Event(1, "2026-12-05T10:00", "papers", "CVPR 2031", tuple(changes), {}, 3)
    topic = next(t for t in fixed_topics() if t.key == "papers")
    lines = post_reply([event], [topic], marker="update 1").description.splitlines()
    code, papers = lines
    assert "PyTorch 10 → 12 (+2)" in code and "own code not read yet 5 → 3 (−2)" in code
    assert "papers whose code was read 10 → 12" in code and "could not be read 2 → 1" in papers
