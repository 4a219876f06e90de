"""Update posts for subscribed channels (issue 10): topics, which posts are due, their text.

Pure functions only; the SQL is in ``trendbot.storage.subscriptions`` and
``trendbot.storage.outbox``, the Discord side in ``trendbot.bot.poster`` and
``trendbot.bot.cogs.subscriptions``.
"""
