"""`trendbot ask`, `trendbot console` and `trendbot info`: the offline commands.

They answer exactly as the bot does (``commands.console.answer_line``: commands through the same
``trendbot.commands.run``, @mentions and plain questions as the bot reads them) from the local
store, with no token and no network; images and long answers are written to the output folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from trendbot import __version__
from trendbot.cli.common import (
    EXIT_FAILED,
    EXIT_NOT_WRITTEN,
    EXIT_OK,
    clean_arg,
    open_context,
    out_dir,
    print_reply,
    use_replacement_characters,
)

QUIT_WORDS = frozenset({"quit", "exit", ":q"})


def cmd_ask(args: argparse.Namespace) -> int:
    from trendbot.commands import answer_line

    use_replacement_characters()
    ctx, settings = open_context(args)
    try:
        answer = answer_line(ctx, " ".join(clean_arg(a) for a in args.question))
        reply = answer.reply
        if answer.note:
            print(answer.note)
        if not print_reply(reply, out_dir(args, settings)):
            return EXIT_NOT_WRITTEN
        return EXIT_FAILED if reply.is_error else EXIT_OK
    finally:
        ctx.store.close()


def _lines(interactive: bool) -> Iterator[str]:
    """Input lines. A terminal gets `input()` (line editing); a pipe is read as bytes and split
    on newlines only, each line decoded on its own, so one bad byte spoils only its line."""
    if interactive:
        while True:
            try:
                yield input("> ")
            except (EOFError, KeyboardInterrupt):
                return
    else:
        for raw in sys.stdin.buffer:
            yield raw.rstrip(b"\r\n").decode("utf-8", "replace")


def cmd_console(args: argparse.Namespace) -> int:
    from trendbot.commands import answer_line

    use_replacement_characters()
    ctx, settings = open_context(args)
    out = out_dir(args, settings)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"trendbot {__version__} console: type `{ctx.prefix}help`, or `quit` to leave.")
    unwritten = False
    try:
        for line in _lines(interactive):
            if line.strip().lower() in QUIT_WORDS:
                break
            if not line.strip():
                continue
            answer = answer_line(ctx, line)
            if answer.note:
                print(answer.note)
            unwritten |= not print_reply(answer.reply, out)
            sys.stdout.flush()
    finally:
        ctx.store.close()
    return EXIT_NOT_WRITTEN if unwritten else EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    ctx, _ = open_context(args)
    with ctx.store as store:
        print(f"database: {store.path}")
        print(f"mode: {store.read_only or 'read-write'}")
        print(f"schema version: {store.schema_version()}")
        print(f"data version: {store.data_version()}")
        print(f"venues: {len(store.venues())}, methods: {', '.join(store.methods())}")
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser(
        "ask", help='answer one command offline, e.g. trendbot ask "!ratio NeurIPS 2019"'
    )
    ask.add_argument("question", nargs=argparse.REMAINDER, help="the command, quoted or not")
    ask.set_defaults(func=cmd_ask)
    console = sub.add_parser("console", help="interactive offline console")
    console.set_defaults(func=cmd_console)
    info = sub.add_parser("info", help="where the database is and what it holds")
    info.set_defaults(func=cmd_info)
