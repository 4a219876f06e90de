"""`!help [command]`: usage with examples, generated from the command table."""

from __future__ import annotations

from trendbot.commands.parsing import UsageError, is_option, unknown_option
from trendbot.commands.registry import (
    REGISTRY,
    SERVER_ONLY,
    CommandSpec,
    Context,
    command,
    lookup,
    server_command,
    split_line,
)
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.text import echo

HELP_ORDER = (
    "ratio",
    "chart",
    "industry",
    "trend",
    "compare",
    "metrics",
    "venues",
    "table",
    "source",
    "papers",
    "paper",
    "about",
    "method",
    "help",
)


def _short(summary: str, limit: int = 64) -> str:
    """The summary cut at a word before ``limit`` characters (the overview is one message)."""
    if len(summary) <= limit:
        return summary
    return summary[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _example(example: str, prefix: str) -> str:
    return prefix + example.lstrip("!")


def _asked_command(ctx: Context, args: str) -> CommandSpec | None:
    """`!help ratio`, `!help !ratio`, `!help tb!ratio` → ratio's spec; no argument → None."""
    p = ctx.prefix
    name, rest = split_line(args, p)
    if not name:
        return None
    if rest:
        raise UsageError(f"One command at a time, e.g. `{p}help ratio`.")
    spec = lookup(name) or server_command(name)
    if spec is None and is_option(name):
        raise unknown_option(name, usage=f"`{p}help [command]`", command=f"{p}help")
    if spec is None:
        raise UsageError(f"There is no command {echo(name, 24)}. `{p}help` lists them all.")
    return spec


@command(
    "help",
    usage="[command]",
    summary="This list, or one command's usage with examples.",
    examples=("!help", "!help ratio"),
    aliases=("h", "commands", "usage"),
    family="info",
    parse=_asked_command,
)
def help_command(ctx: Context, args: str) -> Reply:
    p = ctx.prefix
    spec = _asked_command(ctx, args)
    if spec is not None:
        lines = [f"{spec.usage_line(p)}: {spec.summary}"]
        if spec.details:
            lines.append(spec.details)
        if spec.examples:
            lines.append("Examples: " + ", ".join(f"`{_example(e, p)}`" for e in spec.examples))
        if spec.aliases:
            lines.append("Also answers to: " + ", ".join(f"`{p}{a}`" for a in spec.aliases))
        if spec.server_only:
            lines.append("Only in a Discord server where trendbot is, not in the console.")
        return Reply(
            "\n".join(lines),
            command=f"help {spec.name}",
            title=f"{p}{spec.name}",
            description="\n".join(lines),
        )
    lines = ["**trendbot**: how ML frameworks are used in research and industry. Commands:"]
    fields = []
    order = {name: i for i, name in enumerate(HELP_ORDER)}
    for spec in sorted(REGISTRY.values(), key=lambda s: order.get(s.name, len(order))):
        example = f" e.g. `{_example(spec.examples[0], p)}`" if spec.examples else ""
        # One short line each, so the list fits one message; `!help <command>` has the rest.
        lines.append(f"`{p}{spec.name}` {_short(spec.summary)}{example}")
        fields.append(EmbedField(spec.usage_line(p), spec.summary + example, inline=False))
    if SERVER_ONLY:
        server = ", ".join(f"`{p}{name}`" for name in SERVER_ONLY)
        lines.append(f"In a Discord server only: {server}.")
        fields.append(EmbedField("In a Discord server only", server, inline=False))
    lines.append(
        f"Venues and years are forgiving: `{p}ratio nips 19` works. "
        f"`{p}help <command>` for details."
    )
    return Reply("\n".join(lines), command="help", title="trendbot commands", fields=fields)
