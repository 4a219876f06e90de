"""The poster: a background task that delivers update events to subscribed channels, once each.

Every ``POSTER_POLL_S`` it reads the store (collectors are other processes; their events arrive
through the outbox table) and, for the servers of this process's shards only:

1. **Resolves intents** left by a crash or a send whose outcome is unknown (a timeout, a 5xx):
   it looks for the post's marker among the channel's recent messages from the bot, and marks
   the post done if it is there; only if it is not is the post sent again.
2. **Plans** what is owed (``subscriptions.plan``): one post per channel, bursts combined,
   digests weekly.
3. **Claims, then sends**: the claim (an ``intent`` with a (subscription, event) row per event
   covered, unique) is committed before the message is sent, and the message id is recorded
   after. A process killed at any point leaves either nothing claimed (planned again next time)
   or an intent (resolved by looking, step 1): nothing is posted twice, nothing is lost.

Faults: 403 and 404 switch the channel's subscriptions off with the reason (they stay listed,
with how to fix them); 5xx and timeouts are tried again on later polls, at most
``MAX_ATTEMPTS`` times; 429s are discord.py's (it waits and retries). Each delivery is caught on
its own, so one broken channel never stops the others, and the loop itself survives anything.

Pacing: at most ``POSTER_RATE`` requests a second (aiolimiter) and ``CONCURRENCY`` at once, well
under Discord's global 50 a second, so command replies keep their headroom. The store is written
through a connection of the poster's own, in a worker thread, so the event loop and the
commands' reads never wait on the poster's commits. A post's chart is drawn once (by the chart
service, cached per data version) and shared by every channel that gets the same update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import discord
from aiolimiter import AsyncLimiter

from trendbot.bot.permissions import ESSENTIAL, POSTING, missing
from trendbot.bot.render import build, send_to_channel
from trendbot.commands import Attachment, Reply, invoke, lookup
from trendbot.storage import outbox
from trendbot.storage import subscriptions as subs
from trendbot.subscriptions import reasons
from trendbot.subscriptions.format import post_reply
from trendbot.subscriptions.plan import PlannedPost, plan_posts
from trendbot.subscriptions.topics import describe

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin

log = logging.getLogger("trendbot.bot.poster")
T = TypeVar("T")

CONCURRENCY = 4  # posts in flight at once
MAX_ATTEMPTS = 5  # sends of one post (5xx, timeouts) before it is marked failed
SEND_TIMEOUT = 60.0  # discord.py retries 5xx itself for up to ~16 s inside one send
HISTORY_LIMIT = 100  # recent messages searched for a marker (Discord's maximum per request)
CHART_TIMEOUT = 20.0
RETRYABLE = (discord.DiscordServerError, aiohttp.ClientError, TimeoutError, OSError)


@dataclass
class PosterStats:
    polls: int = 0
    posted: int = 0
    recovered: int = 0  # intents found already posted (after a crash or an unknown outcome)
    resent: int = 0  # intents not found in the channel, sent again
    retried: int = 0  # sends that failed with a 5xx or timed out
    failed: int = 0
    disabled: int = 0  # subscriptions switched off by a 403/404
    errors: int = 0  # unexpected exceptions caught per delivery or per poll
    last_poll: float = 0.0


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


class Poster:
    """Delivers update posts for the shards this process runs; ``start()`` after login."""

    def __init__(
        self,
        bot: TrendBotMixin,
        *,
        poll_s: float = 30.0,
        combine_s: float = 120.0,
        rate: float = 20.0,
        digest_s: float = 7 * 86400.0,
        concurrency: int = CONCURRENCY,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.bot = bot
        self.poll_s = poll_s
        self.combine_s = combine_s
        self.digest_s = digest_s
        self.clock = clock
        # One request per 1/rate seconds, no bursts: a bucket of capacity 1. (A bucket as large
        # as the rate lets a burst of `rate` requests through on top of the steady flow, which
        # with command replies beside it crossed 50 in one second in bench/bench_fanout.py.)
        self.limiter = AsyncLimiter(1, 1.0 / rate)
        self.concurrency = concurrency
        self.stats = PosterStats()
        self._sem = asyncio.Semaphore(concurrency)
        self._conn: sqlite3.Connection | None = None
        self._conn_lock = threading.Lock()
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._inflight: set[int] = set()
        self._running = asyncio.Lock()
        self._charts: dict[tuple[str, int], asyncio.Future] = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="poster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        conn, self._conn = self._conn, None
        if conn is not None and conn is not self.bot.core.store.conn:
            with self._conn_lock:
                conn.close()

    def wake(self) -> None:
        """Poll now instead of at the next interval."""
        self._wake.set()

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()  # type: ignore[attr-defined]
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is busy or gone, or a bug: log, never stop polling
                self.stats.errors += 1
                log.exception("update poll failed; trying again in %.0f s", self.poll_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()

    # -- the store, off the event loop ------------------------------------------------------------
    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._conn_lock:
            if self._conn is None:
                self._conn = self.bot.core.store.writer()
            if self._conn is self.bot.core.store.conn:  # an in-memory store: share its lock
                with self.bot.core.store._lock:
                    return fn(self._conn, *args, **kwargs)
            return fn(self._conn, *args, **kwargs)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(conn, *args, **kwargs)`` on the poster's own connection, in a thread."""
        return await asyncio.to_thread(self._call, fn, *args, **kwargs)

    # -- shards -----------------------------------------------------------------------------------
    def shards(self) -> tuple[int, list[int] | None]:
        """(shard count, the shard ids this process runs; None: all of them)."""
        bot = self.bot
        count = getattr(bot, "shard_count", None) or 1
        if isinstance(bot, discord.AutoShardedClient):
            ids = list(getattr(bot, "shards", {}) or []) or getattr(bot, "shard_ids", None)
            return count, (sorted(ids) if ids else None)
        shard_id = getattr(bot, "shard_id", None)
        return count, ([shard_id] if shard_id is not None and count > 1 else None)

    def shard_of(self, guild_id: int) -> int:
        count, _ = self.shards()
        return (guild_id >> 22) % count

    # -- one poll ---------------------------------------------------------------------------------
    async def run_once(self) -> None:
        """Resolve intents, then make every post that is due; returns when they are done.
        Polls never overlap: an intent claimed by a running poll is not an orphan to another."""
        async with self._running:
            await self._poll()

    async def _poll(self) -> None:
        self.stats.polls += 1
        self.stats.last_poll = time.time()
        count, ids = self.shards()
        opened = await self.db(subs.open_posts, shard_count=count, shard_ids=ids)
        todo = [p for p in opened if p.id not in self._inflight]
        await asyncio.gather(*(self._guarded(self._resolve(p), p.channel_id) for p in todo))
        now = self.clock()
        owed = await self.db(subs.pending, shard_count=count, shard_ids=ids)
        due = await self.db(
            subs.digests_due,
            _iso(now - timedelta(seconds=self.digest_s)),
            shard_count=count,
            shard_ids=ids,
        )
        due_ids = {d.id for d in due}
        plans = plan_posts(owed, now=now, combine_s=self.combine_s, digests_due=due_ids)
        quiet = due_ids - {p.pairs[0][0] for p in plans if p.digest}
        if quiet:  # a week with nothing to say: no post, the next week starts now
            await self.db(subs.touch, quiet, _iso(now))
        await asyncio.gather(*(self._guarded(self._deliver(p), p.channel_id) for p in plans))

    async def _guarded(self, work, channel_id: int) -> None:
        """One delivery; whatever goes wrong stays with its channel."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            self.stats.errors += 1
            log.exception("update post to channel %s failed; the others go on", channel_id)

    # -- channels ---------------------------------------------------------------------------------
    def channel(self, guild_id: int, channel_id: int) -> discord.abc.Messageable:
        found = self.bot.get_channel(channel_id)  # type: ignore[attr-defined]
        if found is not None:
            return found
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)  # type: ignore[attr-defined]

    def _cached_problem(self, channel: discord.abc.Messageable) -> str | None:
        """A reason to switch the channel's subscriptions off without asking Discord: the bot
        cannot see or post in it, by the roles and overwrites the gateway sent."""
        if not isinstance(channel, discord.abc.GuildChannel):
            return None
        me = channel.guild.me
        if me is None:
            return None
        lacking = missing(channel.permissions_for(me), [p for p in POSTING if p[0] in ESSENTIAL])
        if not lacking:
            return None
        code = "missing_access" if "View Channel" in lacking else "missing_permissions"
        return reasons.reason(code, f"I lack {' and '.join(lacking)} there")

    async def disable_channel(self, channel_id: int, reason: str) -> int:
        n = await self.db(subs.disable, reason=reason, channel_id=channel_id)
        if n:
            self.stats.disabled += n
            log.warning("switched off %d subscription(s) of channel %s: %s", n, channel_id, reason)
        return n

    # -- delivering -------------------------------------------------------------------------------
    async def _deliver(self, plan: PlannedPost) -> None:
        async with self._sem:
            channel = self.channel(plan.guild_id, plan.channel_id)
            problem = self._cached_problem(channel)
            if problem is not None:
                await self.disable_channel(plan.channel_id, problem)
                return
            post = await self.db(
                subs.claim,
                guild_id=plan.guild_id,
                channel_id=plan.channel_id,
                pairs=plan.pairs,
                shard=self.shard_of(plan.guild_id),
                now=_iso(self.clock()),
            )
            if post is None:  # claimed elsewhere, or unsubscribed meanwhile
                return
            await self._send(post, channel, plan.topics, plan.event_ids, plan.digest)

    async def _resolve(self, post: subs.Post) -> None:
        """An intent without a confirmed message: find it in the channel, or send it again."""
        async with self._sem:
            channel = self.channel(post.guild_id, post.channel_id)
            try:
                await self.limiter.acquire()
                found = await asyncio.wait_for(self.find_marker(channel, post.marker), 30)
            except (discord.Forbidden, discord.NotFound) as exc:
                await self._refused(post, exc)
                return
            except RETRYABLE as exc:
                where = (post.channel_id, post.marker)
                log.info("could not check channel %s for %s (%s)", *where, exc)
                return
            if found is not None:
                await self.db(subs.mark_posted, post.id, found)
                self.stats.recovered += 1
                log.info("%s was already in channel %s (message %s)", post.marker,
                         post.channel_id, found)  # fmt: skip
                return
            if post.attempts >= MAX_ATTEMPTS:
                await self._give_up(post, "no answer from Discord after several attempts")
                return
            covered = await self.db(subs.post_deliveries, post.id)
            if not covered:
                await self.db(subs.mark_failed, post.id, "unsubscribed before it was posted")
                return
            if any(not s.enabled for s, _ in covered):
                await self.db(subs.mark_failed, post.id, "subscription switched off")
                return
            topics = tuple(sorted({s.topic for s, _ in covered}))
            events = tuple(sorted({e for _, e in covered}))
            self.stats.resent += 1
            await self._send(post, channel, topics, events, digest=topics == ("digest",))

    async def find_marker(self, channel: discord.abc.Messageable, marker: str) -> int | None:
        """The id of the bot's own recent message carrying ``marker``, if there is one."""
        pattern = re.compile(rf"(?<![\w-]){re.escape(marker)}(?![\w-])")
        me = self.bot.user.id  # type: ignore[attr-defined]
        async for message in channel.history(limit=HISTORY_LIMIT):  # type: ignore[attr-defined]
            if message.author.id != me:
                continue
            texts = [message.content or ""]
            for embed in message.embeds:
                texts += [embed.footer.text or "", embed.description or ""]
            if any(pattern.search(t) for t in texts):
                return message.id
        return None

    async def _send(
        self,
        post: subs.Post,
        channel: discord.abc.Messageable,
        topics: tuple[str, ...],
        event_ids: tuple[int, ...],
        digest: bool,
    ) -> None:
        self._inflight.add(post.id)
        try:
            reply = await self._reply(post, topics, event_ids, digest)
            attempts = await self.db(subs.add_attempt, post.id)
            await self.limiter.acquire()
            try:
                message = await asyncio.wait_for(self._post(channel, reply), SEND_TIMEOUT)
            except (discord.Forbidden, discord.NotFound) as exc:
                await self._refused(post, exc)
                return
            except RETRYABLE as exc:  # the outcome is unknown: the intent stays, looked up later
                self.stats.retried += 1
                what = str(exc) or type(exc).__name__
                log.warning("update %s to channel %s: %s (attempt %d of %d)", post.marker,
                            post.channel_id, what, attempts, MAX_ATTEMPTS)  # fmt: skip
                if attempts >= MAX_ATTEMPTS:
                    await self._give_up(post, f"Discord kept failing: {what}")
                return
            except discord.HTTPException as exc:  # 400/413: this post can never be sent
                await self._give_up(post, f"Discord refused it: {exc.status} {exc.text[:200]}")
                return
            await self.db(subs.mark_posted, post.id, message.id)
            self.stats.posted += 1
        finally:
            self._inflight.discard(post.id)

    async def _post(self, channel: discord.abc.Messageable, reply: Reply) -> discord.Message:
        if isinstance(channel, discord.abc.GuildChannel):
            return await send_to_channel(channel, reply)
        out = build(reply)  # a channel not in the cache: Discord drops what it does not allow
        return await channel.send(**out.kwargs())

    async def _refused(self, post: subs.Post, exc: discord.HTTPException) -> None:
        reason = reasons.for_http(exc.status, exc.code, exc.text)
        await self.db(subs.mark_failed, post.id, reason)
        self.stats.failed += 1
        await self.disable_channel(post.channel_id, reason)

    async def _give_up(self, post: subs.Post, why: str) -> None:
        await self.db(subs.mark_failed, post.id, why)
        self.stats.failed += 1
        log.warning("gave up on %s to channel %s: %s", post.marker, post.channel_id, why)

    # -- the post itself --------------------------------------------------------------------------
    async def _reply(
        self, post: subs.Post, topics: tuple[str, ...], event_ids: tuple[int, ...], digest: bool
    ) -> Reply:
        events = await self.db(outbox.events, event_ids)
        ordered = [events[i] for i in sorted(events)]
        store = self.bot.core.store
        labels = [describe(store, t) for t in topics]
        chart = await self.chart(ordered)
        return post_reply(
            ordered,
            labels,
            marker=post.marker,
            prefix=self.bot.settings.command_prefix,  # type: ignore[attr-defined]
            digest=digest,
            chart=chart,
        )

    async def chart(self, events: list[outbox.Event]) -> Attachment | None:
        """The chart of the post's newest update: drawn once per data version by the chart
        service and shared by every channel (a failed or slow chart leaves it out)."""
        args = next((e.detail.get("chart") for e in reversed(events) if e.detail.get("chart")), "")
        if not args or lookup(str(args).split(" ", 1)[0]) is None:
            return None
        key = (str(args), max(e.data_version for e in events))
        fut = self._charts.get(key)
        if fut is None:
            if len(self._charts) > 64:
                self._charts.clear()
            fut = asyncio.get_running_loop().create_future()
            self._charts[key] = fut
            try:
                name, _, rest = str(args).partition(" ")
                spec = lookup(name)
                reply = await asyncio.wait_for(
                    asyncio.to_thread(invoke, self.bot.core, spec, rest), CHART_TIMEOUT
                )
                image = None if reply.is_error else reply.image
                fut.set_result(image)
            except Exception as exc:
                log.warning("no chart for the update post (%s): %s", args, exc)
            finally:
                if not fut.done():
                    fut.set_result(None)
        return await asyncio.shield(fut)
