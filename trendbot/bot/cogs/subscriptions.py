"""`!subscribe`, `!unsubscribe`, `!subscriptions` (and their slash forms), and the events that
switch subscriptions off (a channel deleted, the bot removed from a server).

These live only in the bot: a subscription is a server channel's, and who may change it depends
on Discord permissions. Members with Manage Channels (in the target channel), Manage Server, or
the server's owner may subscribe and unsubscribe; anyone may list. Subscribing checks first that
the bot itself can post there and names any permission it lacks. Every write goes through the
poster's own store connection in a thread.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from trendbot.bot.permissions import bot_missing, human_join, may_manage
from trendbot.bot.render import send_reply
from trendbot.commands import Reply
from trendbot.commands.parsing import UsageError
from trendbot.storage import subscriptions as subs
from trendbot.subscriptions import reasons
from trendbot.subscriptions.topics import Topic, choices, describe, parse_topic

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin

log = logging.getLogger("trendbot.bot.subscriptions")
CHANNEL_MENTION = re.compile(r"<#(\d{15,22})>")
POSTABLE = (discord.TextChannel,)  # text and announcement channels


async def topic_choices(interaction: discord.Interaction, current: str):
    store = interaction.client.core.store  # type: ignore[attr-defined]
    return [app_commands.Choice(name=n, value=v) for n, v in choices(store, current)]


def _error(text: str) -> Reply:
    return Reply(text, is_error=True, ephemeral=True).finish()


class SubscriptionsCog(commands.Cog, name="subscriptions"):
    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @property
    def prefix(self) -> str:
        return self.bot.settings.command_prefix

    # -- commands ---------------------------------------------------------------------------------
    @commands.hybrid_command(
        name="subscribe",
        description="Post new numbers on a topic in a channel (needs Manage Channels)",
        help="Post new numbers on a topic (papers, a venue, industry, a metric, digest) here",
        rest_is_raw=True,
    )
    @app_commands.describe(
        topic="papers, a venue (NeurIPS), industry, a metric (github-stars) or digest",
        channel="The channel to post in (default: this one)",
    )
    @app_commands.autocomplete(topic=topic_choices)
    async def subscribe(
        self, ctx: commands.Context, *, topic: str = "", channel: discord.TextChannel = None
    ) -> None:
        await self._change(ctx, topic, channel, on=True)

    @commands.hybrid_command(
        name="unsubscribe",
        description="Stop a channel's update posts on a topic (needs Manage Channels)",
        help="Stop the update posts on a topic in a channel",
        rest_is_raw=True,
    )
    @app_commands.describe(topic="The topic to stop", channel="The channel (default: this one)")
    @app_commands.autocomplete(topic=topic_choices)
    async def unsubscribe(
        self, ctx: commands.Context, *, topic: str = "", channel: discord.TextChannel = None
    ) -> None:
        await self._change(ctx, topic, channel, on=False)

    @commands.hybrid_command(
        name="subscriptions",
        description="This server's update subscriptions, and any that are switched off",
        help="List this server's update subscriptions",
    )
    async def subscriptions(self, ctx: commands.Context) -> None:
        if ctx.guild is None:
            await send_reply(ctx, _error(self._dm_text("subscriptions")))
            return
        rows = await self.bot.updates.db(subs.for_guild, ctx.guild.id)
        await send_reply(ctx, self.listing(ctx.guild, rows))

    # -- the work ---------------------------------------------------------------------------------
    def _dm_text(self, name: str) -> str:
        return (
            "Update posts go to a server channel, so this works in a server: type "
            f"`{self.prefix}{name} <topic>` in the channel that should get them, or name one "
            f"(`{self.prefix}{name} NeurIPS #news`). Topics: papers, a venue, industry, a metric "
            "or digest."
        )

    def _split(
        self, ctx: commands.Context, raw: str, channel: discord.abc.GuildChannel | None
    ) -> tuple[str, discord.abc.GuildChannel | None, str | None]:
        """(topic text, target channel, a problem) from a prefix line like `NeurIPS #news`."""
        if ctx.interaction is not None or ctx.guild is None:
            return raw, channel or ctx.channel, None  # type: ignore[return-value]
        words = []
        target: discord.abc.GuildChannel | None = None
        for word in raw.split():
            mention = CHANNEL_MENTION.fullmatch(word)
            if mention or (word.startswith("#") and len(word) > 1):
                found = (
                    ctx.guild.get_channel(int(mention.group(1)))
                    if mention
                    else discord.utils.get(ctx.guild.channels, name=word[1:].lower())
                )
                if found is None:
                    return "", None, "I can't find that channel in this server."
                target = found
            else:
                words.append(word)
        return " ".join(words), target or ctx.channel, None  # type: ignore[return-value]

    async def _change(
        self,
        ctx: commands.Context,
        raw: str,
        channel: discord.abc.GuildChannel | None,
        *,
        on: bool,
    ) -> None:
        name = "subscribe" if on else "unsubscribe"
        retry = self.bot.command_budget.spend(ctx)
        if retry:
            from trendbot.bot.errors import cooldown_text

            await send_reply(ctx, _error(cooldown_text(retry)))
            return
        if ctx.guild is None:
            await send_reply(ctx, _error(self._dm_text(name)))
            return
        text, target, problem = self._split(ctx, raw or "", channel)
        if problem:
            await send_reply(ctx, _error(problem))
            return
        if not isinstance(target, POSTABLE) or target.guild.id != ctx.guild.id:
            only = "I can post updates only in a text channel of this server."
            await send_reply(ctx, _error(only))
            return
        try:
            topic = parse_topic(self.bot.core.store, text, prefix=self.prefix)
        except UsageError as err:
            await send_reply(ctx, _error(err.message))
            return
        if not may_manage(ctx.author, target):
            await send_reply(
                ctx,
                _error(
                    f"Only members who can manage {target.mention} (Manage Channels), or manage "
                    f"the server, can change its subscriptions. Anyone can list them: "
                    f"`{self.prefix}subscriptions`."
                ),
            )
            return
        if on:
            await self._subscribe(ctx, target, topic)
        else:
            await self._unsubscribe(ctx, target, topic)

    async def _subscribe(
        self, ctx: commands.Context, target: discord.TextChannel, topic: Topic
    ) -> None:
        lacking = bot_missing(target)
        if lacking:
            await send_reply(
                ctx,
                _error(
                    f"I can't post updates in {target.mention}: I'm missing "
                    f"{human_join(lacking)} there. Give me {'it' if len(lacking) == 1 else 'them'}"
                    f" in the channel's permissions, then `{self.prefix}subscribe {topic.label} "
                    f"#{target.name}` again."
                ),
            )
            return
        sub, status = await self.bot.updates.db(
            subs.subscribe,
            guild_id=target.guild.id,
            channel_id=target.id,
            topic=topic.key,
            user_id=ctx.author.id,
        )
        config = self.bot.config
        if status == "already":
            text = f"{target.mention} is already subscribed to **{topic.label}**."
        else:
            when = (
                f"once a week (about {config.digest_every / 86400:.0f} days apart), as one summary"
                if topic.digest
                else "one post per update (updates a few minutes apart share one post)"
            )
            again = "back on: " if status == "enabled" else ""
            text = (
                f"Subscribed {again}{target.mention} gets **{topic.label}**: {topic.about}, "
                f"{when}. Nothing from before now is posted. Stop with "
                f"`{self.prefix}unsubscribe {topic.label} #{target.name}`."
            )
        log.info("subscription %s: channel %s topic %s (%s)", sub.id, target.id, topic.key, status)
        await send_reply(ctx, Reply(text, command="subscribe").finish())

    async def _unsubscribe(
        self, ctx: commands.Context, target: discord.TextChannel, topic: Topic
    ) -> None:
        gone = await self.bot.updates.db(subs.unsubscribe, channel_id=target.id, topic=topic.key)
        if gone:
            text = f"{target.mention} no longer gets **{topic.label}** updates."
            await send_reply(ctx, Reply(text, command="unsubscribe").finish())
        else:
            await send_reply(
                ctx,
                _error(
                    f"{target.mention} was not subscribed to **{topic.label}**. "
                    f"`{self.prefix}subscriptions` lists this server's subscriptions."
                ),
            )

    def listing(self, guild: discord.Guild, rows: list[subs.Subscription]) -> Reply:
        """`!subscriptions`: every subscription of the server; switched-off ones with why and
        how to fix them."""
        store = self.bot.core.store
        if not rows:
            return Reply(
                "No channel of this server gets update posts yet. A member with Manage Channels "
                f"can start them: `{self.prefix}subscribe <topic> [#channel]` (topics: papers, "
                "a venue such as NeurIPS, industry, a metric such as github-stars, or digest).",
                command="subscriptions",
            ).finish()
        lines = [f"**Update subscriptions in {discord.utils.escape_markdown(guild.name)}**:"]
        off = 0
        for s in rows:
            label = describe(store, s.topic).label
            where = f"<#{s.channel_id}>"
            if s.enabled:
                last = f", last post {s.last_post_at[:10]}" if s.last_post_at else ""
                lines.append(f"- {where} · **{label}** (since {s.created_at[:10]}{last})")
            else:
                off += 1
                channel = guild.get_channel(s.channel_id)
                named = f"#{channel.name}" if channel else "#channel"
                why = reasons.explain(s.disabled_reason, named, label, self.prefix)
                lines.append(
                    f"- ⚠ {where} · **{label}**: switched off {s.disabled_at[:10]}: {why}"
                    if s.disabled_at
                    else f"- ⚠ {where} · **{label}**: switched off: {why}"
                )
        if off:
            lines.append(
                f"{off} switched off: posts to {'it' if off == 1 else 'them'} stopped because "
                "Discord refused them; nothing is lost for the others."
            )
        lines.append(
            f"Change them with `{self.prefix}subscribe` / `{self.prefix}unsubscribe <topic> "
            "[#channel]` (Manage Channels)."
        )
        return Reply("\n".join(lines), command="subscriptions").finish()

    # -- Discord events ---------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        why = reasons.reason("channel_deleted", f"#{channel.name} was deleted")
        try:
            await self.bot.updates.disable_channel(channel.id, why)
        except Exception:
            log.exception("could not switch off the subscriptions of channel %s", channel.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        why = reasons.reason("removed_from_server", "trendbot was removed from the server")
        try:
            n = await self.bot.updates.db(subs.disable, reason=why, guild_id=guild.id)
            if n:
                log.info("switched off %d subscription(s) of server %s (removed)", n, guild.id)
        except Exception:
            log.exception("could not switch off the subscriptions of server %s", guild.id)
