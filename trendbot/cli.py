"""The `trendbot` command line: ask / console (offline), run / sync (Discord), info.

Heavy libraries are imported inside the subcommand that needs them, so `trendbot ask` starts in
a fraction of a second and needs neither a token nor a network.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from trendbot import __version__


def _open_context(args: argparse.Namespace):
    from trendbot.commands import Context
    from trendbot.config import Settings
    from trendbot.storage import open_store

    settings = Settings.from_env()
    store = open_store(args.db or settings.db_path)
    return Context(store=store, prefix=settings.command_prefix), settings


def _write_files(reply, out_dir: Path) -> list[Path]:
    paths = []
    if not reply.files:
        return paths
    from trendbot.commands.reply import safe_filename

    out_dir.mkdir(parents=True, exist_ok=True)
    for f in reply.files:
        path = out_dir / safe_filename(f.filename)
        path.write_bytes(f.data)
        paths.append(path)
    return paths


def print_reply(reply, out_dir: Path, stream=None) -> None:
    stream = stream or sys.stdout
    print(reply.as_plain_text(), file=stream)
    for path in _write_files(reply, out_dir):
        print(f"[file written: {path}]", file=stream)


def cmd_ask(args: argparse.Namespace) -> int:
    from trendbot.commands import run

    ctx, settings = _open_context(args)
    try:
        line = " ".join(args.question)
        reply = run(ctx, line if line.strip()[:1] in "!/" else ctx.prefix + line)
        print_reply(reply, Path(args.out or settings.output_dir))
        return 1 if reply.is_error else 0
    finally:
        ctx.store.close()


def cmd_console(args: argparse.Namespace) -> int:
    from trendbot.commands import run

    ctx, settings = _open_context(args)
    out = Path(args.out or settings.output_dir)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"trendbot {__version__} console: type `{ctx.prefix}help`, or `quit` to leave.")
    try:
        while True:
            try:
                line = input("> " if interactive else "")
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip().lower() in {"quit", "exit", ":q"}:
                break
            if not line.strip():
                continue
            text = line if line.strip()[:1] in "!/" else ctx.prefix + line
            print_reply(run(ctx, text), out)
            sys.stdout.flush()
    finally:
        ctx.store.close()
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    ctx, _ = _open_context(args)
    with ctx.store as store:
        print(f"database: {store.path}")
        print(f"schema version: {store.schema_version()}")
        print(f"data version: {store.data_version()}")
        print(f"venues: {len(store.venues())}, methods: {', '.join(store.methods())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trendbot",
        description="How ML frameworks are used in research, answered in Discord or here.",
    )
    parser.add_argument("--version", action="version", version=f"trendbot {__version__}")
    parser.add_argument("--db", help="SQLite file (default: $TRENDBOT_DB or the user data dir)")
    parser.add_argument(
        "--out", help="where image and text files are written (default: ./trendbot-out)"
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    ask = sub.add_parser(
        "ask", help='answer one command offline, e.g. trendbot ask "!ratio NeurIPS 2019"'
    )
    ask.add_argument("question", nargs=argparse.REMAINDER, help="the command, quoted or not")
    ask.set_defaults(func=cmd_ask)
    console = sub.add_parser("console", help="interactive offline console")
    console.set_defaults(func=cmd_console)
    info = sub.add_parser("info", help="where the database is and what it holds")
    info.set_defaults(func=cmd_info)
    try:
        from trendbot.bot.cli import add_bot_commands
    except ImportError:
        pass
    else:
        add_bot_commands(sub)
    try:
        from trendbot.collectors.cli import add_collect_commands
    except ImportError:
        pass
    else:
        add_collect_commands(sub)
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
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
