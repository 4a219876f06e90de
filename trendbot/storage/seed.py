"""Bundled seed data, loaded once into a new store: the 2019 study's published counts, and years
of industry history (PyPI downloads, GitHub stars, HN job ads, ...) in the ``metrics`` table.

The seed files live inside the package (``storage/seed/``) so that a fresh install answers
questions with no network. A digest of the files is kept in ``meta.seed_digest``: the seed is
applied when the store has never seen this digest (first open, or a newer trendbot shipping
corrected figures) and skipped otherwise, so opening the store is idempotent.

Industry files (``seed/industry/*.csv``, written by ``scripts/transcribe_industry_seed.py``) hold
one row per (source, metric, date) and one column per framework; ``seed/industry/sources.json``
gives each source's provenance, and ``seed/metrics.json`` (the metric catalogue) each metric's
unit. The sources named there belong to the seed: their metric rows are replaced by each newer
seed, while rows of any other source (a collector's) are never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

SEED_FILES = ("venues.csv", "catalog.json", "paper_counts.csv")
METRIC_CATALOG = "metrics.json"
INDUSTRY_DIR = "industry"
INDUSTRY_SOURCES = f"{INDUSTRY_DIR}/sources.json"
METRIC_HEADER = ("source", "metric", "date", "method", "collected_at")
METRIC_COLUMNS = (
    "source_id, metric, framework, date, value, unit, method, collected_at"  # a row's order
)


class SeedError(ValueError):
    """A packaged seed file is malformed (a broken install or a bad hand edit)."""


@dataclass(frozen=True)
class SeedBundle:
    venues: list[dict]
    aliases: list[dict]
    sources: list[dict]
    methods: list[dict]
    paper_counts: list[dict]
    digest: str
    # (source_id, metric, framework, date, value, unit, method, collected_at), METRIC_COLUMNS
    metrics: list[tuple] = field(default_factory=list)
    # ids of the sources whose metric rows the seed owns (industry/sources.json)
    metric_sources: tuple[str, ...] = ()


def _seed_dir():
    return resources.files("trendbot.storage").joinpath("seed")


def _read(name: str) -> str:
    return _seed_dir().joinpath(*name.split("/")).read_text("utf-8")


def _industry_csvs() -> list[str]:
    folder = _seed_dir().joinpath(INDUSTRY_DIR)
    if not folder.is_dir():
        return []
    return sorted(f"{INDUSTRY_DIR}/{p.name}" for p in folder.iterdir() if p.name.endswith(".csv"))


def _seed_names() -> list[str]:
    return [*SEED_FILES, METRIC_CATALOG, INDUSTRY_SOURCES, *_industry_csvs()]


def _digest(texts: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(texts):
        h.update(name.encode())
        h.update(b"\0")
        h.update(texts[name].encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def seed_digest() -> str:
    """Digest of the packaged seed files (names and contents); cheap enough for every open."""
    return _digest({name: _read(name) for name in _seed_names()})


def seed_is_current(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'seed_digest'").fetchone()
    return bool(row) and row[0] == seed_digest()


def load_bundle() -> SeedBundle:
    """Parse the packaged seed files into rows ready for ``upsert_all``."""
    texts = {name: _read(name) for name in _seed_names()}
    digest = _digest(texts)

    venues, aliases = [], []
    for row in csv.DictReader(io.StringIO(texts["venues.csv"])):
        venues.append(
            {
                "id": row["id"],
                "name": row["name"],
                "full_name": row["full_name"],
                "field": row["field"],
                "month": int(row["month"]) if row["month"] else None,
            }
        )
        names = {row["id"], row["name"].lower(), *row["aliases"].split("|")}
        aliases += [{"alias": a.strip().lower(), "venue_id": row["id"]} for a in names if a.strip()]

    catalog = json.loads(texts["catalog.json"])
    sources = catalog["sources"]
    by_source = {s["id"]: s for s in sources}
    methods = [method_row(m) for m in catalog["methods"]]

    venue_by_name = {v["name"]: v["id"] for v in venues}
    counts = []
    for row in csv.DictReader(io.StringIO(texts["paper_counts.csv"])):
        base = {
            "venue_id": venue_by_name[row["venue"]],
            "year": int(row["year"]),
            "method_id": row["method"],
            "total_papers": int(row["total_papers"]),
            "population": row["population"],
            "note": row["note"],
            "source_id": row["source"],
            "collected_at": by_source[row["source"]]["collected_at"],
        }
        for framework in ("pytorch", "tensorflow"):
            counts.append({**base, "framework": framework, "papers": int(row[framework])})

    industry = json.loads(texts[INDUSTRY_SOURCES])["sources"]
    metric_sources = tuple(s["id"] for s in industry)
    sources = sources + [{k: s[k] for k in _SOURCE_FIELDS} for s in industry]
    metrics = _metric_rows(texts, metric_sources)
    return SeedBundle(
        venues=venues,
        aliases=aliases,
        sources=sources,
        methods=methods,
        paper_counts=counts,
        digest=digest,
        metrics=metrics,
        metric_sources=metric_sources,
    )


_SOURCE_FIELDS = ("id", "name", "url", "citation", "kind", "collected_at")


def _metric_rows(texts: dict[str, str], source_ids: tuple[str, ...]) -> list[tuple]:
    """Wide industry CSVs → one tuple per (source, metric, framework, date) with a value.

    Checks what a bad hand edit could break and the database would not catch: an unknown
    metric (its unit comes from the catalogue), a source without provenance, a column that is
    neither a framework nor one of the metric's pseudo-series.
    """
    from trendbot.storage.catalog import parse_catalog
    from trendbot.storage.frameworks import load_frameworks

    catalog = parse_catalog(json.loads(texts[METRIC_CATALOG]))
    known_frameworks = set(load_frameworks().ids())
    known_sources = set(source_ids)
    rows: list[tuple] = []
    for name in sorted(n for n in texts if n.startswith(f"{INDUSTRY_DIR}/") and n.endswith(".csv")):
        reader = csv.reader(io.StringIO(texts[name]))
        header = next(reader, [])
        if tuple(header[: len(METRIC_HEADER)]) != METRIC_HEADER:
            raise SeedError(f"{name}: the header must start with {','.join(METRIC_HEADER)}")
        columns = header[len(METRIC_HEADER) :]
        checked: set[str] = set()
        for line, rec in enumerate(reader, start=2):
            if len(rec) != len(header):
                raise SeedError(f"{name} line {line}: {len(rec)} cells, header has {len(header)}")
            source, metric, date, method, collected = rec[: len(METRIC_HEADER)]
            definition = catalog.get(metric)
            if definition is None:
                raise SeedError(f"{name} line {line}: metric {metric!r} is not in the catalogue")
            if source not in known_sources:
                raise SeedError(f"{name} line {line}: source {source!r} has no provenance entry")
            if metric not in checked:
                allowed = known_frameworks | set(definition.pseudo_series)
                stray = [c for c in columns if c not in allowed]
                if stray:
                    raise SeedError(f"{name}: {metric} has no framework or series {stray[0]!r}")
                checked.add(metric)
            for framework, cell in zip(columns, rec[len(METRIC_HEADER) :], strict=True):
                if cell:
                    try:
                        value = float(cell)
                    except ValueError:
                        raise SeedError(f"{name} line {line}: {cell!r} is not a number") from None
                    rows.append(
                        (source, metric, framework, date, value, definition.unit, method, collected)
                    )
    return rows


def method_row(m: dict) -> dict:
    """A catalogue method as a ``methods`` row: terms per framework as one JSON object (the two
    old PyTorch/TensorFlow columns are filled too, for readers that predate it)."""
    terms = m["terms"]
    row = {k: v for k, v in m.items() if k not in {"terms", "both"}}
    return {
        **row,
        "terms": json.dumps(terms),
        "both_pair": "+".join(m.get("both") or ()),
        "pytorch_terms": json.dumps(terms.get("pytorch", [])),
        "tensorflow_terms": json.dumps(terms.get("tensorflow", [])),
        "aliases": json.dumps(m.get("aliases", [])),
        "exclusive": int(m["exclusive"]),
        "is_default": int(m["is_default"]),
        "kind": m.get("kind", "text"),
    }


def apply_seed(db: Database, bundle: SeedBundle | None = None) -> bool:
    """Load the seed unless this store already holds this exact seed. Returns True if loaded.

    Runs in one ``BEGIN IMMEDIATE`` transaction so that two processes opening a new store at the
    same moment cannot both load it, and a failure half-way leaves the store as it was.
    """
    from trendbot.storage.clock import now_iso
    from trendbot.storage.data_version import one_step
    from trendbot.storage.version import PAPER_COUNTS_PK

    bundle = bundle or load_bundle()
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'seed_digest'").fetchone()
        if row and row[0] == bundle.digest:
            conn.execute("ROLLBACK")
            return False
        now = now_iso()
        with one_step(conn):  # a new seed is one change, whatever its number of rows
            db.table("venues").upsert_all(bundle.venues, pk="id")
            db.table("venue_aliases").upsert_all(bundle.aliases, pk="alias")
            db.table("sources").upsert_all(bundle.sources, pk="id")
            db.table("methods").upsert_all(bundle.methods, pk="id")
            db.table("paper_counts").upsert_all(bundle.paper_counts, pk=PAPER_COUNTS_PK)
            _load_metrics(conn, bundle.metrics, bundle.metric_sources)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('seed_digest', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (bundle.digest,),
        )
        conn.execute(
            "INSERT INTO collection_runs"
            " (collector, started_at, finished_at, status, items, detail)"
            " VALUES ('seed', ?, ?, 'ok', ?, ?)",
            (
                now,
                now,
                len(bundle.paper_counts) + len(bundle.metrics),
                f"bundled seed {bundle.digest}",
            ),
        )
        conn.execute("COMMIT")
        return True
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# An upsert that leaves a row alone when nothing in it changed, so the data_version trigger (which
# fires on a changed value) stays quiet when a newer trendbot ships the same figures.
_UPSERT_METRIC = f"""
    INSERT INTO metrics ({METRIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (source_id, metric, framework, date) DO UPDATE SET
        value = excluded.value, unit = excluded.unit, method = excluded.method,
        collected_at = excluded.collected_at
    WHERE metrics.value IS NOT excluded.value OR metrics.unit IS NOT excluded.unit
       OR metrics.method IS NOT excluded.method OR metrics.collected_at IS NOT excluded.collected_at
"""


def _load_metrics(conn: sqlite3.Connection, rows: list[tuple], owned: tuple[str, ...]) -> None:
    """Upsert the seed's metric rows and drop rows of seed-owned sources it no longer has.

    Runs inside ``apply_seed``'s transaction. Plain ``executemany`` rather than sqlite-utils'
    ``upsert_all``, which issues two statements per row: tens of thousands of rows load in a
    fraction of the time.
    """
    if owned:
        marks = ", ".join("?" for _ in owned)
        stored = conn.execute(
            f"SELECT source_id, metric, framework, date FROM metrics WHERE source_id IN ({marks})",
            owned,
        ).fetchall()
        if stored:
            wanted = {r[:4] for r in rows}
            stale = [k for k in stored if k not in wanted]
            conn.executemany(
                "DELETE FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
                " AND date = ?",
                stale,
            )
    conn.executemany(_UPSERT_METRIC, rows)
