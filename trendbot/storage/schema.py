"""The store's schema as an ordered list of migrations.

Migrations are append-only: a released migration is never edited, because files in users' data
directories were built by it. A new table or column is a new function at the end of the list.
They run on every open (sqlite-utils records applied ones in ``_sqlite_migrations``), and the
count of applied migrations is mirrored into ``PRAGMA user_version`` so that an older trendbot can
tell it is looking at a newer file and refuse it instead of misreading it.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from trendbot.storage.version import APPLICATION_ID, MIGRATION_SET, SCHEMA_VERSION

migrations = Migrations(MIGRATION_SET)

# Frameworks are rows, not columns, so JAX, MXNet or PaddlePaddle counts need no migration.
FRAMEWORKS = ("pytorch", "tensorflow", "jax", "keras", "mxnet", "paddlepaddle")


@migrations(name="0001_core")
def _core(db: Database) -> None:
    """Venues, sources, methods and the per-venue-year counts that every command reads."""
    db.execute(
        """
        CREATE TABLE venues (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            full_name TEXT NOT NULL,
            field TEXT NOT NULL CHECK (field IN ('vision', 'language', 'ml')),
            month INTEGER
        )"""
    )
    db.execute(
        """
        CREATE TABLE venue_aliases (
            alias TEXT PRIMARY KEY,
            venue_id TEXT NOT NULL REFERENCES venues(id) ON DELETE CASCADE
        )"""
    )
    db.execute(
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            url TEXT,
            citation TEXT,
            kind TEXT,
            collected_at TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE methods (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            version TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            pytorch_terms TEXT NOT NULL,
            tensorflow_terms TEXT NOT NULL,
            exclusive INTEGER NOT NULL DEFAULT 1,
            affiliation_filter TEXT NOT NULL DEFAULT '',
            is_default INTEGER NOT NULL DEFAULT 0,
            aliases TEXT NOT NULL DEFAULT '[]'
        )"""
    )
    # One row per (venue, year, method, framework). The total is repeated on each row so that a
    # row is its own provenance record: what was counted, out of how many, by which rule, from
    # where, and when.
    db.execute(
        """
        CREATE TABLE paper_counts (
            venue_id TEXT NOT NULL REFERENCES venues(id),
            year INTEGER NOT NULL,
            method_id TEXT NOT NULL REFERENCES methods(id),
            framework TEXT NOT NULL,
            papers INTEGER NOT NULL CHECK (papers >= 0),
            total_papers INTEGER NOT NULL CHECK (total_papers >= 0),
            population TEXT NOT NULL DEFAULT 'accepted',
            note TEXT NOT NULL DEFAULT '',
            source_id TEXT NOT NULL REFERENCES sources(id),
            collected_at TEXT NOT NULL,
            PRIMARY KEY (venue_id, year, method_id, framework)
        )"""
    )
    db.execute("CREATE INDEX idx_paper_counts_year ON paper_counts (year, method_id)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('data_version', '0')")


@migrations(name="0002_papers_metrics_runs")
def _papers_metrics_runs(db: Database) -> None:
    """Room for collectors: per-paper results, industry time series, and a log of runs."""
    db.execute(
        """
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,
            venue_id TEXT NOT NULL REFERENCES venues(id),
            year INTEGER NOT NULL,
            title TEXT NOT NULL,
            authors TEXT NOT NULL DEFAULT '[]',
            pdf_url TEXT,
            source_id TEXT NOT NULL REFERENCES sources(id),
            collected_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_papers_venue_year ON papers (venue_id, year)")
    db.execute(
        """
        CREATE TABLE paper_mentions (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            method_id TEXT NOT NULL REFERENCES methods(id),
            framework TEXT NOT NULL,
            matched_terms TEXT NOT NULL DEFAULT '',
            collected_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, method_id, framework)
        )"""
    )
    db.execute(
        """
        CREATE TABLE metrics (
            source_id TEXT NOT NULL REFERENCES sources(id),
            metric TEXT NOT NULL,
            framework TEXT NOT NULL,
            date TEXT NOT NULL,
            value REAL NOT NULL,
            unit TEXT NOT NULL DEFAULT '',
            method TEXT NOT NULL DEFAULT '',
            collected_at TEXT NOT NULL,
            PRIMARY KEY (source_id, metric, framework, date)
        )"""
    )
    db.execute(
        """
        CREATE TABLE collection_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collector TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            items INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL DEFAULT ''
        )"""
    )


@migrations(name="0003_data_version_triggers")
def _data_version_triggers(db: Database) -> None:
    """Bump ``meta.data_version`` whenever a stored number really changes.

    Charts and subscription posts key their caches on this value, so an upsert that rewrites a
    row with the same numbers must not bump it; the UPDATE triggers compare old and new values.
    """
    bump = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version';"
    for table, watched in (
        ("paper_counts", ("papers", "total_papers", "population", "source_id")),
        ("metrics", ("value",)),
    ):
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
        db.execute(f"CREATE TRIGGER {table}_dv_ins AFTER INSERT ON {table} BEGIN {bump} END")
        db.execute(f"CREATE TRIGGER {table}_dv_del AFTER DELETE ON {table} BEGIN {bump} END")
        db.execute(
            f"CREATE TRIGGER {table}_dv_upd AFTER UPDATE ON {table} WHEN {changed} BEGIN {bump} END"
        )


@migrations(name="0004_application_id")
def _application_id(db: Database) -> None:
    """Mark the file as a trendbot store (stores made before this were recognised by their
    migrations table; see ``storage.store.inspect_file``)."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


MIGRATION_NAMES = tuple(m.name for m in migrations._migrations)
if len(MIGRATION_NAMES) != SCHEMA_VERSION:
    raise RuntimeError("storage/version.py SCHEMA_VERSION must equal the number of migrations")
