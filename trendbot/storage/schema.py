"""The store's schema as an ordered list of migrations.

Migrations are append-only: a released migration is never edited, because files in users' data
directories were built by it. A new table or column is a new function at the end of the list.
They run on every open (sqlite-utils records applied ones in ``_sqlite_migrations``), and the
count of applied migrations is mirrored into ``PRAGMA user_version`` so that an older trendbot can
tell it is looking at a newer file and refuse it instead of misreading it.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from trendbot.storage.version import (  # noqa: F401  (PAPER_COUNTS_PK is re-exported)
    APPLICATION_ID,
    MIGRATION_SET,
    PAPER_COUNTS_PK,
    SCHEMA_VERSION,
)

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
    _count_triggers(db, "paper_counts", ("papers", "total_papers", "population", "source_id"))
    _count_triggers(db, "metrics", ("value",))


def _count_triggers(db: Database, table: str, watched: tuple[str, ...]) -> None:
    """Triggers that bump ``meta.data_version`` on an insert, a delete, or an update that
    changes one of the ``watched`` columns. Migrations call this with the columns of their
    time; it is not edited, so what an old migration created stays what it created."""
    bump = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version';"
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
    db.execute(f"CREATE TRIGGER {table}_dv_ins AFTER INSERT ON {table} BEGIN {bump} END")
    db.execute(f"CREATE TRIGGER {table}_dv_del AFTER DELETE ON {table} BEGIN {bump} END")
    db.execute(
        f"CREATE TRIGGER {table}_dv_upd AFTER UPDATE ON {table} WHEN {changed} BEGIN {bump} END"
    )


@migrations(name="0004_application_id")
def _application_id(db: Database) -> None:
    """Mark the file as a trendbot store (stores made before this were recognised by their
    migrations table; see ``storage.opening.inspect_file``)."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


