"""The `trendbot` command line: ask / console (offline), run / sync (Discord), info.

Heavy libraries are imported inside the subcommand that needs them, so `trendbot ask` starts in
a fraction of a second and needs neither a token nor a network.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from trendbot import __version__


def _open_context(args: argparse.Namespace):
    from trendbot.commands import Context
    from trendbot.config import Settings, path_setting
    from trendbot.storage import open_store

    settings = Settings.from_env()
    store = open_store(path_setting(args.db) or settings.db_path)
    return Context(store=store, prefix=settings.command_prefix), settings


def _out_dir(args: argparse.Namespace, settings) -> Path:
    from trendbot.config import path_setting

    return Path(path_setting(args.out) or settings.output_dir)


def _use_replacement_characters() -> None:
    """Undecodable input and unprintable output become U+FFFD / `?` instead of a traceback.

    Python reads stdin strictly under a UTF-8 locale such as en_US.UTF-8 (only C.UTF-8 gets
    surrogateescape), so one bad byte ended the console before it answered anything; and a
    terminal whose encoding lacks `—` or `·` could not print an answer at all."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def clean_arg(text: str) -> str:
    """A command-line argument with undecodable bytes (lone surrogates) as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class OutputError(Exception):
    """A file of the answer could not be written; the answer itself was printed."""


def _write_files(reply, out_dir: Path) -> list[Path]:
    paths = []
    if not reply.files:
        return paths
    from trendbot.commands.reply import safe_filename

    names = [safe_filename(f.filename) for f in reply.files]
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(20, "it is not a folder", str(out_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
        for f, name in zip(reply.files, names, strict=True):
            path = out_dir / name
            path.write_bytes(f.data)
            paths.append(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        missing = ", ".join(names[len(paths) :])
        raise OutputError(
            f"trendbot: could not write {missing} into {out_dir} ({exc.filename or out_dir}: "
            f"{reason.lower()}); point --out or TRENDBOT_OUT at a folder you can write to."
        ) from None
    return paths


def print_reply(reply, out_dir: Path, stream=None) -> bool:
    """Print the answer, then write its files; False (after one sentence on stderr) if the
    files could not be written. The answer is printed first, so it is never lost."""
    stream = stream or sys.stdout
    print(reply.as_plain_text(), file=stream)
    try:
        for path in _write_files(reply, out_dir):
            print(f"[file written: {path}]", file=stream)
    except OutputError as exc:
        stream.flush()
        print(exc, file=sys.stderr)
        return False
    return True


EXIT_ANSWERED, EXIT_USER_ERROR, EXIT_NOT_WRITTEN = 0, 1, 3


def cmd_ask(args: argparse.Namespace) -> int:
    from trendbot.commands import run

    _use_replacement_characters()
    ctx, settings = _open_context(args)
    try:
        reply = run(ctx, " ".join(clean_arg(a) for a in args.question))
        if not print_reply(reply, _out_dir(args, settings)):
            return EXIT_NOT_WRITTEN
        return EXIT_USER_ERROR if reply.is_error else EXIT_ANSWERED
    finally:
        ctx.store.close()


QUIT_WORDS = frozenset({"quit", "exit", ":q"})


def _lines(interactive: bool):
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
    from trendbot.commands import run

    _use_replacement_characters()
    ctx, settings = _open_context(args)
    out = _out_dir(args, settings)
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
            unwritten |= not print_reply(run(ctx, line), out)
            sys.stdout.flush()
    finally:
        ctx.store.close()
    return EXIT_NOT_WRITTEN if unwritten else EXIT_ANSWERED


def cmd_info(args: argparse.Namespace) -> int:
    ctx, _ = _open_context(args)
    with ctx.store as store:
        print(f"database: {store.path}")
        print(f"mode: {store.read_only or 'read-write'}")
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
