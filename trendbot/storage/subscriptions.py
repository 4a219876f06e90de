"""Subscriptions, and the claims that make each update post happen exactly once.

Discord has no idempotency key for messages, so exactly-once is built from two rules:

1. **Claim before posting.** A post is first written as an ``intent`` (``update_posts``) together
   with one ``deliveries`` row per (subscription, event) it covers, in one transaction. The
   deliveries' primary key is (subscription, event): a second claim of the same pair, by a
   restarted bot or by another shard's process, fails and is rolled back whole.
2. **Resolve intents by looking.** An intent without a confirmed message (the process died
   between sending and recording, or the send timed out) is resolved by looking for its marker
   (``update <post id>``, printed in the post's footer) among the channel's recent messages
   before it is sent again (``bot/poster.py``).

Subscribing never replays: a new subscription's ``watermark`` is the newest event id, and only
events above it are for it; a claim moves it up to the newest event the post covers. All
writes use ``BEGIN IMMEDIATE``, so a read-then-write never races a collector's commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from trendbot.storage.clock import now_iso
from trendbot.storage.outbox import newest_id

_SUB_COLS = (
    "id, guild_id, channel_id, topic, created_by, created_at, watermark, last_post_at,"
    " disabled_at, disabled_reason"
)
_POST_COLS = "id, guild_id, channel_id, marker, state, message_id, reason, attempts, shard"


@dataclass(frozen=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    topic: str
    created_by: int
    created_at: str
    watermark: int
    last_post_at: str | None
    disabled_at: str | None
    disabled_reason: str

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class Pending:
    """An event a subscription has not had yet."""

    subscription: Subscription
    event_id: int
    event_at: str


@dataclass(frozen=True)
class Post:
    """One Discord message the poster makes, or made."""

    id: int
    guild_id: int
    channel_id: int
    marker: str
    state: str  # intent | posted | failed
    message_id: int | None
    reason: str
    attempts: int
    shard: int | None


def marker_for(post_id: int) -> str:
    """The short, link-free token printed in a post's footer and searched for after a crash."""
    return f"update {post_id}"


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock at once (reads inside it are current)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _sub(row: Sequence) -> Subscription:
    return Subscription(*row)


def _post(row: Sequence) -> Post:
    return Post(*row)


# -- managing subscriptions ---------------------------------------------------------------------
def subscribe(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    channel_id: int,
    topic: str,
    user_id: int,
    now: str | None = None,
) -> tuple[Subscription, str]:
    """Subscribe a channel to a topic: ``(subscription, "new" | "enabled" | "already")``.

    A disabled subscription is switched back on ("enabled") with its watermark moved to now,
    so what happened while it was off is not posted all at once."""
    now = now or now_iso()
    with immediate(conn):
        mark = newest_id(conn)
        row = conn.execute(
            f"SELECT {_SUB_COLS} FROM subscriptions WHERE channel_id = ? AND topic = ?",
            (channel_id, topic),
        ).fetchone()
        if row is not None and row[8] is None:
            return _sub(row), "already"
        if row is not None:
            conn.execute(
                "UPDATE subscriptions SET disabled_at = NULL, disabled_reason = '',"
                " watermark = max(watermark, ?), guild_id = ?, created_by = ?, created_at = ?,"
                " last_post_at = NULL WHERE id = ?",
                (mark, guild_id, user_id, now, row[0]),
            )
            status = "enabled"
        else:
            conn.execute(
                "INSERT INTO subscriptions (guild_id, channel_id, topic, created_by, created_at,"
                " watermark) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, topic, user_id, now, mark),
            )
            status = "new"
        got = conn.execute(
            f"SELECT {_SUB_COLS} FROM subscriptions WHERE channel_id = ? AND topic = ?",
            (channel_id, topic),
        ).fetchone()
    return _sub(got), status


def unsubscribe(conn: sqlite3.Connection, *, channel_id: int, topic: str) -> bool:
    """Remove a channel's subscription (with its delivery claims); False if there was none."""
    with immediate(conn):
        cur = conn.execute(
            "DELETE FROM subscriptions WHERE channel_id = ? AND topic = ?", (channel_id, topic)
        )
    return cur.rowcount > 0


def for_guild(conn: sqlite3.Connection, guild_id: int) -> list[Subscription]:
    rows = conn.execute(
        f"SELECT {_SUB_COLS} FROM subscriptions WHERE guild_id = ? ORDER BY channel_id, topic",
        (guild_id,),
    ).fetchall()
    return [_sub(r) for r in rows]


