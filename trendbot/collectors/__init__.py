"""Collectors keep the store current from public sources (one module per source).

None ships yet: the bundled seed (``trendbot.storage.seed``) is the only data source so far.
The shape each collector will follow, dogsheep style: an async ``fetch_*`` (aiohttp, base URL
configurable, retries with backoff on timeouts, 429 and 5xx), a pure ``transform_*`` from the
source's records to store rows, and a ``save_*`` that writes through ``upsert_all`` inside one
transaction and logs the run in ``collection_runs``, so a partial run never changes stored
numbers.
"""
