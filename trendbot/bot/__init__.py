"""The Discord adapter: a discord.py 2.x bot over ``trendbot.commands``.

``trendbot run`` builds it with ``create_bot`` (see ``app``); ``cogs`` hold one thin adapter per
command family, ``render`` turns replies into messages, ``errors`` is the one error policy,
``treesync`` keeps slash-command registration rare, and ``runner`` owns the process lifecycle.

Nothing is imported eagerly: importing ``trendbot.bot.settings`` or ``trendbot.bot.limits`` must
not pay for discord.py.
"""

from __future__ import annotations

__all__ = ["BotConfig", "ShardedTrendBot", "TrendBot", "create_bot"]


def __getattr__(name: str):
    if name == "BotConfig":
        from trendbot.bot.settings import BotConfig

        return BotConfig
    if name in {"ShardedTrendBot", "TrendBot", "create_bot"}:
        from trendbot.bot import app

        return getattr(app, name)
    raise AttributeError(name)
