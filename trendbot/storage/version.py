"""The schema version this trendbot writes, importable without sqlite-utils.

Opening an up-to-date store must not import sqlite-utils (which imports pandas and numpy, about
0.3 s), so the fast path compares ``PRAGMA user_version`` with this number. ``schema.py`` checks
at import that it equals the number of migrations.
"""

SCHEMA_VERSION = 8

# The migration set recorded in ``_sqlite_migrations`` and the ``PRAGMA application_id`` stamped on
# every trendbot store (the ASCII bytes "TRND"): together they let trendbot recognise its own
# files positively and leave any other SQLite file alone.
MIGRATION_SET = "trendbot"
APPLICATION_ID = 0x54524E44

# The key of ``paper_counts`` since migration 0005: the source is part of it, so the study's
# published figure and a collected one for the same venue-year are both kept.
PAPER_COUNTS_PK = ("venue_id", "year", "method_id", "framework", "source_id")
