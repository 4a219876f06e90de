"""The SQLite store (through sqlite-utils), the ground floor every other layer stands on.

``connection`` (connecting, ``StoreError``), ``opening`` (recognising, creating and migrating the
file), ``store`` (the ``Store`` and its read queries), ``schema``/``version`` (migrations),
``seed`` (the bundled data), the data the store owns and describes (``frameworks``: the framework
table; ``catalog``: the metric catalogue), the collectors' writers (``papers``, ``metrics``,
``runs``, ``outbox``) and the readers above them (``paper_queries``, ``figures``,
``subscriptions``). It imports nothing of trendbot outside itself and ``config``.
"""

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
