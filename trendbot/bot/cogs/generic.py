"""Any registered command without a dedicated cog still answers, as `!name …` and `/name query:`.

This keeps the bot generic over the command table: a command added to ``trendbot.commands``
appears in Discord without touching the bot (with one free-text option until it gets a cog).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from trendbot.bot.cogs.hybrid import spec_command
from trendbot.commands import CommandSpec

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin


def _command_for(spec: CommandSpec):
    async def callback(self, ctx: commands.Context, *, query: str = "") -> None:
        await self.bot.respond(ctx, spec.name, query)

    # discord.py decides whether the first parameter is `self` from the qualified name: a
    # function defined in a function must look like a method of the cog class it joins.
    callback.__qualname__ = f"MoreCommands.cmd_{spec.name}"
    described = app_commands.describe(query=f"What you would type after {spec.name}"[:100])
    return spec_command(spec.name, defer=True)(described(callback))


def generic_cog(bot: TrendBotMixin, specs: Iterable[CommandSpec]) -> commands.Cog | None:
    specs = list(specs)
    if not specs:
        return None
    attrs = {f"cmd_{s.name}": _command_for(s) for s in specs}

    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    attrs["__init__"] = __init__
    cls = type("MoreCommands", (commands.Cog,), attrs, name="more")
    return cls(bot)
