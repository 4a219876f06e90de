"""Connecting to the store's SQLite file, and the one error every storage failure becomes.

Every connection gets the same busy timeout and foreign keys; a file in a folder that cannot
be written opens ``immutable``. SQLite's own messages for a locked or read-only file are turned
into a :class:`StoreError` that says what to do about it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The store cannot be opened or used; the message says what to do about it."""


def default_db_path() -> Path:
    """``TRENDBOT_DB`` if set, else the user's data dir, else ``./trendbot.db``."""
    env = os.environ.get("TRENDBOT_DB")
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_data_dir

        base = Path(user_data_dir("trendbot", appauthor=False))
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK):
            return base / "trendbot.db"
    except (ImportError, OSError):
        pass
    return Path("trendbot.db")


def connect(path: Path | str, *, mode: str = "rw") -> sqlite3.Connection:
    """A connection: ``rw`` (create if needed), ``ro`` (read-only) or ``immutable`` (read-only,
    no locks, no -wal/-shm files: for files in folders that cannot be written)."""
    # check_same_thread=False: the bot may touch the store from executor threads; the Store's
    # lock serialises access instead.
    if mode == "rw":
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    else:
        query = "mode=ro" if mode == "ro" else "immutable=1"
        uri = f"{Path(path).absolute().as_uri()}?{query}"
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def busy_error(path: Path | str) -> StoreError:
    return StoreError(
        f"the database {path} is busy: another trendbot process (a collector, or the bot) has "
        f"been writing to it for over {BUSY_TIMEOUT_MS // 1000} s. Try again when it has "
        "finished, or stop that process first."
    )


# SQLITE_CORRUPT and SQLITE_NOTADB: the file's pages are not what SQLite wrote.
_DAMAGE_CODES = (11, 26)


def is_damaged(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _DAMAGE_CODES:
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def damaged_error(path: Path | str, exc: sqlite3.Error) -> StoreError:
    """A trendbot store whose pages are damaged (a disk fault, a copy cut short, a file edited
    by hand): said apart from another application's file, with what to do, never repaired or
    rewritten in place."""
    return StoreError(
        f"{path} is a trendbot store, but it is damaged ({exc}); trendbot left it as it is. "
        "Restore it from a backup, or move it aside so trendbot starts a new one (the bundled "
        "figures come back at once; collected papers and figures are collected again), or "
        "point TRENDBOT_DB at another file."
    )


def is_read_only(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text
