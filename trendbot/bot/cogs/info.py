"""Info commands: `about`, `method`, `help`. They read cached tables only, so no defer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from trendbot.bot.autocomplete import command_choices, method_choices
from trendbot.bot.cogs.hybrid import join_args, spec_command

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin


class InfoCog(commands.Cog, name="info"):
    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @spec_command("about", defer=False)
    async def about(self, ctx: commands.Context) -> None:
        await self.bot.respond(ctx, "about", "")

    @spec_command("method", defer=False)
    @app_commands.describe(name="Which method (empty: all of them)")
    @app_commands.autocomplete(name=method_choices)
    async def method(self, ctx: commands.Context, *, name: str = "") -> None:
        await self.bot.respond(ctx, "method", join_args(name))

    @spec_command("help", defer=False)
    @app_commands.describe(command="A command to explain (empty: the list)")
    @app_commands.autocomplete(command=command_choices)
    async def help(self, ctx: commands.Context, *, command: str = "") -> None:
        await self.bot.respond(ctx, "help", join_args(command))
