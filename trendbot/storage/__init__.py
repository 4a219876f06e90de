"""The SQLite store (through sqlite-utils): schema, migrations, seed data and queries."""

from trendbot.storage.connection import StoreError, default_db_path
from trendbot.storage.models import Coverage, Method, Source, Venue, VenueYear
from trendbot.storage.opening import open_store
from trendbot.storage.store import Store

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