def get(conn: sqlite3.Connection, subscription_id: int) -> Subscription | None:
    row = conn.execute(
        f"SELECT {_SUB_COLS} FROM subscriptions WHERE id = ?", (subscription_id,)
    ).fetchone()
    return _sub(row) if row else None


def disable(
    conn: sqlite3.Connection,
    *,
    reason: str,
    ids: Iterable[int] = (),
    channel_id: int | None = None,
    guild_id: int | None = None,
    now: str | None = None,
) -> int:
    """Switch subscriptions off with a reason (never delete them): by id, by channel or by
    server. Returns how many were switched off."""
    clauses, params = [], []
    ids = list(ids)
    if ids:
        clauses.append(f"id IN ({','.join('?' * len(ids))})")
        params += ids
    if channel_id is not None:
        clauses.append("channel_id = ?")
        params.append(channel_id)
    if guild_id is not None:
        clauses.append("guild_id = ?")
        params.append(guild_id)
    if not clauses:
        return 0
    with immediate(conn):
        cur = conn.execute(
            "UPDATE subscriptions SET disabled_at = ?, disabled_reason = ?"
            f" WHERE disabled_at IS NULL AND ({' OR '.join(clauses)})",
            (now or now_iso(), reason, *params),
        )
    return cur.rowcount


# -- what is owed ---------------------------------------------------------------------------------
def _shard_clause(shard_count: int, shard_ids: Sequence[int] | None) -> tuple[str, list]:
    """Discord's guild → shard rule, ``(guild_id >> 22) % shard_count``, in SQL."""
    if shard_count <= 1 or shard_ids is None:
        return "", []
    marks = ",".join("?" * len(shard_ids))
    return f" AND ((s.guild_id >> 22) % ?) IN ({marks})", [shard_count, *shard_ids]


def pending(
    conn: sqlite3.Connection,
    *,
    shard_count: int = 1,
    shard_ids: Sequence[int] | None = None,
    limit: int = 100_000,
) -> list[Pending]:
    """Every (enabled subscription, event above its watermark) of these shards' servers, by
    channel then event. One range seek per subscription on the topic index."""
    where, params = _shard_clause(shard_count, shard_ids)
    rows = conn.execute(
        f"SELECT {', '.join('s.' + c.strip() for c in _SUB_COLS.split(','))},"
        " t.event_id, e.created_at"
        " FROM subscriptions s"
        " JOIN update_event_topics t ON t.topic = s.topic AND t.event_id > s.watermark"
        " JOIN update_events e ON e.id = t.event_id"
        f" WHERE s.disabled_at IS NULL{where}"
        " ORDER BY s.channel_id, t.event_id LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [Pending(_sub(r[:10]), r[10], r[11]) for r in rows]


def digests_due(
    conn: sqlite3.Connection,
    before: str,
    *,
    shard_count: int = 1,
    shard_ids: Sequence[int] | None = None,
) -> list[Subscription]:
    """Enabled digest subscriptions whose last digest (or start) is older than ``before``."""
    where, params = _shard_clause(shard_count, shard_ids)
    rows = conn.execute(
        f"SELECT {', '.join('s.' + c.strip() for c in _SUB_COLS.split(','))}"
        " FROM subscriptions s WHERE s.topic = 'digest' AND s.disabled_at IS NULL"
        f" AND coalesce(s.last_post_at, s.created_at) <= ?{where}",
        (before, *params),
    ).fetchall()
    return [_sub(r) for r in rows]


def touch(conn: sqlite3.Connection, ids: Iterable[int], now: str | None = None) -> None:
    """Start a subscription's next period now (a digest with nothing to say)."""
    ids = list(ids)
    if not ids:
        return
    with immediate(conn):
        conn.execute(
            f"UPDATE subscriptions SET last_post_at = ? WHERE id IN ({','.join('?' * len(ids))})",
            (now or now_iso(), *ids),
        )


# -- claims and posts ----------------------------------------------------------------------------
def claim(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    channel_id: int,
    pairs: Sequence[tuple[int, int]],
    shard: int | None = None,
    now: str | None = None,
) -> Post | None:
    """Claim (subscription, event) pairs for one post, as an ``intent``, in one transaction.

    Returns the post, or None if any pair was already claimed (by another process, or a
    previous run) or a subscription is gone or switched off since it was planned: then nothing
    is written, and the next poll plans again from what is stored."""
    if not pairs:
        return None
    try:
        return _claim(conn, guild_id, channel_id, pairs, shard, now or now_iso())
    except _Taken:
        return None


def _claim(
    conn: sqlite3.Connection,
    guild_id: int,
    channel_id: int,
    pairs: Sequence[tuple[int, int]],
    shard: int | None,
    now: str,
) -> Post | None:
    subs = sorted({s for s, _ in pairs})
    with immediate(conn):
        live = conn.execute(
            f"SELECT count(*) FROM subscriptions WHERE disabled_at IS NULL"
            f" AND id IN ({','.join('?' * len(subs))})",
            subs,
        ).fetchone()[0]
        if live != len(subs):
            return None  # nothing written: the transaction ends empty
        cur = conn.execute(
            "INSERT INTO update_posts (guild_id, channel_id, state, shard, created_at)"
            " VALUES (?, ?, 'intent', ?, ?)",
            (guild_id, channel_id, shard, now),
        )
        post_id = int(cur.lastrowid or 0)
        marker = marker_for(post_id)
        conn.execute("UPDATE update_posts SET marker = ? WHERE id = ?", (marker, post_id))
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO deliveries (subscription_id, event_id, post_id)"
            " VALUES (?, ?, ?)",
            [(s, e, post_id) for s, e in pairs],
        )
        if conn.total_changes - before != len(set(pairs)):
            raise _Taken()
        newest: dict[int, int] = {}
        for s, e in pairs:
            newest[s] = max(newest.get(s, 0), e)
        conn.executemany(
            "UPDATE subscriptions SET watermark = max(watermark, ?), last_post_at = ? WHERE id = ?",
            [(e, now, s) for s, e in newest.items()],
        )
    return Post(post_id, guild_id, channel_id, marker, "intent", None, "", 0, shard)


