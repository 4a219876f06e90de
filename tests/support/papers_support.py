"""Helpers for the paper-source tests: a client whose every source points at one loopback
server, with the real policies made fast (no rate limit to wait for, tiny backoff)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.conftest import SHARED
from tests.support.loopback import Loopback
from trendbot.collectors.http import HttpClient
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.config import SOURCE_URLS, Settings

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHARED_FIXTURES = SHARED / "data" / "fixtures"


def fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def loopback_client(srv: Loopback, env: dict[str, str] | None = None, **urls: str) -> HttpClient:
    """Every source URL on ``srv`` (ACL XML under /xml, OpenReview v1 under /v1 unless given)."""
    source_urls = {name: srv.base for name in SOURCE_URLS}
    source_urls["ACL_ANTHOLOGY_XML_BASE_URL"] = srv.base + "/xml"
    source_urls["OPENREVIEW_V1_BASE_URL"] = srv.base + "/v1"
    source_urls.update(urls)
    fast = {
        name: replace(p, rate=1000, burst=1000, backoff=0.01, backoff_max=0.05, attempts=3)
        for name, p in DEFAULT_POLICIES.items()
    }
    return HttpClient(Settings(source_urls=source_urls), fast, env=env or {})


def study_totals() -> dict[tuple[str, int], int]:
    """Horace He's final (2021-10-22) total papers per venue-year, from trendbot's own seed."""
    import csv
    from importlib.resources import files

    text = files("trendbot.storage").joinpath("seed/paper_counts.csv").read_text()
    return {
        (row["venue"], int(row["year"])): int(row["total_papers"])
        for row in csv.DictReader(text.splitlines())
        if row["method"] == "he2019-final"
    }