@migrations(name="0005_paper_collection")
def _paper_collection(db: Database) -> None:
    """What the paper collectors need (issue 8).

    - ``methods.terms``: terms per framework (one JSON object), so a method can count JAX,
      MXNet or any other framework; ``both``: the pair a method also reports together
      (``modern``'s "pytorch+tensorflow"). The two old term columns stay for older readers.
    - ``paper_counts`` gets the source into its key: a collected figure never overwrites the
      study's published one, both are kept, each with its source.
    - ``papers`` gets each paper's track, whether it is in the main population, and the state of
      its collection (pending / ok / no_text / failed with the reason, pages, attempts, and the
      rule versions it was read with); ``paper_mentions.counted`` says whether a named
      framework counts under the method (the study's rule drops papers naming both).
    - ``paper_listings``: the last listing of each venue-year (source, population, when).
    - ``http_etags``: validators for conditional requests (304s cost no quota).
    - ``papers_fts``: title search for ``!paper``.
    """
    db.execute("ALTER TABLE methods ADD COLUMN terms TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE methods ADD COLUMN both_pair TEXT NOT NULL DEFAULT ''")
    db.execute(
        "UPDATE methods SET terms = json_object("
        "'pytorch', json(pytorch_terms), 'tensorflow', json(tensorflow_terms))"
    )
    db.execute(
        """
        CREATE TABLE paper_counts_v5 (
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
            PRIMARY KEY (venue_id, year, method_id, framework, source_id)
        )"""
    )
    # Copied before the triggers exist on the new table: moving rows is not a change of data.
    db.execute("INSERT INTO paper_counts_v5 SELECT * FROM paper_counts")
    db.execute("DROP TABLE paper_counts")  # its triggers and index go with it
    db.execute("ALTER TABLE paper_counts_v5 RENAME TO paper_counts")
    db.execute("CREATE INDEX idx_paper_counts_year ON paper_counts (year, method_id)")
    _count_triggers(db, "paper_counts", ("papers", "total_papers", "population", "source_id"))

    for column in (
        "track TEXT NOT NULL DEFAULT 'main'",
        "main INTEGER NOT NULL DEFAULT 1 CHECK (main IN (0, 1))",
        "page_url TEXT",
        "note TEXT NOT NULL DEFAULT ''",
        "status TEXT NOT NULL DEFAULT 'pending'",
        "reason TEXT NOT NULL DEFAULT ''",
        "pages INTEGER",
        "attempts INTEGER NOT NULL DEFAULT 0",
        "checked_at TEXT",
        "rules TEXT NOT NULL DEFAULT '{}'",
    ):
        db.execute(f"ALTER TABLE papers ADD COLUMN {column}")
    db.execute("CREATE INDEX idx_papers_state ON papers (venue_id, year, main, status)")
    db.execute("ALTER TABLE paper_mentions ADD COLUMN counted INTEGER NOT NULL DEFAULT 1")
    db.execute("CREATE INDEX idx_mentions_figure ON paper_mentions (method_id, framework, counted)")
    db.execute(
        """
        CREATE TABLE paper_listings (
            venue_id TEXT NOT NULL REFERENCES venues(id),
            year INTEGER NOT NULL,
            source_id TEXT NOT NULL REFERENCES sources(id),
            population TEXT NOT NULL,
            papers INTEGER NOT NULL,
            main INTEGER NOT NULL,
            tracks TEXT NOT NULL DEFAULT '{}',
            urls TEXT NOT NULL DEFAULT '[]',
            notes TEXT NOT NULL DEFAULT '[]',
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (venue_id, year)
        )"""
    )
    db.execute(
        """
        CREATE TABLE http_etags (
            url TEXT PRIMARY KEY,
            etag TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        )"""
    )
    db.execute(
        "CREATE VIRTUAL TABLE papers_fts USING fts5("
        "title, content='papers', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute("INSERT INTO papers_fts (rowid, title) SELECT rowid, title FROM papers")
    db.execute(
        "CREATE TRIGGER papers_fts_ai AFTER INSERT ON papers BEGIN"
        " INSERT INTO papers_fts (rowid, title) VALUES (new.rowid, new.title); END"
    )
    forget = (
        "INSERT INTO papers_fts (papers_fts, rowid, title) VALUES ('delete', old.rowid, old.title);"
    )
    db.execute(f"CREATE TRIGGER papers_fts_ad AFTER DELETE ON papers BEGIN {forget} END")
    db.execute(
        f"CREATE TRIGGER papers_fts_au AFTER UPDATE OF title ON papers BEGIN {forget}"
        " INSERT INTO papers_fts (rowid, title) VALUES (new.rowid, new.title); END"
    )


@migrations(name="0006_subscriptions")
def _subscriptions(db: Database) -> None:
    """Update posts (issue 10): subscriptions, the outbox of update events, and deliveries.

    - ``subscriptions``: a channel's wish to hear about a topic (``papers``, ``venue:neurips``,
      ``industry``, ``metric:github-stars``, ``digest``). ``watermark``: events up to this id
      are not for it: the newest event when it was made (subscribing never replays), moved up
      as posts claim events. Disabled subscriptions are kept with the reason (never deleted by
      a Discord fault), so ``!subscriptions`` can say how to fix them.
    - ``update_events`` (the outbox): written by a collector in the transaction that changes the
      numbers, with every figure's old and new value; ``update_event_topics`` indexes the topic
      keys each event is for (every event is also for ``digest``).
    - ``update_posts``: one row per Discord message the poster makes (or made): its state
      (``intent`` is written before the message is sent, then ``posted`` with the message id,
      or ``failed`` with the reason), its marker (``update <id>``, shown in the footer and
      searched for in the channel after a crash), attempts and the shard that owns it.
    - ``deliveries``: the claim of one event for one subscription by one post; UNIQUE
      (subscription, event) makes each delivery happen once, whichever process claims first.
    """
    db.execute(
        """
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            topic TEXT NOT NULL,
            created_by INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            watermark INTEGER NOT NULL DEFAULT 0,
            last_post_at TEXT,
            disabled_at TEXT,
            disabled_reason TEXT NOT NULL DEFAULT '',
            UNIQUE (channel_id, topic)
        )"""
    )
    db.execute("CREATE INDEX idx_subscriptions_guild ON subscriptions (guild_id)")
    db.execute(
        """
        CREATE TABLE update_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            changes TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            data_version INTEGER NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE update_event_topics (
            topic TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES update_events(id) ON DELETE CASCADE,
            PRIMARY KEY (topic, event_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """
        CREATE TABLE update_posts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            marker TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'intent' CHECK (state IN ('intent', 'posted', 'failed')),
            message_id INTEGER,
            reason TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            shard INTEGER,
            created_at TEXT NOT NULL,
            posted_at TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_update_posts_open ON update_posts (state) WHERE state = 'intent'")
    db.execute(
        """
        CREATE TABLE deliveries (
            subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
            event_id INTEGER NOT NULL REFERENCES update_events(id) ON DELETE CASCADE,
            post_id INTEGER NOT NULL REFERENCES update_posts(id) ON DELETE CASCADE,
            PRIMARY KEY (subscription_id, event_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX idx_deliveries_post ON deliveries (post_id)")


@migrations(name="0007_paper_retries")
def _paper_retries(db: Database) -> None:
    """Failed papers are retried on later runs (issue 15), at a cost that fits the failure.

    - ``papers.retry_at``: when a failed paper is next worth a download. NULL (a transient fault:
      a 5xx, a timeout, a quota) means on the next run; a permanent one (a 404, a file that is
      not a PDF) waits some days (``storage/papers.py`` ``RETRY_PERMANENT_DAYS``), or
      ``--refresh``. A new PDF link in the listing clears it.
    - ``paper_listings.published_failed``: how many main papers could not be read when the
      venue-year's counts were last written, so a later run that recovers some of them writes an
      update event even if the recovered papers name no framework (replies say how many could
      not be read)."""
    db.execute("ALTER TABLE papers ADD COLUMN retry_at TEXT")
    db.execute("ALTER TABLE paper_listings ADD COLUMN published_failed INTEGER")


@migrations(name="0008_code")
def _code(db: Database) -> None:
    """The ``code`` method (issue 16): the links a paper's text gives to its code, and what the
    repositories they name are written in.

    - ``methods.kind``: ``text`` (a rule searched in the paper's text) or ``code`` (the framework
      of the paper's own repository); a ``code`` method is never given to the PDF readers.
    - ``papers.links_rule``: the version of the link rule a paper's text was searched with (NULL:
      not searched, such as papers read before this migration).
    - ``paper_links``: every repository or model link found in a paper, with where it was (pages,
      first page, abstract, an "our code" sentence), whether it is the paper's own and why.
    - ``code_repos``: one row per repository however many papers link it (keyed by the lower-case
      ``host/owner/name``, as GitHub's names are case-insensitive): its outcome (a framework id,
      ``several``, ``none``, ``gone``, ``empty``), the evidence (file, line, text), what decided
      it, the rule's version, when it was read and the ETags a re-check sends.
    """
    db.execute("ALTER TABLE methods ADD COLUMN kind TEXT NOT NULL DEFAULT 'text'")
    db.execute("ALTER TABLE papers ADD COLUMN links_rule TEXT")
    db.execute(
        """
        CREATE TABLE paper_links (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            host TEXT NOT NULL,
            repo TEXT NOT NULL,
            url TEXT NOT NULL,
            kind TEXT NOT NULL,
            own INTEGER NOT NULL DEFAULT 0 CHECK (own IN (0, 1)),
            tool INTEGER NOT NULL DEFAULT 0 CHECK (tool IN (0, 1)),
            why TEXT NOT NULL DEFAULT '',
            pages TEXT NOT NULL DEFAULT '[]',
            first_page INTEGER NOT NULL DEFAULT 0,
            abstract INTEGER NOT NULL DEFAULT 0,
            code_sentence INTEGER NOT NULL DEFAULT 0,
            repo_key TEXT NOT NULL,
            rule TEXT NOT NULL,
            found_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, host, repo)
        )"""
    )
    db.execute("CREATE INDEX idx_paper_links_own ON paper_links (repo_key) WHERE own = 1")
    db.execute(
        """
        CREATE TABLE code_repos (
            repo_key TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            repo TEXT NOT NULL,
            outcome TEXT NOT NULL,
            frameworks TEXT NOT NULL DEFAULT '[]',
            evidence TEXT NOT NULL DEFAULT '[]',
            decided_by TEXT,
            read TEXT NOT NULL DEFAULT '[]',
            moved_to TEXT,
            default_branch TEXT,
            rule TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            etags TEXT NOT NULL DEFAULT '{}',
            sbom_python INTEGER NOT NULL DEFAULT 0,
            api_requests INTEGER NOT NULL DEFAULT 0,
            raw_requests INTEGER NOT NULL DEFAULT 0
        )"""
    )


MIGRATION_NAMES = tuple(m.name for m in migrations._migrations)
if len(MIGRATION_NAMES) != SCHEMA_VERSION:
    raise RuntimeError("storage/version.py SCHEMA_VERSION must equal the number of migrations")
