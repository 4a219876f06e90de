"""Collectors keep the store current from public sources (one module per source).

- ``http``: the one HTTP client every collector uses (rate, concurrency, timeouts, retries,
  rate-limit signals, ETags, stats).
- ``papers``: one module per paper-listing source; ``papers.list_papers(http, venue, year)``
  returns a ``Listing`` of ``PaperRef`` rows (pure parsers, I/O at the edges).
- ``industry``: one module per industry source (GitHub, ClickHouse/pypistats, HN, Stack
  Exchange, Hugging Face, arXiv); ``industry.collect_industry(store, settings, …)`` runs them,
  each saved in one transaction (``storage.metrics.save_metrics``) or not at all.

Collectors fetch and parse; storing what they return (one transaction per run, logged in
``collection_runs``) belongs to the pipeline that drives them, so a partial run never changes
stored numbers.
"""
