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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trendbot.storage.models import Coverage, Method, Source, Venue, VenueYear
from trendbot.storage.seed import seed_is_current
from trendbot.storage.version import APPLICATION_ID, MIGRATION_SET, SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000
RESEARCH_KINDS = frozenset({"published-dataset", "collection"})


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


def _connect(path: Path | str, *, mode: str = "rw") -> sqlite3.Connection:
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
        conn = _connect(path, mode="immutable")
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
            f"{path} is not a trendbot database ({exc}); trendbot left it untouched. Point "
            "TRENDBOT_DB at another file."
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


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def busy_error(path: Path | str) -> StoreError:
    return StoreError(
        f"the database {path} is busy: another trendbot process (a collector, or the bot) has "
        f"been writing to it for over {BUSY_TIMEOUT_MS // 1000} s. Try again when it has "
        "finished, or stop that process first."
    )


def _is_read_only(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


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
        if _is_busy(exc):
            raise busy_error(target) from None
        if check.kind == "trendbot" and _is_read_only(exc):
            return _open_read_only(target, str(exc))
        raise StoreError(
            f"cannot open the database {target} ({exc}). Point TRENDBOT_DB at a file you can "
            "write, in a folder you can write."
        ) from None
    except sqlite3.DatabaseError as exc:
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
    conn = _connect(target)
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
            conn = _connect(target, mode=mode)
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
        self.read_only: str | None = None  # why, when the file could only be opened read-only
        self._memo: dict[object, object] = {}
        self._memo_version: int | None = None

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

    def writer(self) -> sqlite3.Connection:
        """A connection of its own to the same file, for a background writer (the bot's update
        poster): its commits never hold this store's lock, so commands reading meanwhile never
        wait on them (WAL lets them read while it writes). An in-memory store shares its one
        connection."""
        if self.read_only:
            raise StoreError(f"the database {self.path} is {self.read_only}")
        if str(self.path) == ":memory:":
            return self.conn
        return _connect(self.path)

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A value derived from stored numbers (an answer's figures, a layout), kept until a
        stored number changes: keyed on the data version, like the chart cache. A racing
        thread may compute the same value twice; both are equal."""
        version = self.data_version()
        with self._lock:
            if self._memo_version != version:
                self._memo, self._memo_version = {}, version
            if key in self._memo:
                return self._memo[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if self._memo_version == version:
                self._memo[key] = value
        return value

    def refresh(self) -> None:
        """Forget cached reference tables (after a collector added a venue or a method)."""
        self._venues = self._aliases = self._methods = self._sources = None

    def rows(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Rows of a read query, under the store's lock (the bot reads from worker threads);
        a writer holding the file past the busy timeout is a ``StoreError``, not a traceback."""
        return self.read(lambda conn: conn.execute(sql, params).fetchall())

    _rows = rows

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(conn, *args, **kwargs)`` for the query functions of ``storage.papers`` and
        ``storage.metrics``, with the same lock and busy handling as ``rows``."""
        try:
            with self._lock:
                return fn(self.conn, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise busy_error(self.path) from None
            raise

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
                " exclusive, affiliation_filter, is_default, aliases, terms, both_pair"
                " FROM methods ORDER BY is_default DESC, version ASC"
            )
            methods = {}
            for r in rows:
                terms = {fw: tuple(ts) for fw, ts in json.loads(r[11] or "{}").items()}
                if not terms:
                    terms = {
                        "pytorch": tuple(json.loads(r[5])),
                        "tensorflow": tuple(json.loads(r[6])),
                    }
                methods[r[0]] = Method(
                    id=r[0],
                    name=r[1],
                    version=r[2],
                    title=r[3],
                    description=r[4],
                    pytorch_terms=terms.get("pytorch", ()),
                    tensorflow_terms=terms.get("tensorflow", ()),
                    exclusive=bool(r[7]),
                    affiliation_filter=r[8],
                    is_default=bool(r[9]),
                    aliases=tuple(json.loads(r[10])),
                    terms=terms,
                    both=tuple(r[12].split("+")) if r[12] else (),
                )
            self._methods = methods
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

    def _group(self, rows: list[tuple]) -> list[VenueYear]:
        """Rows → one ``VenueYear`` per venue, year and method, from the preferred source (the
        study's published figures before trendbot's collections, newer collections first), with
        the other sources' figures in ``others``."""
        by_source = self._group_by_source(rows)
        chosen: dict[tuple, list[VenueYear]] = {}
        for vy in by_source:
            chosen.setdefault((vy.venue_id, vy.year, vy.method_id), []).append(vy)
        out = []
        for alternatives in chosen.values():
            alternatives.sort(key=lambda vy: vy.collected_at, reverse=True)  # newest first…
            alternatives.sort(key=lambda vy: not self.is_published(vy.source_id))  # …study first
            best, *rest = alternatives
            out.append(replace(best, others=tuple(rest)) if rest else best)
        return out

    def research_sources(self) -> list[Source]:
        """Sources of paper counts (the study's data and trendbot's paper collections), not the
        industry series'."""
        return [s for s in self.sources().values() if s.kind in RESEARCH_KINDS]

    def is_published(self, source_id: str) -> bool:
        """A figure published by a study (the seed), as opposed to one trendbot collected."""
        src = self.sources().get(source_id)
        return src is not None and src.kind == "published-dataset"

    @staticmethod
    def _group_by_source(rows: list[tuple]) -> list[VenueYear]:
        grouped: dict[tuple, dict] = {}
        for venue_id, year, method_id, fw, papers, total, pop, note, src, when in rows:
            key = (venue_id, year, method_id, src)
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

    def paper_failures(self) -> dict[tuple[str, int], tuple[int, int]]:
        """(venue, year) → (papers that could not be read, papers without text) in collected
        venue-years; small, and read by `!ratio`, `!venues` and `!source`."""
        from trendbot.storage.papers import failures

        return self.read(failures)

    def listing(self, venue_id: str, year: int):
        """The stored listing of a collected venue-year (population, source, when), or None."""
        from trendbot.storage.papers import listing_states

        found = self.read(listing_states, venue_id, year)
        return found[0] if found else None

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
        if self.read_only:
            raise StoreError(f"the database {self.path} is {self.read_only}")
        try:
            with self._lock, self.conn:
                self.conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise busy_error(self.path) from None
            raise

    def schema_version(self) -> int:
        return self._rows("PRAGMA user_version")[0][0]

    def seed_runs(self) -> int:
        return self._rows("SELECT count(*) FROM collection_runs WHERE collector = 'seed'")[0][0]
