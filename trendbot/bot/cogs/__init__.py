"""One cog per command family, each a thin adapter over ``trendbot.commands`` (the hybrid
command helpers they share are in ``hybrid``); ``load_cogs`` adds them all to a bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trendbot.commands import REGISTRY

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin


async def load_cogs(bot: TrendBotMixin) -> None:
    from trendbot.bot.cogs.admin import AdminCog
    from trendbot.bot.cogs.charts import ChartsCog
    from trendbot.bot.cogs.data import DataCog
    from trendbot.bot.cogs.generic import generic_cog
    from trendbot.bot.cogs.industry import IndustryCog
    from trendbot.bot.cogs.info import InfoCog
    from trendbot.bot.cogs.papers import PapersCog
    from trendbot.bot.cogs.subscriptions import SubscriptionsCog
    from trendbot.bot.errors import ErrorHandler

    await bot.add_cog(ErrorHandler(bot))  # type: ignore[attr-defined, arg-type]
    await bot.add_cog(DataCog(bot))  # type: ignore[attr-defined]
    await bot.add_cog(InfoCog(bot))  # type: ignore[attr-defined]
    if "papers" in REGISTRY and "paper" in REGISTRY:
        await bot.add_cog(PapersCog(bot))  # type: ignore[attr-defined]
    if "chart" in REGISTRY:
        await bot.add_cog(ChartsCog(bot))  # type: ignore[attr-defined]
    if "industry" in REGISTRY:
        await bot.add_cog(IndustryCog(bot))  # type: ignore[attr-defined]
    await bot.add_cog(AdminCog(bot))  # type: ignore[attr-defined]
    await bot.add_cog(SubscriptionsCog(bot))  # type: ignore[attr-defined]
    taken = {c.name for c in bot.commands}  # type: ignore[attr-defined]
    extra = generic_cog(bot, [s for s in REGISTRY.values() if s.name not in taken])
    if extra is not None:
        await bot.add_cog(extra)  # type: ignore[attr-defined]
