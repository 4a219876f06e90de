"""The `trendbot` command line: ask / console / info (offline), run / sync (Discord),
collect (papers, industry, --status) and scan.

One module per command family (``ask``, ``bot``, ``collect``, ``collect_industry``, ``scan``),
what they share in ``common``. The command line sits on top: it calls the library and nothing
in the library imports it. Each module imports its heavy libraries inside the function that
runs the command, so `trendbot ask` starts in a fraction of a second and needs neither a token
nor a network.
"""

from __future__ import annotations

import argparse
import os
import sys

from trendbot import __version__
from trendbot.cli import ask, bot, collect, flags, scan
from trendbot.cli.common import EXIT_USAGE

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = flags.Parser(
        prog="trendbot",
        description="How ML frameworks are used in research, answered in Discord or here.",
    )
    parser.add_argument("--version", action="version", version=f"trendbot {__version__}")
    parser.add_argument("--db", help="SQLite file (default: $TRENDBOT_DB or the user data dir)")
    parser.add_argument(
        "--out", help="where image and text files are written (default: ./trendbot-out)"
    )
    sub = parser.add_subparsers(dest="cmd", metavar="command", required=True)
    ask.add_commands(sub)
    bot.add_commands(sub)
    scan.add_commands(sub)
    collect.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `trendbot ask … | head`: the reader left; not an error worth a trace
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last guard: one sentence, no traceback
        from trendbot.config import ConfigError
        from trendbot.storage import StoreError

        if isinstance(exc, ConfigError | StoreError):
            print(f"trendbot: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise
