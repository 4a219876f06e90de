"""Data commands: `ratio`, `venues`, `table`, `source`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from trendbot.bot.autocomplete import method_choices, venue_choices, year_choices
from trendbot.bot.cogs.hybrid import Year, join_args, spec_command

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin

VENUE = "Conference, e.g. NeurIPS (start typing for the list)"
YEAR = "Year, e.g. 2019 (the list shows the years this venue covers)"
METHOD = "Counting method (default: final)"


class DataCog(commands.Cog, name="data"):
    """Numbers from the store. They defer on slash: a busy store must not miss Discord's 3 s."""

    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @spec_command("ratio", defer=True)
    @app_commands.describe(
        venue=VENUE + "; empty for every venue in a year",
        year=YEAR + "; empty for the venue's trend",
        method=METHOD,
    )
    @app_commands.autocomplete(venue=venue_choices, year=year_choices, method=method_choices)
    async def ratio(
        self, ctx: commands.Context, *, venue: str = "", year: Year = None, method: str = ""
    ) -> None:
        await self.bot.respond(ctx, "ratio", join_args(venue, year, method=method))

    @spec_command("venues", defer=True)
    async def venues(self, ctx: commands.Context) -> None:
        await self.bot.respond(ctx, "venues", "")

    @spec_command("table", defer=True)
    @app_commands.describe(venue="Only this venue", year="Only this year", method=METHOD)
    @app_commands.autocomplete(venue=venue_choices, year=year_choices, method=method_choices)
    async def table(
        self, ctx: commands.Context, *, venue: str = "", year: Year = None, method: str = ""
    ) -> None:
        await self.bot.respond(ctx, "table", join_args(venue, year, method=method))

    @spec_command("source", defer=True)
    @app_commands.describe(venue=VENUE, year=YEAR, method=METHOD)
    @app_commands.autocomplete(venue=venue_choices, year=year_choices, method=method_choices)
    async def source(
        self, ctx: commands.Context, *, venue: str = "", year: Year = None, method: str = ""
    ) -> None:
        await self.bot.respond(ctx, "source", join_args(venue, year, method=method))
