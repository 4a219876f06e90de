"""The one timestamp format the store writes: UTC, to the second, ISO 8601
(``2026-12-05T06:30:03+00:00``).

Every ``*_at`` column is compared and sorted as text, so every writer must stamp the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
