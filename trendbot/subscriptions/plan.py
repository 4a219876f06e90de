"""Which posts are due: events owed to subscriptions, grouped into as few posts as possible.

Pure: the poster reads what is owed (``storage.subscriptions.pending``), this decides, the
poster claims and sends. The rules:

* **One post per channel.** Everything a channel is owed (several topics, several events) goes
  into one post: a channel subscribed to ``papers`` and ``NeurIPS`` gets one post for a NeurIPS
  change, and a backfill of thousands of changed figures is one summary post.
* **Combine bursts.** A channel's owed events wait until the oldest is ``combine_s`` old, so
  events that land within a few minutes of each other share a post.
* **Digests** are their own post, once per ``digest_s`` per subscription, covering everything
  since the last one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trendbot.storage.outbox import DIGEST
from trendbot.storage.subscriptions import Pending


@dataclass(frozen=True)
class PlannedPost:
    guild_id: int
    channel_id: int
    pairs: tuple[tuple[int, int], ...]  # (subscription id, event id)
    topics: tuple[str, ...]  # topic keys of the subscriptions it serves, sorted
    digest: bool = False
    event_ids: tuple[int, ...] = field(default=())

    @property
    def size(self) -> int:
        return len(self.event_ids)


def parse_time(iso: str) -> datetime:
    t = datetime.fromisoformat(iso)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _post(rows: Sequence[Pending], digest: bool) -> PlannedPost:
    first = rows[0].subscription
    return PlannedPost(
        guild_id=first.guild_id,
        channel_id=first.channel_id,
        pairs=tuple((p.subscription.id, p.event_id) for p in rows),
        topics=tuple(sorted({p.subscription.topic for p in rows})),
        digest=digest,
        event_ids=tuple(sorted({p.event_id for p in rows})),
    )


def plan_posts(
    owed: Iterable[Pending],
    *,
    now: datetime,
    combine_s: float,
    digests_due: Iterable[int] = (),
) -> list[PlannedPost]:
    """The posts to make now, oldest owed event first."""
    due_digests = set(digests_due)
    by_channel: dict[int, list[Pending]] = {}
    by_digest: dict[int, list[Pending]] = {}
    for p in owed:
        if p.subscription.topic == DIGEST:
            if p.subscription.id in due_digests:
                by_digest.setdefault(p.subscription.id, []).append(p)
        else:
            by_channel.setdefault(p.subscription.channel_id, []).append(p)
    posts: list[tuple[str, PlannedPost]] = []
    for rows in by_channel.values():
        oldest = min(r.event_at for r in rows)
        if (now - parse_time(oldest)).total_seconds() >= combine_s:
            posts.append((oldest, _post(rows, digest=False)))
    for rows in by_digest.values():
        posts.append((min(r.event_at for r in rows), _post(rows, digest=True)))
    posts.sort(key=lambda item: (item[0], item[1].channel_id))
    return [p for _, p in posts]
