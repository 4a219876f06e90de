"""Opening the store: recognise the file (never touching another application's), create or
migrate it, load the bundled seed, or fall back to reading only when it cannot be written.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trendbot.storage.connection import (
    StoreError,
    busy_error,
    connect,
    damaged_error,
    default_db_path,
    is_busy,
    is_damaged,
    is_read_only,
)
from trendbot.storage.seed import seed_is_current
from trendbot.storage.store import Store
from trendbot.storage.version import APPLICATION_ID, MIGRATION_SET, SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlite_utils import Database

# -- what is this file? ---------------------------------------------------------------------------
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class FileCheck:
    """What a path holds, found without changing it (or creating files beside it)."""

    kind: str  # "new" (absent or empty: ours to create), "trendbot", or "foreign"
    user_version: int = 0
    tables: tuple[str, ...] = ()


def inspect_file(path: Path) -> FileCheck:
    """Recognise a trendbot store positively, touching nothing.

    The SQLite header gives ``PRAGMA application_id`` (trendbot stamps its own) and
    ``user_version`` without opening the database. Files made before the stamp are recognised by
    trendbot's migrations table, read through an ``immutable`` connection, which neither locks
    nor creates the -wal/-shm files a normal read-only open leaves beside a WAL database.
    Raises ``StoreError`` for a file that is not SQLite at all."""
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return FileCheck("new")
    except IsADirectoryError:
        raise StoreError(
            f"cannot open the database {path}: it is a folder. Point TRENDBOT_DB at a file."
        ) from None
    except OSError as exc:
        raise StoreError(
            f"cannot open the database {path} ({exc.strerror}). Point TRENDBOT_DB at a file "
            "you can read and write."
        ) from None
    if not header:
        return FileCheck("new")
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise StoreError(
            f"{path} is not a trendbot database (it is not an SQLite file at all); trendbot "
            "left it untouched. Point TRENDBOT_DB at another file."
        )
    user_version = int.from_bytes(header[60:64], "big")
    application_id = int.from_bytes(header[68:72], "big")
    if application_id == APPLICATION_ID:
        return FileCheck("trendbot", user_version)
    if application_id != 0:
        return FileCheck("foreign", user_version)
    try:
        conn = connect(path, mode="immutable")
        try:
            tables = tuple(
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            )
            ours = "_sqlite_migrations" in tables and bool(
                conn.execute(
                    "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? LIMIT 1",
                    (MIGRATION_SET,),
                ).fetchone()
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is an SQLite file that cannot be read ({exc}), so trendbot cannot tell "
            "whose it is; it left it untouched. If it is a damaged trendbot store, restore it "
            "from a backup or move it aside; otherwise point TRENDBOT_DB at another file."
        ) from None
    if ours:
        return FileCheck("trendbot", user_version, tables)
    if not tables and user_version == 0:
        return FileCheck("new")
    return FileCheck("foreign", user_version, tables)


def foreign_file_error(path: Path, check: FileCheck) -> StoreError:
    what = (
        f"its tables are {', '.join(check.tables[:5])}{', …' if len(check.tables) > 5 else ''}"
        if check.tables
        else "it is marked as another application's"
    )
    return StoreError(
        f"{path} is an SQLite database of another application ({what}), not a trendbot store; "
        "trendbot left it untouched. Point TRENDBOT_DB at a new file, or at a trendbot store."
    )


def open_store(path: Path | str | None = None, *, seed: bool = True) -> Store:
    """Open (creating if needed) the store, migrate it, and load the bundled seed once.

    Only trendbot's own files are ever written: anything else is refused before a byte of it
    changes. A complete store that cannot be written (read-only media or folder) is opened
    read-only, and ``Store.read_only`` says why."""
    target = Path(path).expanduser() if path is not None else default_db_path()
    if str(target) == ":memory:":
        return _open_rw(target, seed=seed)
    if target.parent and not target.parent.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the database {target} ({exc.strerror}). "
                "Point TRENDBOT_DB at a writable file."
            ) from exc
    check = inspect_file(target)
    if check.kind == "foreign":
        raise foreign_file_error(target, check)
    if check.user_version > SCHEMA_VERSION:
        raise newer_error(target, check.user_version)
    unwritable = _unwritable(target, check)
    if unwritable and check.kind == "trendbot":
        return _open_read_only(target, unwritable)
    if unwritable:
        raise StoreError(
            f"cannot create the database {target}: {unwritable}. Point TRENDBOT_DB at a file "
            "in a folder you can write."
        )
    try:
        return _open_rw(target, seed=seed)
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise busy_error(target) from None
        if check.kind == "trendbot" and is_read_only(exc):
            return _open_read_only(target, str(exc))
        raise StoreError(
            f"cannot open the database {target} ({exc}). Point TRENDBOT_DB at a file you can "
            "write, in a folder you can write."
        ) from None
    except sqlite3.DatabaseError as exc:
        if check.kind == "trendbot" and is_damaged(exc):
            raise damaged_error(target, exc) from None
        raise StoreError(
            f"{target} is not a trendbot database ({exc}); trendbot left it untouched. Point "
            "TRENDBOT_DB at another file."
        ) from None


def _unwritable(target: Path, check: FileCheck) -> str | None:
    """Why trendbot could not write ``target`` (None if it can). SQLite itself would open such
    a file read-only without saying so, and fail later, half-way through a migration."""
    folder = target.parent if str(target.parent) else Path(".")
    if check.kind == "trendbot" and target.exists() and not os.access(target, os.W_OK):
        return "the file is not writable"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "its folder is not writable"
    return None


def newer_error(target: Path, version: int) -> StoreError:
    return StoreError(
        f"{target} was written by a newer trendbot (schema {version}, this one knows "
        f"{SCHEMA_VERSION}). Upgrade trendbot, or point TRENDBOT_DB at another file."
    )


def _open_rw(target: Path, *, seed: bool) -> Store:
    conn = connect(target)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise newer_error(target, version)
        store = Store(conn, target)
        # Fast path: an up-to-date store holding the current seed needs no sqlite-utils at all.
        if version < SCHEMA_VERSION:
            migrate(store.db, verify=target)
        if str(target) != ":memory:":
            # Read-only media cannot switch to WAL; the default journal still works there.
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode = WAL")
        if seed and not seed_is_current(conn):
            from trendbot.storage.seed import apply_seed

            apply_seed(store.db)
    except BaseException:
        conn.close()
        raise
    return store


def _open_read_only(target: Path, why: str) -> Store:
    """A complete, current store that cannot be written: answer from it as it is."""
    last: sqlite3.Error | None = None
    for mode in ("ro", "immutable"):
        try:
            conn = connect(target, mode=mode)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            last = exc
            continue
        if version < SCHEMA_VERSION or not seed_is_current(conn):
            conn.close()
            raise StoreError(
                f"{target} needs upgrading to this trendbot but cannot be written ({why}). "
                "Make it writable once, or point TRENDBOT_DB at a writable copy."
            )
        store = Store(conn, target)
        store.read_only = f"opened read-only ({why})" + (
            "; changes not yet checkpointed into the file are not seen" if mode != "ro" else ""
        )
        return store
    raise StoreError(
        f"cannot open the database {target} ({last}). Point TRENDBOT_DB at a file you can read."
    )


def migrate(db: Database, *, stop_before: str | None = None, verify: Path | None = None) -> None:
    """Apply pending migrations and record the schema version in ``PRAGMA user_version``.

    Everything runs in one ``BEGIN IMMEDIATE`` transaction (each migration in a savepoint):
    two processes opening a new file at once would otherwise both see the same migrations as
    pending and the second would fail half-way. The write lock makes the second wait, then find
    nothing to do; a failing migration leaves the file exactly as it was. Under that lock the
    file is checked once more to be trendbot's own or empty (``inspect_file`` could only see
    what was already in the main file), so another application's data is never migrated.
    """
    from trendbot.storage.schema import MIGRATION_NAMES, migrations

    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        if verify is not None:
            _check_still_ours(conn, verify)
        migrations.apply(db, stop_before=stop_before)
        applied = {m.name for m in migrations.applied(db)}
        version = sum(1 for name in MIGRATION_NAMES if name in applied)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _check_still_ours(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    tables = tuple(
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    )
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == 0 and not tables and user_version == 0:
        return
    if app_id == 0 and "_sqlite_migrations" in tables:
        row = conn.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? LIMIT 1", (MIGRATION_SET,)
        ).fetchone()
        if row:
            return
    raise foreign_file_error(path, FileCheck("foreign", user_version, tables))
