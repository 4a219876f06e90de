"""What each chat command means, with no Discord in sight.

Import this package to register every command; then ``run(ctx, "!ratio NeurIPS 2019")`` answers
exactly as the bot would. The bot, the console and the tests all go through ``run``/``invoke``;
the console reads @mentions and plain questions as the bot does through ``answer_line``.
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
    server,
    trend,
)
from trendbot.commands.console import answer_line
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
    "answer_line",
    "invoke",
    "lookup",
    "parse_query",
    "run",
]
