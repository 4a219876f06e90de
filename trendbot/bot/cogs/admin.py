"""Owner-only maintenance: `!sync` re-registers the slash commands with Discord on request;
`!status` reports the bot's health and every collector's last run."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from trendbot.bot.render import send_to_channel
from trendbot.bot.treesync import sync_tree
from trendbot.commands import Reply

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin


class AdminCog(commands.Cog, name="admin"):
    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @commands.command(name="sync", hidden=True)
    @commands.is_owner()
    async def sync(self, ctx: commands.Context, scope: str = "global") -> None:
        """`!sync` (global, may take a while to show) or `!sync here` (this server, instant)."""
        here = scope.lower() in {"here", "guild", "server"}
        if here and ctx.guild is None:
            raise commands.NoPrivateMessage()
        guild = discord.Object(ctx.guild.id) if here and ctx.guild else None
        await sync_tree(
            self.bot.tree,  # type: ignore[attr-defined]
            self.bot.core.store,
            self.bot.application_id,  # type: ignore[attr-defined]
            force=True,
            guild=guild,
        )
        count = len(self.bot.tree.get_commands(guild=guild))  # type: ignore[attr-defined]
        where = "for this server" if guild else "globally"
        await send_to_channel(
            ctx.channel, Reply(f"Synced {count} slash commands {where}."), reference=ctx.message
        )

    @commands.command(name="status", hidden=True)
    @commands.is_owner()
    async def status(self, ctx: commands.Context) -> None:
        """The bot's health and every collector's last run, for its owner."""
        lines = await asyncio.to_thread(status_lines, self.bot)
        reply = Reply("\n".join(lines), command="status").finish()
        await send_to_channel(ctx.channel, reply, reference=ctx.message)


def status_lines(bot: TrendBotMixin) -> list[str]:
    """What `!status` says (store reads run off the event loop, in a thread)."""
    from trendbot import __version__
    from trendbot.bot.schedule import _duration
    from trendbot.storage.paper_queries import listing_states, unlisted_runs
    from trendbot.storage.runs import last_runs

    store = bot.core.store
    shards = getattr(bot, "shard_ids", None) or [0]
    count = getattr(bot, "shard_count", None) or 1
    latency = bot.latency * 1000  # type: ignore[attr-defined]
    servers = len(bot.guilds)  # type: ignore[attr-defined]
    lines = [
        f"**trendbot {__version__}** · up {_duration(time.time() - bot.started_at)} · "
        f"{servers} server{'' if servers == 1 else 's'} · shards "
        f"{', '.join(map(str, shards))} of {count} · gateway {latency:.0f} ms · "
        f"largest loop stall {bot.loopwatch.max_stall * 1000:.0f} ms",
        f"Store: {store.path} ({store.read_only or 'read-write'}) · schema "
        f"{store.schema_version()} · data version {store.data_version()}",
    ]
    service = bot.core.services.get("charts")
    if service is not None:
        st = service.stats
        lines.append(
            f"Charts: {st.mode}, {st.workers} worker(s) · {st.renders:,} drawn · "
            f"{st.cache_hits:,} from cache · {st.timeouts} timeouts · {st.errors} errors"
        )
    schedule = getattr(bot, "collections", None)
    lines.append(
        f"Collections: {schedule.status()}" if schedule is not None
        else "Collections: not scheduled by this bot (COLLECT_EVERY=off, or another shard)"
    )  # fmt: skip
    poster = getattr(bot, "updates", None)
    if poster is not None:
        st = poster.stats
        ago = f"{time.time() - st.last_poll:.0f} s ago" if st.last_poll else "not yet"
        lines.append(
            f"Update posts: {st.posted:,} posted · {st.recovered:,} found after a restart · "
            f"{st.retried:,} retried · {st.failed:,} failed · {st.disabled:,} subscriptions "
            f"switched off · last poll {ago}"
        )
    runs = store.read(last_runs)
    if runs:
        lines.append(
            "Collectors, last run: "
            + " · ".join(
                f"{r.collector} {(r.finished_at or r.started_at)[:16]} {r.status}"
                + (f" ({r.items:,} items)" if r.items else "")
                for r in runs
            )
        )
    papers = store.read(listing_states)
    if papers:
        unread = sum(p.failed for p in papers)
        newest = max(papers, key=lambda p: p.fetched_at)
        name = store.venues().get(newest.venue_id)
        lines.append(
            f"Papers: {len(papers)} venue-years collected, {unread:,} papers unread · newest "
            f"{name.name if name else newest.venue_id} {newest.year} ({newest.fetched_at[:10]})"
        )
    unlisted = [u for u in store.read(unlisted_runs) if u.status != "running"]
    if unlisted:  # a listing that failed (a source down, OpenReview without credentials)
        last = max(unlisted, key=lambda u: u.last_run)
        name = store.venues().get(last.venue_id)
        why = f": {last.error}" if last.error else ""
        lines.append(
            f"Papers not listed: {len(unlisted)} venue-year{'' if len(unlisted) == 1 else 's'} "
            f"· newest {name.name if name else last.venue_id} {last.year} "
            f"({last.last_run[:16]}, {last.status}{why})"
        )
    if not papers and not unlisted:
        lines.append("Papers: nothing collected yet (`trendbot collect papers …`).")
    return lines