class _Taken(Exception):
    """Raised inside ``_claim`` to roll back when a pair was already claimed."""


def mark_posted(
    conn: sqlite3.Connection, post_id: int, message_id: int, now: str | None = None
) -> None:
    with immediate(conn):
        conn.execute(
            "UPDATE update_posts SET state = 'posted', message_id = ?, posted_at = ? WHERE id = ?",
            (message_id, now or now_iso(), post_id),
        )


def mark_failed(conn: sqlite3.Connection, post_id: int, reason: str) -> None:
    with immediate(conn):
        conn.execute(
            "UPDATE update_posts SET state = 'failed', reason = ? WHERE id = ?",
            (reason[:500], post_id),
        )


def add_attempt(conn: sqlite3.Connection, post_id: int, reason: str = "") -> int:
    """Count one more send attempt (before sending); the new count."""
    with immediate(conn):
        conn.execute(
            "UPDATE update_posts SET attempts = attempts + 1, reason = ? WHERE id = ?",
            (reason[:500], post_id),
        )
        row = conn.execute("SELECT attempts FROM update_posts WHERE id = ?", (post_id,)).fetchone()
    return int(row[0]) if row else 0


def open_posts(
    conn: sqlite3.Connection,
    *,
    shard_count: int = 1,
    shard_ids: Sequence[int] | None = None,
) -> list[Post]:
    """Intents of these shards' servers: posts claimed but not confirmed."""
    where, params = _shard_clause(shard_count, shard_ids)
    rows = conn.execute(
        f"SELECT {', '.join('s.' + c.strip() for c in _POST_COLS.split(','))}"
        f" FROM update_posts s WHERE s.state = 'intent'{where} ORDER BY s.id",
        params,
    ).fetchall()
    return [_post(r) for r in rows]


def post_deliveries(conn: sqlite3.Connection, post_id: int) -> list[tuple[Subscription, int]]:
    """What a post covers: (subscription, event id) pairs, by event."""
    rows = conn.execute(
        f"SELECT {', '.join('s.' + c.strip() for c in _SUB_COLS.split(','))}, d.event_id"
        " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
        " WHERE d.post_id = ? ORDER BY d.event_id, s.topic",
        (post_id,),
    ).fetchall()
    return [(_sub(r[:10]), r[10]) for r in rows]


def get_post(conn: sqlite3.Connection, post_id: int) -> Post | None:
    row = conn.execute(f"SELECT {_POST_COLS} FROM update_posts WHERE id = ?", (post_id,)).fetchone()
    return _post(row) if row else None


def posts(conn: sqlite3.Connection, channel_id: int | None = None) -> list[Post]:
    """Posts, oldest first (all, or one channel's)."""
    if channel_id is None:
        rows = conn.execute(f"SELECT {_POST_COLS} FROM update_posts ORDER BY id").fetchall()
    else:
        rows = conn.execute(
            f"SELECT {_POST_COLS} FROM update_posts WHERE channel_id = ? ORDER BY id",
            (channel_id,),
        ).fetchall()
    return [_post(r) for r in rows]
