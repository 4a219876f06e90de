"""Each source's manners: how fast trendbot asks it and how it says "slow down".

A :class:`SourcePolicy` per source (base URL setting, rate, burst, parallel requests, timeouts,
body-size cap, the longest wait worth sleeping) and the *throttle signals* a source uses: a 429
with ``Retry-After``, GitHub's ``x-ratelimit-*`` headers, Stack Exchange's ``backoff`` field,
arXiv's ``Rate exceeded.`` body with status 200, OpenReview's 429 JSON naming ``resetTime``.
Pure data and parsers; :mod:`trendbot.collectors.http` applies them.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from trendbot.storage.collectable import OPENREVIEW_RATE, PAPER_SITE_RATE

MiB = 1024 * 1024


# --- what a source may say about its limits ------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """A source asking trendbot to slow down, read from one response.

    ``retry``: the response itself is a refusal (try again after ``wait``); when False the
    response is good but the *next* request to that source must wait ``wait`` seconds (GitHub's
    last request of the hour, Stack Exchange's ``backoff``). ``wait`` None means "unspecified":
    the client backs off exponentially instead.
    """

    wait: float | None
    reason: str
    retry: bool = True


# A throttle signal reads (status, headers, body) and returns a Throttle, or None for "not me".
Signal = Callable[[int, Mapping[str, str], bytes], Throttle | None]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date (RFC 9110)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    now = time.time() if now is None else now
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that also works on a plain dict."""
    if name in headers:
        return headers[name]
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _reset_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until an ``x-ratelimit-reset`` (epoch seconds, as GitHub and OpenReview send)."""
    raw = _header(headers, "x-ratelimit-reset")
    try:
        return max(0.0, float(raw) - now) if raw is not None else None
    except ValueError:
        return None


def standard_throttle(status: int, headers: Mapping[str, str], body: bytes) -> Throttle | None:
    """The signals every source shares: 429/503 with ``Retry-After``, rate-limit headers.

    GitHub answers an exhausted primary limit with 403 (or 429) and ``x-ratelimit-remaining: 0``
    plus an epoch ``x-ratelimit-reset``; a secondary limit with 403 and ``retry-after``. A 2xx with
    ``x-ratelimit-remaining: 0`` is a good answer, but the next call must wait for the reset.
    """
    now = time.time()
    retry_after = parse_retry_after(_header(headers, "retry-after"), now)
    remaining = (_header(headers, "x-ratelimit-remaining") or "").strip()
    if status == 429 or (status == 403 and (retry_after is not None or remaining == "0")):
        if retry_after is not None:
            return Throttle(retry_after, f"HTTP {status} with Retry-After")
        reset = _reset_wait(headers, now) if remaining == "0" else None
        if reset is not None:
            return Throttle(reset, f"HTTP {status}, rate limit exhausted until x-ratelimit-reset")
        return Throttle(None, f"HTTP {status} Too Many Requests" if status == 429 else "HTTP 403")
    if status == 503 and retry_after is not None:
        return Throttle(retry_after, "HTTP 503 with Retry-After")
    if 200 <= status < 300 and remaining == "0":
        reset = _reset_wait(headers, now)
        if reset is not None:
            return Throttle(reset, "rate limit used up until x-ratelimit-reset", retry=False)
    return None


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def stackexchange_backoff(status: int, headers: Mapping[str, str], body: bytes) -> Throttle | None:
    """Stack Exchange: a ``backoff`` field (seconds) in a 200 JSON body means "pause this method";
    a 400 ``throttle_violation`` (error_id 502) names the wait in its message."""
    data = _json_object(body) if body[:1] == b"{" else None
    if not data:
        return None
    if data.get("error_name") == "throttle_violation" or data.get("error_id") == 502:
        message = str(data.get("error_message", ""))
        digits = [int(w) for w in message.replace(".", " ").split() if w.isdigit()]
        wait = float(digits[-1]) if digits else None
        if wait is None and "too many requests" in message.lower():
            wait = _to_utc_midnight(time.time())  # the day's quota, renewed at midnight UTC
        return Throttle(wait, "Stack Exchange throttle_violation")
    backoff = data.get("backoff")
    if isinstance(backoff, int | float) and backoff > 0:
        return Throttle(float(backoff), "Stack Exchange backoff field", retry=False)
    if data.get("quota_remaining") == 0 and 200 <= status < 300:
        # The day's quota is spent with this answer; it is renewed at midnight UTC.
        return Throttle(_to_utc_midnight(time.time()), "Stack Exchange quota_remaining 0", False)
    return None


def _to_utc_midnight(now: float) -> float:
    """Seconds from ``now`` to the next 00:00 UTC (when Stack Exchange renews a day's quota)."""
    return 86400.0 - now % 86400.0


ARXIV_MIN_WAIT = 3.0  # the arXiv API terms: no more than one request every three seconds


def arxiv_rate_exceeded(status: int, headers: Mapping[str, str], body: bytes) -> Throttle | None:
    """arXiv answers overload with the plain body ``Rate exceeded.``, sometimes with status 200,
    sometimes 429 or 503 with a ``Retry-After``: the longer of that and arXiv's three seconds."""
    if body.strip()[:20].lower().startswith(b"rate exceeded"):
        asked = parse_retry_after(_header(headers, "retry-after"))
        wait = max(ARXIV_MIN_WAIT, asked or 0.0)
        return Throttle(wait, f"arXiv 'Rate exceeded.' body (HTTP {status})")
    return None


def hf_ratelimit(status: int, headers: Mapping[str, str], body: bytes) -> Throttle | None:
    """Hugging Face: the IETF draft header ``RateLimit: "api";r=<remaining>;t=<seconds>``. A 429
    waits ``t`` seconds; a good answer with ``r=0`` makes the next request wait ``t``."""
    raw = _header(headers, "ratelimit")
    if raw is None:
        return None
    fields = dict(re.findall(r";\s*([a-z]+)\s*=\s*(\d+)", raw.lower()))
    wait = float(fields["t"]) if "t" in fields else None
    if status == 429:
        return Throttle(wait, "Hugging Face HTTP 429 (RateLimit header)")
    if 200 <= status < 300 and fields.get("r") == "0" and wait is not None:
        return Throttle(wait, "Hugging Face rate limit used up until its window resets", False)
    return None


def openreview_rate_limit(status: int, headers: Mapping[str, str], body: bytes) -> Throttle | None:
    """OpenReview's 429 is JSON: ``{"name": "RateLimitError", "details": {"resetTime": ISO}}``."""
    if status != 429:
        return None
    data = _json_object(body) or {}
    details = data.get("details") or {}
    reset = details.get("resetTime") if isinstance(details, dict) else None
    if isinstance(reset, str):
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            return Throttle(max(0.0, when.timestamp() - time.time()), "OpenReview RateLimitError")
    # Without resetTime, the message says it: "Please try again in 60 minutes and 13 seconds".
    found = re.search(r"try again in (?:(\d+) minutes?)?(?: and )?(?:(\d+) seconds?)?",
                      str(data.get("message", "")))  # fmt: skip
    if found and any(found.groups()):
        minutes, seconds = (int(g or 0) for g in found.groups())
        return Throttle(60.0 * minutes + seconds, "OpenReview RateLimitError")
    return None


# --- per-source policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcePolicy:
    """How trendbot treats one source. Rates are requests per second; times are seconds."""

    name: str
    base_setting: str  # key of Settings.source_urls holding the base URL
    rate: float = 1.0
    burst: int = 1
    concurrency: int = 2
    connect_timeout: float = 15.0
    total_timeout: float = 120.0
    read_timeout: float = 60.0  # longest silence while reading a body (big PDFs stream for long)
    max_body: int = 64 * MiB
    attempts: int = 5
    backoff: float = 1.0  # first backoff step; grows exponentially with jitter
    backoff_max: float = 60.0
    max_wait: float = 300.0  # longest server-requested wait honoured; longer fails the request
    signals: tuple[Signal, ...] = ()
    # A source with a quota (an hourly or daily allowance, a rate window): a wait beyond
    # ``max_wait``, or refusals for its rate that outlast the retries, mean the quota is spent —
    # not a fault: the run keeps what it fetched and leaves the rest for a later run.
    quota: bool = False


# The sources trendbot knows, with manners taken from each one's documented or observed limits
# (see the README's "Collectors" sections). Paper sites publish no limit and serve static files:
# two requests a second, two at a time (a 1,300-paper venue-year in about 11 minutes; the 2019
# study fetched one PDF after another); `trendbot collect papers --rate` changes it.
PAPER_SITE = {"rate": PAPER_SITE_RATE, "burst": 2, "concurrency": 2}
DEFAULT_POLICIES: dict[str, SourcePolicy] = {
    p.name: p
    for p in (
        SourcePolicy("neurips", "NEURIPS_BASE_URL", **PAPER_SITE),
        SourcePolicy("pmlr", "PMLR_BASE_URL", **PAPER_SITE),
        SourcePolicy("cvf", "CVF_BASE_URL", **PAPER_SITE),
        SourcePolicy("ecva", "ECVA_BASE_URL", **PAPER_SITE),
        SourcePolicy("acl_xml", "ACL_ANTHOLOGY_XML_BASE_URL"),
        SourcePolicy("acl", "ACL_ANTHOLOGY_BASE_URL", **PAPER_SITE),
        # OpenReview: 500 notes requests per hour per account; one every two seconds stays far
        # below it. Its 429 names resetTime (up to an hour): cap the wait at 15 minutes.
        SourcePolicy(
            "openreview",
            "OPENREVIEW_BASE_URL",
            rate=OPENREVIEW_RATE,
            max_wait=900.0,
            signals=(openreview_rate_limit,),
            quota=True,
        ),
        SourcePolicy(
            "openreview_v1",
            "OPENREVIEW_V1_BASE_URL",
            rate=OPENREVIEW_RATE,
            max_wait=900.0,
            signals=(openreview_rate_limit,),
            quota=True,
        ),
        SourcePolicy(
            "github", "GITHUB_BASE_URL", rate=1.0, concurrency=2, max_wait=900.0, quota=True
        ),
        # GitHub's raw file host (repository files for the code of papers): no documented
        # limit and no API quota, but it answers abuse with 429: a few files a second.
        SourcePolicy(
            "github_raw",
            "GITHUB_RAW_BASE_URL",
            rate=4.0,
            burst=4,
            concurrency=4,
            max_body=2 * MiB,
            quota=True,
        ),
        SourcePolicy("clickhouse", "CLICKHOUSE_BASE_URL", rate=0.5, concurrency=1),
        SourcePolicy("pypistats", "PYPISTATS_BASE_URL", rate=0.4, concurrency=1),  # 30/min
        SourcePolicy("hn_algolia", "HN_ALGOLIA_BASE_URL", rate=2.0),
        SourcePolicy(
            "stackexchange",
            "STACKEXCHANGE_BASE_URL",
            rate=1.0,
            concurrency=1,
            signals=(stackexchange_backoff,),
            quota=True,
        ),
        SourcePolicy("hf", "HF_BASE_URL", rate=1.0, signals=(hf_ratelimit,), quota=True),
        SourcePolicy(
            "arxiv",
            "ARXIV_BASE_URL",
            rate=1 / 3,
            concurrency=1,
            signals=(arxiv_rate_exceeded,),
            quota=True,
        ),
    )
}
