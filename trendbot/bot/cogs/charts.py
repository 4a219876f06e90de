"""Chart command: `chart`. It renders in a worker (see ``TrendBot.answer``), capped per server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from discord import app_commands
from discord.ext import commands

from trendbot.bot.autocomplete import method_choices, venues_choices, year_choices
from trendbot.bot.cogs.hybrid import Year, join_args, spec_command

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin


class ChartsCog(commands.Cog, name="charts"):
    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @spec_command("chart", defer=True, summary="The trend as an image.")
    @app_commands.describe(
        venues="One to five venues, e.g. NeurIPS CVPR ACL",
        year="A year: every venue that year as bars",
        kind="Shares (default) or raw paper counts (one venue)",
        field="All venues of one field combined",
        method="Counting method (default: final)",
        light="Draw for Discord's light theme",
    )
    @app_commands.autocomplete(venues=venues_choices, year=year_choices, method=method_choices)
    async def chart(
        self,
        ctx: commands.Context,
        *,
        venues: str = "",
        year: Year = None,
        kind: Literal["share", "counts"] = "share",
        field: Literal["vision", "language", "ml"] | None = None,
        method: str = "",
        light: bool = False,
    ) -> None:
        words = [
            "counts" if kind == "counts" else "",
            f"field {field}" if field else "",
            venues,
            year,
        ]
        await self.bot.respond(ctx, "chart", join_args(*words, method=method, light=light))
