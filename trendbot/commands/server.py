"""The commands only the bot answers, in a Discord server: `!subscribe`, `!unsubscribe`,
`!subscriptions` (update posts to a channel) and the owner's `!sync` and `!status`.

Their work is Discord's (channels, permissions, the slash-command tree) and lives in the bot's
cogs (``bot/cogs/subscriptions.py``, ``bot/cogs/admin.py``). They are registered here, as
``server_only``, so that `!help` lists them and the console, where they cannot work, says where
they do and what to use instead, rather than "isn't a command I know". The bot never runs these
handlers: its cogs answer first.
"""

from __future__ import annotations

from trendbot.commands.registry import Context, command
from trendbot.commands.reply import Reply

TOPICS = "papers, a venue (NeurIPS), industry, a metric (github-stars) or digest"


def _elsewhere(ctx: Context, name: str, why: str, instead: str = "") -> Reply:
    text = f"`{ctx.prefix}{name}` works in a Discord channel where trendbot is: {why}"
    if instead:
        text += f" Here, {instead}"
    return Reply(text, command=name, is_error=True, ephemeral=True)


_SUBSCRIBE_WHY = (
    "update posts go to a server channel, so type it in the channel that should get them "
    "(you need Manage Channels there)."
)


@command(
    "subscribe",
    usage="<topic> [#channel]",
    summary="Post new numbers on a topic in a server channel (in a Discord server).",
    details=f"Topics: {TOPICS}. Needs Manage Channels in that channel.",
    examples=("!subscribe NeurIPS", "!subscribe industry #news"),
    family="server",
    server_only=True,
)
def subscribe(ctx: Context, args: str) -> Reply:
    return _elsewhere(ctx, "subscribe", _SUBSCRIBE_WHY)


@command(
    "unsubscribe",
    usage="<topic> [#channel]",
    summary="Stop a channel's update posts on a topic (in a Discord server).",
    examples=("!unsubscribe NeurIPS",),
    family="server",
    server_only=True,
)
def unsubscribe(ctx: Context, args: str) -> Reply:
    return _elsewhere(ctx, "unsubscribe", _SUBSCRIBE_WHY)


@command(
    "subscriptions",
    usage="",
    summary="A server's update subscriptions, and any switched off (in a Discord server).",
    examples=("!subscriptions",),
    family="server",
    server_only=True,
)
def subscriptions(ctx: Context, args: str) -> Reply:
    return _elsewhere(ctx, "subscriptions", "it lists that server's channel subscriptions.")


@command(
    "sync",
    usage="[here]",
    summary="Register the slash commands with Discord again (the bot's owner, in Discord).",
    family="server",
    server_only=True,
)
def sync(ctx: Context, args: str) -> Reply:
    return _elsewhere(
        ctx,
        "sync",
        "the bot's owner types it to register the slash commands again.",
        "`trendbot sync` (or `trendbot sync --guild <server id>`) does the same.",
    )


@command(
    "status",
    usage="",
    summary="The bot's health and every collector's last run (the bot's owner, in Discord).",
    family="server",
    server_only=True,
)
def status(ctx: Context, args: str) -> Reply:
    return _elsewhere(
        ctx,
        "status",
        "it reports the running bot's health to its owner.",
        "`trendbot collect --status` shows every collector's last run, and `trendbot info` "
        "the database.",
    )
