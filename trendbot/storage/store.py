"""Opening the store and the read queries the commands need.

Every query the chat commands run is an indexed lookup on ``paper_counts`` (a rollup of at most a
few thousand rows), never a scan of per-paper data, so a command costs microseconds however many
papers collectors have stored. Reference tables (venues, methods, sources) are small and are read
once per open and cached; ``refresh()`` drops that cache after a writer changes them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from trendbot.storage.models import Coverage, Method, Source, Venue, VenueYear
from trendbot.storage.seed import seed_is_current
from trendbot.storage.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlite_utils import Database

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


def _connect(path: Path | str) -> sqlite3.Connection:
    # check_same_thread=False: the bot may touch the store from executor threads; the Store's
    # lock serialises access instead.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_store(path: Path | str | None = None, *, seed: bool = True) -> Store:
    """Open (creating if needed) the store, migrate it, and load the bundled seed once."""
    target = Path(path) if path is not None else default_db_path()
    memory = str(target) == ":memory:"
    if not memory and target.parent and not target.parent.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the database {target} ({exc.strerror}). "
                "Point TRENDBOT_DB at a writable file."
            ) from exc
    try:
        conn = _connect(target)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise StoreError(
            f"cannot open the database {target} ({exc}). Point TRENDBOT_DB at a writable file."
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{target} is not a trendbot database ({exc}). Point TRENDBOT_DB at another file."
        ) from exc
    if version > SCHEMA_VERSION:
        conn.close()
        raise StoreError(
            f"{target} was written by a newer trendbot (schema {version}, this one knows "
            f"{SCHEMA_VERSION}). Upgrade trendbot, or point TRENDBOT_DB at another file."
        )
    if not memory:
        # Read-only media cannot switch to WAL; the default journal still works there.
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA journal_mode = WAL")
    store = Store(conn, target)
    # Fast path: an up-to-date store holding the current seed needs no sqlite-utils at all.
    if version < SCHEMA_VERSION:
        migrate(store.db)
    if seed and not seed_is_current(conn):
        from trendbot.storage.seed import apply_seed

        apply_seed(store.db)
    return store


def migrate(db: Database, *, stop_before: str | None = None) -> None:
    """Apply pending migrations and record the schema version in ``PRAGMA user_version``.

    Everything runs in one ``BEGIN IMMEDIATE`` transaction (each migration in a savepoint):
    two processes opening a new file at once would otherwise both see the same migrations as
    pending and the second would fail half-way. The write lock makes the second wait, then find
    nothing to do; a failing migration leaves the file exactly as it was.
    """
    from trendbot.storage.schema import MIGRATION_NAMES, migrations

    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db, stop_before=stop_before)
        applied = {m.name for m in migrations.applied(db)}
        version = sum(1 for name in MIGRATION_NAMES if name in applied)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class Store:
    """Read access for commands, plus the few writes the app itself makes."""

    def __init__(self, conn: sqlite3.Connection, path: Path | str = ":memory:") -> None:
        self.conn = conn
        self.path = Path(path)
        self._db: Database | None = None
        self._lock = threading.RLock()
        self._venues: dict[str, Venue] | None = None
        self._aliases: dict[str, str] | None = None
        self._methods: dict[str, Method] | None = None
        self._sources: dict[str, Source] | None = None

    @property
    def db(self) -> Database:
        """The sqlite-utils view of the connection, for writers (imported on first use)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self) -> None:
        """Forget cached reference tables (after a collector added a venue or a method)."""
        self._venues = self._aliases = self._methods = self._sources = None

    def _rows(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    # -- reference tables --------------------------------------------------------------------
    def venues(self) -> dict[str, Venue]:
        if self._venues is None:
            rows = self._rows("SELECT id, name, full_name, field, month FROM venues ORDER BY name")
            self._venues = {r[0]: Venue(*r) for r in rows}
        return self._venues

    def aliases(self) -> dict[str, str]:
        """alias (lower case) → venue id; includes each venue's own id and name."""
        if self._aliases is None:
            self._aliases = dict(self._rows("SELECT alias, venue_id FROM venue_aliases"))
        return self._aliases

    def methods(self) -> dict[str, Method]:
        if self._methods is None:
            rows = self._rows(
                "SELECT id, name, version, title, description, pytorch_terms, tensorflow_terms,"
                " exclusive, affiliation_filter, is_default, aliases FROM methods"
                " ORDER BY is_default DESC, version DESC"
            )
            self._methods = {
                r[0]: Method(
                    id=r[0],
                    name=r[1],
                    version=r[2],
                    title=r[3],
                    description=r[4],
                    pytorch_terms=tuple(json.loads(r[5])),
                    tensorflow_terms=tuple(json.loads(r[6])),
                    exclusive=bool(r[7]),
                    affiliation_filter=r[8],
                    is_default=bool(r[9]),
                    aliases=tuple(json.loads(r[10])),
                )
                for r in rows
            }
        return self._methods

    def default_method(self) -> Method:
        methods = self.methods()
        for m in methods.values():
            if m.is_default:
                return m
        if not methods:
            raise StoreError("the store holds no counting methods; was the seed loaded?")
        return next(iter(methods.values()))

    def sources(self) -> dict[str, Source]:
        if self._sources is None:
            rows = self._rows(
                "SELECT id, name, coalesce(url, ''), coalesce(citation, ''), coalesce(kind, ''),"
                " coalesce(collected_at, '') FROM sources"
            )
            self._sources = {r[0]: Source(*r) for r in rows}
        return self._sources

    # -- counts -------------------------------------------------------------------------------
    _COUNT_COLS = (
        "venue_id, year, method_id, framework, papers, total_papers, population, note,"
        " source_id, collected_at"
    )

    @staticmethod
    def _group(rows: list[tuple]) -> list[VenueYear]:
        grouped: dict[tuple, dict] = {}
        for venue_id, year, method_id, fw, papers, total, pop, note, src, when in rows:
            key = (venue_id, year, method_id)
            entry = grouped.get(key)
            if entry is None:
                entry = grouped[key] = {
                    "venue_id": venue_id,
                    "year": year,
                    "method_id": method_id,
                    "counts": {},
                    "total_papers": total,
                    "population": pop,
                    "note": note,
                    "source_id": src,
                    "collected_at": when,
                }
            entry["counts"][fw] = papers
        return [VenueYear(**e) for e in grouped.values()]

    def venue_year(self, venue_id: str, year: int, method_id: str) -> VenueYear | None:
        rows = self._rows(
            f"SELECT {self._COUNT_COLS} FROM paper_counts"
            " WHERE venue_id = ? AND year = ? AND method_id = ?",
            (venue_id, year, method_id),
        )
        found = self._group(rows)
        return found[0] if found else None

    def venue_series(self, venue_id: str, method_id: str) -> list[VenueYear]:
        rows = self._rows(
            f"SELECT {self._COUNT_COLS} FROM paper_counts"
            " WHERE venue_id = ? AND method_id = ? ORDER BY year",
            (venue_id, method_id),
        )
        return self._group(rows)

    def year_slice(self, year: int, method_id: str) -> list[VenueYear]:
        rows = self._rows(
            f"SELECT {self._COUNT_COLS} FROM paper_counts WHERE year = ? AND method_id = ?",
            (year, method_id),
        )
        return self._group(rows)

    def coverage(self) -> list[Coverage]:
        """Which years each venue has, per method (for `!venues`, suggestions, autocomplete)."""
        rows = self._rows(
            "SELECT DISTINCT venue_id, method_id, year FROM paper_counts ORDER BY year"
        )
        years: dict[tuple[str, str], list[int]] = defaultdict(list)
        for venue_id, method_id, year in rows:
            years[(venue_id, method_id)].append(year)
        return [Coverage(v, m, tuple(ys)) for (v, m), ys in sorted(years.items())]

    def years(self, method_id: str, venue_id: str | None = None) -> list[int]:
        if venue_id is None:
            rows = self._rows(
                "SELECT DISTINCT year FROM paper_counts WHERE method_id = ? ORDER BY year",
                (method_id,),
            )
        else:
            rows = self._rows(
                "SELECT DISTINCT year FROM paper_counts WHERE method_id = ? AND venue_id = ?"
                " ORDER BY year",
                (method_id, venue_id),
            )
        return [r[0] for r in rows]

    # -- bookkeeping --------------------------------------------------------------------------
    def data_version(self) -> int:
        """Changes whenever a stored number changes; caches of charts and posts key on it."""
        row = self._rows("SELECT value FROM meta WHERE key = 'data_version'")
        return int(row[0][0]) if row else 0

    def get_meta(self, key: str) -> str | None:
        """A small app setting kept with the data (e.g. the synced slash-command tree hash)."""
        row = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0][0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self.conn:
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def schema_version(self) -> int:
        return self._rows("PRAGMA user_version")[0][0]

    def seed_runs(self) -> int:
        return self._rows("SELECT count(*) FROM collection_runs WHERE collector = 'seed'")[0][0]
