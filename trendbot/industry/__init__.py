"""Industry series math: ``seriesmath`` (pandas) turns stored metric rows into monthly series,
rolling means, yearly summaries and crossovers for `!trend`. Pure: it imports nothing of
trendbot, and only `!trend` imports it (pandas stays out of `trendbot ask "!ratio …"`).

The framework table and metric catalogue it works with are the store's own data:
``trendbot.storage.frameworks`` and ``trendbot.storage.catalog``."""
