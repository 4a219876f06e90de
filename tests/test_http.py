"""The shared HTTP client against a real aiohttp server on 127.0.0.1 (tests/support/loopback.py)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pytest
from aiohttp import web

import trendbot
from tests.support.loopback import Loopback, Reply
from trendbot.collectors.http import FetchError, HttpClient, check_xml, user_agent
from trendbot.collectors.policy import (
    DEFAULT_POLICIES,
    SourcePolicy,
    arxiv_rate_exceeded,
    openreview_rate_limit,
    parse_retry_after,
    stackexchange_backoff,
)
from trendbot.config import SOURCE_URLS, Settings

# Fast manners for tests: no rate limit to speak of, tiny backoff.
FAST = SourcePolicy(
    "t",
    "T_URL",
    rate=1000,
    burst=1000,
    concurrency=8,
    attempts=4,
    backoff=0.01,
    backoff_max=0.05,
    max_wait=5.0,
    total_timeout=5.0,
    read_timeout=5.0,
)


def client_for(srv: Loopback, policy: SourcePolicy = FAST, env=None) -> HttpClient:
    settings = Settings(source_urls={**SOURCE_URLS, policy.base_setting: srv.base})
    return HttpClient(settings, {policy.name: policy}, env=env or {})


async def test_user_agent_names_trendbot_version_url_and_contact():
    async with Loopback() as srv:
        srv.route("/x", Reply.text("ok"))
        async with client_for(srv, env={"TRENDBOT_CONTACT": "ops@example.org"}) as http:
            got = await http.get("t", "/x")
    assert got.text() == "ok"
    ua = srv.requests[0].headers["User-Agent"]
    assert ua == f"trendbot/{trendbot.__version__} (+{trendbot.PROJECT_URL}; ops@example.org)"
    assert user_agent({}) == f"trendbot/{trendbot.__version__} (+{trendbot.PROJECT_URL})"


@pytest.mark.parametrize(
    ("first", "kind"),
    [
        (Reply.error(500), "server_error"),
        (Reply.error(502), "server_error"),
        (Reply.error(503), "server_error"),
        (Reply.rate_limited(0), "rate_limited"),
        (Reply.truncated(b"x" * 5000), "truncated"),
    ],
)
async def test_each_transient_fault_is_retried_and_counted(first, kind):
    async with Loopback() as srv:
        srv.route("/x", first, Reply.json({"ok": True}))
        async with client_for(srv) as http:
            got = await http.get_json("t", "/x")
            stats = http.stats
    assert got == {"ok": True}
    assert len(srv.hits("/x")) == 2
    assert stats.requests == 2 and stats.retries == 1
    assert stats.faults[kind] == 1


async def test_connection_reset_and_refused_are_connection_faults():
    async with Loopback() as srv:
        # aiohttp itself retries a dropped idempotent request once, so drop four in a row.
        srv.route(
            "/x", Reply.reset(), Reply.reset(), Reply.reset(), Reply.reset(), Reply.text("ok")
        )
        async with client_for(srv) as http:
            assert (await http.get("t", "/x")).text() == "ok"
            assert http.stats.faults["connection"] >= 1
        closed = srv.base
    async with Loopback() as other:
        refused = other.base  # started and stopped: its port now refuses connections
    policy = replace(FAST, attempts=2)
    settings = Settings(source_urls={**SOURCE_URLS, "T_URL": refused})
    async with HttpClient(settings, {"t": policy}, env={}) as http:
        with pytest.raises(FetchError) as err:
            await http.get("t", "/x")
        assert http.stats.faults["connection"] == 2
    assert err.value.kind == "connection" and closed != ""


async def test_timeout_is_retried_then_fails_with_one_sentence():
    policy = replace(FAST, total_timeout=0.2, read_timeout=0.2, attempts=2)
    async with Loopback() as srv:
        srv.route("/slow", Reply.delayed(1.0))
        async with client_for(srv, policy) as http:
            with pytest.raises(FetchError) as err:
                await http.get("t", "/slow")
            stats = http.stats
    assert err.value.kind == "timeout"
    assert err.value.reason.endswith("still failing after 2 attempts.")
    assert "\n" not in err.value.reason
    assert stats.faults["timeout"] == 2 and stats.retries == 1


async def test_malformed_json_retried_only_when_the_caller_asks():
    async with Loopback() as srv:
        srv.route("/j", Reply.malformed_json(), Reply.json({"notes": []}))
        async with client_for(srv) as http:
            assert await http.get_json("t", "/j") == {"notes": []}
            assert http.stats.faults["malformed"] == 1
    async with Loopback() as srv:
        srv.route("/j", Reply.malformed_json())
        async with client_for(srv) as http:
            got = await http.get("t", "/j")  # no check: the caller gets the body as it came
    assert got.status == 200 and len(srv.requests) == 1


async def test_malformed_xml_check():
    async with Loopback() as srv:
        srv.route("/c.xml", Reply.xml("<collection><volume>"), Reply.xml("<collection/>"))
        async with client_for(srv) as http:
            got = await http.get("t", "/c.xml", check=check_xml)
    assert got.body == b"<collection/>" and len(srv.requests) == 2


async def test_client_errors_are_not_retried():
    async with Loopback() as srv:
        srv.route("/missing", Reply.error(404, "Not Found"))
        async with client_for(srv) as http:
            with pytest.raises(FetchError) as err:
                await http.get("t", "/missing")
            got = await http.get("t", "/missing", ok_statuses=(404,))
    assert err.value.status == 404 and err.value.kind == "http_404"
    assert "HTTP 404 (Not Found)" in err.value.reason
    assert got.status == 404
    assert len(srv.requests) == 2


async def test_retry_after_seconds_is_honoured():
    async with Loopback() as srv:
        srv.route("/x", Reply.rate_limited(1), Reply.text("ok"))
        async with client_for(srv) as http:
            await http.get("t", "/x")
    first, second = srv.hits("/x")
    assert 0.95 <= second.at - first.at < 2.5


async def test_retry_after_http_date_is_honoured():
    async with Loopback() as srv:
        srv.route("/x", Reply.rate_limited(Reply.http_date(2)), Reply.text("ok"))
        async with client_for(srv) as http:
            await http.get("t", "/x")
    first, second = srv.hits("/x")
    # An HTTP-date has whole-second resolution: the wait is between 1 and 2 s.
    assert 0.9 <= second.at - first.at < 3.0


def test_parse_retry_after_forms():
    now = 1_800_000_000.0
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", 1792567670.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


async def test_wait_over_the_cap_fails_at_once_with_the_reason():
    async with Loopback() as srv:
        srv.route("/x", Reply.rate_limited(7200))
        async with client_for(srv) as http:
            started = time.monotonic()
            with pytest.raises(FetchError) as err:
                await http.get("t", "/x")
            assert time.monotonic() - started < 1.0
            assert http.stats.faults["wait_over_cap"] == 1
    assert err.value.kind == "wait_over_cap"
    assert "wait 2 h 00 min (HTTP 429 with Retry-After), longer than the 5 s cap" in str(err.value)
    assert len(srv.requests) == 1


async def test_github_secondary_limit_403_with_retry_after():
    async with Loopback() as srv:
        body = {"message": "You have exceeded a secondary rate limit."}
        srv.route(
            "/repos/x",
            Reply.json(body, 403, headers=(("retry-after", "1"),)),
            Reply.json({"stargazers_count": 1}),
        )
        async with client_for(srv) as http:
            assert await http.get_json("t", "/repos/x") == {"stargazers_count": 1}
    first, second = srv.hits("/repos/x")
    assert second.at - first.at >= 0.95


async def test_github_remaining_zero_pauses_the_next_request_until_reset():
    reset = str(int(time.time()) + 2)
    headers = (("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset))
    async with Loopback() as srv:
        srv.route("/a", Reply.json({"a": 1}, headers=headers))
        srv.route("/b", Reply.json({"b": 2}))
        async with client_for(srv) as http:
            await http.get_json("t", "/a")
            await http.get_json("t", "/b")
    a, b = srv.requests
    assert b.at - a.at >= 0.9  # waited for the reset instead of spending a refused request


async def test_github_exhausted_primary_limit_beyond_cap_fails():
    reset = str(int(time.time()) + 3600)
    headers = (("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset))
    async with Loopback() as srv:
        srv.route("/a", Reply.json({"message": "API rate limit exceeded"}, 403, headers=headers))
        async with client_for(srv) as http:
            with pytest.raises(FetchError, match="x-ratelimit-reset"):
                await http.get("t", "/a")


async def test_source_signals_arxiv_openreview_stackexchange():
    reset_time = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 1.5))
    policy = replace(
        FAST, signals=(arxiv_rate_exceeded, openreview_rate_limit, stackexchange_backoff)
    )
    arxiv = replace(policy, max_wait=5.0)
    async with Loopback() as srv:
        srv.route("/api/query", Reply.rate_exceeded_200(), Reply.xml("<feed/>"))
        srv.route(
            "/notes",
            Reply.json(
                {"name": "RateLimitError", "status": 429, "details": {"resetTime": reset_time}}, 429
            ),
            Reply.json({"notes": []}),
        )
        srv.route("/2.3/questions", Reply.json({"items": [], "backoff": 1}))
        srv.route("/2.3/tags", Reply.json({"items": []}))
        async with client_for(srv, arxiv) as http:
            assert await http.get_json("t", "/notes") == {"notes": []}
            assert (await http.get("t", "/api/query")).body == b"<feed/>"
            await http.get_json("t", "/2.3/questions")
            await http.get_json("t", "/2.3/tags")
            faults = http.stats.faults
    q1, q2 = srv.hits("/api/query")
    assert q2.at - q1.at >= 2.9  # at least arXiv's three seconds
    n1, n2 = srv.hits("/notes")
    assert n2.at - n1.at >= 0.4
    (questions,) = srv.hits("/2.3/questions")
    (tags,) = srv.hits("/2.3/tags")
    assert tags.at - questions.at >= 0.95  # Stack Exchange's backoff paused the next call
    assert faults["rate_limited"] == 2


def test_signals_ignore_ordinary_bodies():
    assert arxiv_rate_exceeded(200, {}, b"<feed/>") is None
    assert openreview_rate_limit(429, {}, b"not json") is None
    assert stackexchange_backoff(200, {}, b'{"items": []}') is None
    violation = json.dumps(
        {
            "error_id": 502,
            "error_name": "throttle_violation",
            "error_message": "too many requests from this IP, more requests "
            "available in 82 seconds",
        }
    ).encode()
    got = stackexchange_backoff(400, {}, violation)
    assert got is not None and got.wait == 82.0 and got.retry


async def test_etag_304_is_not_modified():
    async def handler(request: web.Request) -> Reply:
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304, headers=(("ETag", '"v1"'),))
        return Reply.json({"stars": 5}, headers=(("ETag", '"v1"'),))

    async with Loopback() as srv:
        srv.handler("/repo", handler)
        async with client_for(srv) as http:
            first = await http.get("t", "/repo")
            second = await http.get("t", "/repo", etag=first.etag)
            stats = http.stats
    assert first.etag == '"v1"' and not first.not_modified and first.json() == {"stars": 5}
    assert second.not_modified and second.status == 304 and second.body == b""
    assert srv.requests[1].headers["If-None-Match"] == '"v1"'
    assert stats.not_modified == 1


async def test_max_body_size_from_header_and_from_stream():
    policy = replace(FAST, max_body=1000)
    async with Loopback() as srv:
        srv.route("/big", Reply.binary(b"x" * 5000))
        srv.route("/small", Reply.binary(b"x" * 900))
        srv.route("/stream", Reply.chunked(b"y" * 2500))  # no Content-Length: counted as it comes
        async with client_for(srv, policy) as http:
            with pytest.raises(FetchError, match="5,000 bytes, over the 1,000-byte limit"):
                await http.get("t", "/big")
            assert len((await http.get("t", "/small")).body) == 900
            with pytest.raises(FetchError, match="passed the 1,000-byte limit"):
                await http.get("t", "/stream")
            assert http.stats.faults["too_large"] == 2
    assert len(srv.hits("/big")) == 1  # not retried


async def test_rate_limit_spaces_requests():
    policy = replace(FAST, rate=10, burst=1)  # one request every 0.1 s
    async with Loopback() as srv:
        srv.route("/x", Reply.text("ok"))
        async with client_for(srv, policy) as http:
            started = time.monotonic()
            await asyncio.gather(*(http.get("t", "/x") for _ in range(6)))
            elapsed = time.monotonic() - started
    gaps = [b.at - a.at for a, b in zip(srv.requests, srv.requests[1:], strict=False)]
    assert elapsed >= 0.45
    assert min(gaps) >= 0.07


async def test_concurrency_bound_per_source():
    policy = replace(FAST, concurrency=2)
    async with Loopback() as srv:
        srv.route("/slow", Reply.delayed(0.15, Reply.text("ok")))
        async with client_for(srv, policy) as http:
            await asyncio.gather(*(http.get("t", "/slow") for _ in range(6)))
    assert srv.max_in_flight == 2


async def test_stats_record_bytes_and_per_source():
    async with Loopback() as srv:
        srv.route("/x", Reply.binary(b"z" * 1234))
        async with client_for(srv) as http:
            await http.get("t", "/x")
            record = http.stats.as_dict()
    assert record["bytes"] == 1234 and record["requests"] == 1
    assert record["per_source"]["t"]["requests"] == 1
    json.dumps(record)  # the run record stores it as JSON


def test_every_paper_source_has_a_policy_with_a_real_base_url_setting():
    for name in ("neurips", "pmlr", "cvf", "ecva", "acl_xml", "acl", "openreview", "openreview_v1"):
        assert DEFAULT_POLICIES[name].base_setting in SOURCE_URLS
    assert DEFAULT_POLICIES["arxiv"].rate <= 1 / 3


async def test_unopened_client_says_so():
    with pytest.raises(RuntimeError, match="not open"):
        await HttpClient().get("cvf", "/CVPR2024")
