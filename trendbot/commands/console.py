"""A line typed in the console (`trendbot console`, `trendbot ask`), answered as the bot would
answer it in a direct message.

The bot answers `!ratio NeurIPS 2019` as a command and `@trendbot how many papers used pytorch
at iclr 2020?` (or the same words without a prefix in a direct message) as a question, through
``ask.read_mention``. The console used to send everything to ``run``, so a question or an
`@trendbot …` line got "isn't a command I know". Here: a known command (or a Discord-only one,
which says where it works) goes to ``run`` as before; a line led by an @mention, or a line
without a prefix whose first word is no command, is read as a question, and its answer carries
the same "I read that as …" note the bot shows. A prefixed unknown word (`!raito`) still gets
the suggestion, as in Discord.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trendbot.commands.ask import answer_mention, help_line, is_word_alias, read_mention
from trendbot.commands.registry import (
    Context,
    closest_command,
    lookup,
    run,
    server_command,
    split_line,
    strip_prefix,
    unknown_command_reply,
)
from trendbot.commands.reply import Reply

# `@trendbot`, `@TrendBot,` or a raw Discord mention `<@123…>` pasted from a chat.
MENTION = re.compile(r"^\s*(?:@trendbot\b|<@!?\d{1,22}>)[\s,:;]*", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    reply: Reply
    note: str | None = None  # "I read that as `!ratio ICLR 2020`.", shown above the reply


def answer_line(ctx: Context, line: str) -> Answer:
    """The reply to one typed line (never raises, as ``run``)."""
    mention = MENTION.match(line)
    text = line[mention.end() :] if mention else line
    name, args = split_line(text, ctx.prefix)
    if not name or server_command(name):
        return Answer(run(ctx, text))  # the help line; where a Discord-only command works
    spec = lookup(name)
    prefixed = strip_prefix(text, ctx.prefix) != text.strip()
    as_typed = spec is not None and not is_word_alias(name, spec)
    if mention is None and (prefixed or as_typed):
        return Answer(run(ctx, text))
    readings = read_mention(ctx, text)
    if readings:
        result = answer_mention(ctx, readings)
        return Answer(result.reply, result.note)
    if mention is None and spec is None and not args:  # one unknown word: likely a typo
        return Answer(unknown_command_reply(name, ctx.prefix).finish())
    text = help_line(ctx.prefix)  # what the bot says to words it cannot read as a question
    close = closest_command(name) if spec is None and mention is None else None
    if close:
        text += f" Did you mean `{ctx.prefix}{close}`?"
    return Answer(Reply(text, command="help", is_error=True, ephemeral=True).finish())
