"""The SQLite store (through sqlite-utils): schema, migrations, seed data and queries."""

from trendbot.storage.models import Coverage, Method, Source, Venue, VenueYear
from trendbot.storage.store import Store, StoreError, default_db_path, open_store

__all__ = [
    "Coverage",
    "Method",
    "Source",
    "Store",
    "StoreError",
    "Venue",
    "VenueYear",
    "default_db_path",
    "open_store",
]
