"""``meta.data_version``: the number that changes whenever a stored number changes.

Triggers on ``paper_counts`` and ``metrics`` bump it for every row that really changes, so no
writer can forget to. A writer that changes many rows at once (the seed, a collected venue-year,
a collector run) wraps its transaction in ``one_step``: readers then see the version move by
exactly one per logical change, which is what chart caches and subscription posts key on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


def read(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def one_step(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside a write transaction: however many rows the block changes, the version moves by
    one (or not at all if nothing changed). The version never goes backwards."""
    before = read(conn)
    yield
    if read(conn) != before:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", (str(before + 1),))
