"""The store's read queries for the commands, plus the few writes the app itself makes.

Every query the chat commands run is an indexed lookup on ``paper_counts`` (a rollup of at most a
few thousand rows), never a scan of per-paper data, so a command costs microseconds however many
papers collectors have stored. Reference tables (venues, methods, sources) are small and are read
once per open and cached; ``refresh()`` drops that cache after a writer changes them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trendbot.storage.connection import (
    StoreError,
    busy_error,
    connect,
    damaged_error,
    is_busy,
    is_damaged,
)
from trendbot.storage.models import Coverage, Method, Source, Venue, VenueYear

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")
RESEARCH_KINDS = frozenset({"published-dataset", "collection"})


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
        return connect(self.path)

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
        """``fn(conn, *args, **kwargs)`` for the query functions of ``storage.paper_queries`` and
        ``storage.metrics``, with the same lock and busy handling as ``rows``. A page found
        damaged while reading is a ``StoreError`` saying so (and what to do), not a traceback."""
        try:
            with self._lock:
                return fn(self.conn, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if is_busy(exc):
                raise busy_error(self.path) from None
            if is_damaged(exc):
                raise damaged_error(self.path, exc) from None
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
                " exclusive, affiliation_filter, is_default, aliases, terms, both_pair, kind"
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
                    kind=r[13],
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
        from trendbot.storage.paper_queries import failures

        return self.read(failures)

    def listing(self, venue_id: str, year: int):
        """The stored listing of a collected venue-year (population, source, when), or None."""
        from trendbot.storage.paper_queries import listing_states

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
            if is_busy(exc):
                raise busy_error(self.path) from None
            raise

    def schema_version(self) -> int:
        return self._rows("PRAGMA user_version")[0][0]

    def seed_runs(self) -> int:
        return self._rows("SELECT count(*) FROM collection_runs WHERE collector = 'seed'")[0][0]
