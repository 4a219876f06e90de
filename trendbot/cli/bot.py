"""`trendbot run` and `trendbot sync`: the Discord bot, started or only registering its slash
commands (discord.py is imported only when one of them runs)."""

from __future__ import annotations

import argparse

from trendbot.cli.common import load_settings


def cmd_run(args: argparse.Namespace) -> int:
    from trendbot.bot.runner import main

    return main(load_settings(args))


def cmd_sync(args: argparse.Namespace) -> int:
    from trendbot.bot.runner import main

    return main(load_settings(args), sync_only=True, sync_guild=args.guild)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="start the Discord bot (token from DISCORD_TOKEN in the environment or .env)",
        description="Start the Discord bot. Stops cleanly on SIGTERM/SIGINT.",
    )
    run.set_defaults(func=cmd_run)
    sync = subparsers.add_parser(
        "sync",
        help="register the slash commands with Discord now (normally automatic when they change)",
        description=(
            "Log in, register the slash commands, and exit. Without --guild the commands are "
            "global; with --guild ID they appear in that server at once (handy while developing)."
        ),
    )
    sync.add_argument("--guild", type=int, help="sync to this server id only")
    sync.set_defaults(func=cmd_sync)
