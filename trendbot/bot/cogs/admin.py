"""Owner-only maintenance: `!sync` re-registers the slash commands with Discord on request."""

from __future__ import annotations

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
