"""Bundled seed data: the 2019 study's published counts, loaded once into a new store.

The seed files live inside the package (``storage/seed/``) so that a fresh install answers
questions with no network. A digest of the files is kept in ``meta.seed_digest``: the seed is
applied when the store has never seen this digest (first open, or a newer trendbot shipping
corrected figures) and skipped otherwise, so opening the store is idempotent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

SEED_FILES = ("venues.csv", "catalog.json", "paper_counts.csv")


@dataclass(frozen=True)
class SeedBundle:
    venues: list[dict]
    aliases: list[dict]
    sources: list[dict]
    methods: list[dict]
    paper_counts: list[dict]
    digest: str


def _read(name: str) -> str:
    return resources.files("trendbot.storage").joinpath("seed", name).read_text("utf-8")


def _digest(texts: dict[str, str]) -> str:
    return hashlib.sha256("\0".join(texts[n] for n in SEED_FILES).encode()).hexdigest()[:16]


def seed_digest() -> str:
    """Digest of the packaged seed files; cheap enough to check on every open."""
    return _digest({name: _read(name) for name in SEED_FILES})


def seed_is_current(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'seed_digest'").fetchone()
    return bool(row) and row[0] == seed_digest()


def load_bundle() -> SeedBundle:
    """Parse the packaged seed files into rows ready for ``upsert_all``."""
    texts = {name: _read(name) for name in SEED_FILES}
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
    return SeedBundle(venues, aliases, sources, methods, counts, digest)


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
    }


def apply_seed(db: Database, bundle: SeedBundle | None = None) -> bool:
    """Load the seed unless this store already holds this exact seed. Returns True if loaded.

    Runs in one ``BEGIN IMMEDIATE`` transaction so that two processes opening a new store at the
    same moment cannot both load it, and a failure half-way leaves the store as it was.
    """
    from trendbot.storage.schema import PAPER_COUNTS_PK

    bundle = bundle or load_bundle()
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'seed_digest'").fetchone()
        if row and row[0] == bundle.digest:
            conn.execute("ROLLBACK")
            return False
        now = datetime.now(UTC).isoformat(timespec="seconds")
        db.table("venues").upsert_all(bundle.venues, pk="id")
        db.table("venue_aliases").upsert_all(bundle.aliases, pk="alias")
        db.table("sources").upsert_all(bundle.sources, pk="id")
        db.table("methods").upsert_all(bundle.methods, pk="id")
        db.table("paper_counts").upsert_all(bundle.paper_counts, pk=PAPER_COUNTS_PK)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('seed_digest', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (bundle.digest,),
        )
        conn.execute(
            "INSERT INTO collection_runs"
            " (collector, started_at, finished_at, status, items, detail)"
            " VALUES ('seed', ?, ?, 'ok', ?, ?)",
            (now, now, len(bundle.paper_counts), f"bundled seed {bundle.digest}"),
        )
        conn.execute("COMMIT")
        return True
    except BaseException:
        conn.execute("ROLLBACK")
        raise
