"""What each chat command means, with no Discord in sight.

Import this package to register every command; then ``run(ctx, "!ratio NeurIPS 2019")`` answers
exactly as the bot would. The bot, the console and the tests all go through ``run``/``invoke``.
"""

from trendbot.commands import (  # noqa: F401  (registers commands)
    about,
    chart,
    compare,
    coverage,
    help,
    industry,
    paper,
    papers,
    ratio,
    trend,
)
from trendbot.commands.parsing import Query, UsageError, parse_query
from trendbot.commands.registry import REGISTRY, CommandSpec, Context, invoke, lookup, run
from trendbot.commands.reply import Attachment, EmbedField, Reply

__all__ = [
    "REGISTRY",
    "Attachment",
    "CommandSpec",
    "Context",
    "EmbedField",
    "Query",
    "Reply",
    "UsageError",
    "invoke",
    "lookup",
    "parse_query",
    "run",
]
