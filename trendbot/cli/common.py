"""What every `trendbot` subcommand shares: settings and the store, console encoding, printing
an answer and writing its files, exit statuses, progress bars.

The command line is the top floor: it calls the library (commands, collectors, the bot) and
nothing below imports it. Heavy libraries are imported inside the function that needs them, so
building the parser, which every `trendbot` start does, stays cheap.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trendbot.commands import Context
    from trendbot.commands.reply import Reply
    from trendbot.config import Settings

# Exit statuses, the same for every subcommand.
EXIT_OK = 0  # answered / collected / every file read
EXIT_FAILED = 1  # the question was a user error, or a collection or a file failed
EXIT_USAGE = 2  # the command line itself was wrong (or settings / the store unusable)
EXIT_NOT_WRITTEN = 3  # the answer was printed but its files could not be written


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment and .env, with ``--db`` (``~`` expanded) in place of
    TRENDBOT_DB: one rule for every subcommand, the bot's included."""
    import dataclasses

    from trendbot.config import Settings, path_setting

    settings = Settings.from_env()
    db = path_setting(args.db)
    return dataclasses.replace(settings, db_path=db) if db else settings


def open_context(args: argparse.Namespace) -> tuple[Context, Settings]:
    """The command context (store, prefix) and settings, honouring ``--db``."""
    from trendbot.commands import Context
    from trendbot.storage import open_store

    settings = load_settings(args)
    store = open_store(settings.db_path)
    return Context(store=store, prefix=settings.command_prefix), settings


def open_for_writing(args: argparse.Namespace, what: str = "collect") -> tuple[Context, Settings]:
    """``open_context`` for a command that writes the store (the collectors). A store that
    could only be opened read-only (a read-only file, folder or medium) is refused before any
    work, with one sentence (a ``StoreError``, which ``main`` prints, exit status 2), instead of
    a ``sqlite3.OperationalError`` at the first write."""
    from trendbot.storage import StoreError

    ctx, settings = open_context(args)
    why = ctx.store.read_only
    if why:
        ctx.store.close()
        raise StoreError(f"cannot {what}: the database is {why}.")
    return ctx, settings


def out_dir(args: argparse.Namespace, settings: Settings) -> Path:
    """Where answer files go: ``--out``, else TRENDBOT_OUT, else ./trendbot-out."""
    from trendbot.config import path_setting

    return Path(path_setting(args.out) or settings.output_dir)


def use_replacement_characters() -> None:
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


def printable(text: str) -> str:
    """``text`` safe to print on one terminal line: control characters (escape sequences, a
    newline, a bidi override) shown as ``\\x1b``, ``\\n``, ``\\u202e``, and bytes that were
    not UTF-8 as ``\\xff``. A file name is the user's, not ours to let drive the terminal."""
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


class OutputError(Exception):
    """A file of the answer could not be written; the answer itself was printed."""


def write_files(reply: Reply, folder: Path) -> list[Path]:
    """Write the reply's files into ``folder``; ``OutputError`` (one sentence) if that fails.

    Each file is written by ``storage.files.replace_file``: a symbolic link at a file's name
    is replaced, not written through; a folder at the name is refused with the sentence."""
    paths: list[Path] = []
    if not reply.files:
        return paths
    from trendbot.commands.reply import safe_filename
    from trendbot.storage.files import replace_file

    names = [safe_filename(f.filename) for f in reply.files]
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(20, "it is not a folder", str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        for f, name in zip(reply.files, names, strict=True):
            # never through a link planted at the name: a new file renamed into place
            paths.append(replace_file(folder, name, f.data))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        missing = ", ".join(names[len(paths) :])
        where = printable(str(exc.filename or folder))
        fix = (
            "move it away, or point --out or TRENDBOT_OUT at another folder"
            if isinstance(exc, IsADirectoryError)
            else "point --out or TRENDBOT_OUT at a folder you can write to"
        )
        raise OutputError(
            f"trendbot: could not write {missing} into {printable(str(folder))} ({where}: "
            f"{reason.lower()}); {fix}."
        ) from None
    return paths


def print_reply(reply: Reply, folder: Path, stream: Any = None) -> bool:
    """Print the answer, then write its files; False (after one sentence on stderr) if the
    files could not be written. The answer is printed first, so it is never lost."""
    stream = stream or sys.stdout
    print(reply.as_plain_text(), file=stream)
    try:
        for path in write_files(reply, folder):
            print(f"[file written: {printable(str(path))}]", file=stream)
    except OutputError as exc:
        stream.flush()
        print(exc, file=sys.stderr)
        return False
    return True


class Bars:
    """tqdm progress bars on stderr, one per name, drawn only when ``enabled`` (a terminal, or
    ``--progress``). Several may advance at once (the industry collectors run together)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def open(self, name: str, total: int, unit: str) -> Any:
        """The bar ``name`` (made on first use, else given the new total); None when off."""
        if not self.enabled:
            return None
        bar = self.bars.get(name)
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(
                total=total,
                desc=name,
                unit=unit,
                file=sys.stderr,
                position=len(self.bars),
                dynamic_ncols=True,
                leave=True,
            )
            self.bars[name] = bar
        else:
            bar.total = total
            bar.refresh()
        return bar

    def get(self, name: str) -> Any:
        """The open bar ``name``, or None (bars off, or not opened)."""
        return self.bars.get(name)

    def update(self, name: str, n: int = 1) -> None:
        bar = self.bars.get(name)
        if bar is not None:
            bar.update(n)

    def close(self, name: str, status: str = "") -> None:
        bar = self.bars.pop(name, None)
        if bar is not None:
            if status:
                bar.set_postfix_str(status)
            bar.close()


def show_progress(args: argparse.Namespace) -> bool:
    """``--progress`` / ``--no-progress``, else a bar only when stderr is a terminal."""
    return sys.stderr.isatty() if args.progress is None else args.progress
