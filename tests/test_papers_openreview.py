"""OpenReview listings over loopback: v2 paging, v1 decisions, login, challenges, 429s."""

from __future__ import annotations

import copy
import json
import logging
import time

import pytest
from aiohttp import web

from tests.support.loopback import Loopback, Reply
from tests.support.papers_support import fixture, loopback_client, study_totals
from trendbot.collectors import policy as orv_policy
from trendbot.collectors.papers import openreview as orv
from trendbot.collectors.papers.base import CollectError

CREDS = {"OPENREVIEW_USERNAME": "me@example.org", "OPENREVIEW_PASSWORD": "s3cret-pw"}
ERRORS = json.loads(fixture("openreview", "errors.json"))
TEMPLATE = json.loads(fixture("openreview", "v2_note_iclr2024.json"))


def v2_notes(total: int, venue_id: str = "ICLR.cc/2024/Conference"):
    """A v2 notes endpoint over ``total`` accepted notes, paged by offset/limit like the API."""

    def handler(request: web.Request) -> Reply:
        if request.query.get("content.venueid") != venue_id:
            return Reply.json({"notes": [], "count": 0})
        limit, offset = int(request.query["limit"]), int(request.query.get("offset", 0))
        if limit > 1000:
            return Reply.json({"name": "ValidationError", "message": "limit must be <= 1000"}, 400)
        page = []
        for n in range(offset, min(offset + limit, total)):
            note = copy.deepcopy(TEMPLATE)
            note["id"] = note["forum"] = f"note{n:05d}"
            note["content"]["title"]["value"] = f"Paper {n}"
            note["content"]["venueid"]["value"] = venue_id
            page.append(note)
        body = {"notes": page}
        if "offset" in request.query:  # the API sends count only when offset is given
            body["count"] = total
        return Reply.json(body)

    return handler


def login_ok(request: web.Request) -> Reply:
    return Reply.json(ERRORS["login_ok"])


def test_routes_and_api_versions():
    assert [r.invitation for r in orv.routes("ICLR", 2019)] == [
        "ICLR.cc/2019/Conference/-/Blind_Submission"
    ]
    assert orv.routes("ICLR", 2020)[0].decision_replies
    assert not orv.routes("ICLR", 2021)[0].decision_replies
    assert [r.venue_id for r in orv.routes("ICLR", 2025)] == ["ICLR.cc/2025/Conference"]
    neurips = orv.routes("NeurIPS", 2024)
    assert [(r.venue_id, r.main) for r in neurips] == [
        ("NeurIPS.cc/2024/Conference", True),
        ("NeurIPS.cc/2024/Datasets_and_Benchmarks_Track", False),
    ]
    assert (
        orv.routes("NeurIPS", 2023)[1].venue_id == "NeurIPS.cc/2023/Track/Datasets_and_Benchmarks"
    )
    assert orv.routes("ICML", 2025)[1].venue_id == "ICML.cc/2025/Position_Paper_Track"
    assert orv.api_version("NeurIPS", 2022) == 1 and orv.api_version("ICLR", 2024) == 2
    with pytest.raises(CollectError, match="only from 2018"):
        orv.routes("ICLR", 2017)


def test_attachment_batches_hold_at_most_50_ids():
    urls = orv.attachment_batches("https://api2.openreview.net/", [f"id{i}" for i in range(120)])
    assert len(urls) == 3
    assert urls[0].startswith("https://api2.openreview.net/attachment?ids=id0,id1,")
    assert [u.count(",") + 1 for u in urls] == [50, 50, 20]
    assert all(u.endswith("&name=pdf") for u in urls)


async def test_v2_pages_through_every_accepted_note_with_a_login(caplog):
    caplog.set_level(logging.DEBUG)
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        srv.handler("/notes", v2_notes(2260))  # ICLR 2024: 2,260 accepted (openproceedings count)
        async with loopback_client(srv, env=CREDS) as http:
            listing = await orv.fetch_listing(http, "ICLR", 2024)
    assert listing.main_count == 2260 and len({p.key for p in listing.papers}) == 2260
    pages = srv.hits("/notes")
    assert [(r.query["limit"], r.query["offset"]) for r in pages] == [
        ("1000", "0"),
        ("1000", "1000"),
        ("1000", "2000"),
    ]
    assert all(r.headers["Authorization"] == "Bearer " + ERRORS["login_ok"]["token"] for r in pages)
    (login,) = srv.hits("/login")
    assert json.loads(login.body) == {"id": "me@example.org", "password": "s3cret-pw"}
    assert "s3cret-pw" not in caplog.text and "me@example.org" not in caplog.text
    first = listing.papers[0]
    assert first.pdf_url == srv.base + "/pdf?id=note00000"
    assert first.page_url == "https://openreview.net/forum?id=note00000"
    assert first.authors == ("Ada Lovelace", "Alan Turing") and first.note == "ICLR 2024 poster"
    assert listing.notes == ("ICLR.cc/2024/Conference: 2260 notes of 2260",)


@pytest.mark.parametrize(
    "refusal",
    [
        Reply.json(ERRORS["challenge_403"], 403),
        Reply.html(ERRORS["challenge_html"]),
    ],
)
async def test_anonymous_refusal_names_the_missing_settings(refusal):
    async with Loopback() as srv:
        srv.route("/notes", refusal)
        async with loopback_client(srv) as http:
            with pytest.raises(CollectError) as err:
                await orv.fetch_listing(http, "ICLR", 2025)
    message = str(err.value)
    assert "OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD" in message
    assert "ICLR 2018 onwards" in message and "\n" not in message
    assert len(srv.hits("/notes")) == 1  # no pointless retries without credentials
    assert srv.hits("/login") == []


async def test_challenge_despite_a_token_is_retried():
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        ok = v2_notes(3)
        calls = []

        def notes(request):
            calls.append(1)
            return Reply.json(ERRORS["challenge_403"], 403) if len(calls) == 1 else ok(request)

        srv.handler("/notes", notes)
        async with loopback_client(srv, env=CREDS) as http:
            listing = await orv.fetch_listing(http, "ICLR", 2024)
            assert http.stats.faults["challenge"] == 1
    assert listing.main_count == 3


async def test_refused_login_is_one_sentence():
    async with Loopback() as srv:
        srv.route("/login", Reply.json(ERRORS["login_refused"], 400))
        async with loopback_client(srv, env=CREDS) as http:
            with pytest.raises(CollectError, match=r"refused the login .*HTTP 400.*password\.$"):
                await orv.fetch_listing(http, "ICLR", 2024)


async def test_rate_limit_429_waits_for_reset_time():
    body = copy.deepcopy(ERRORS["rate_limit_429"])
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        ok = v2_notes(2)
        calls = []

        def notes(request):
            calls.append(time.monotonic())
            if len(calls) == 1:
                reset = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1.2))
                body["details"]["resetTime"] = reset + ".000Z"
                return Reply.json(body, 429)
            return ok(request)

        srv.handler("/notes", notes)
        async with loopback_client(srv, env=CREDS) as http:
            listing = await orv.fetch_listing(http, "ICLR", 2024)
    assert listing.main_count == 2
    assert calls[1] - calls[0] >= 0.15  # waited for resetTime (second resolution), not backoff


async def test_a_spent_rate_limit_is_reported_with_its_reset_time_and_asked_no_more():
    """The real 429 (an hour's allowance spent): no hour of sleeping, no hammering — the listing
    stops with the reset time, local and relative, and OpenReview is not asked again."""
    body = copy.deepcopy(ERRORS["rate_limit_429"])
    reset = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 3613))
    body["details"]["resetTime"] = reset + ".212Z"
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        srv.route("/notes", Reply.json(body, 429))
        async with loopback_client(srv, env=CREDS) as http:
            with pytest.raises(CollectError) as err:
                await orv.fetch_listing(http, "ICLR", 2024)
            with pytest.raises(CollectError) as again:
                await orv.fetch_listing(http, "ICLR", 2025)
    assert len(srv.hits("/notes")) == 1
    text = str(err.value)
    assert "quota is spent (listing ICLR 2024)" in text and ", in 1 h 01 min" in text
    assert "resets at " in text and "a run after that collects it" in text
    assert "quota is spent (listing ICLR 2025)" in str(again.value)


def test_openreview_429_without_reset_time_reads_the_message():
    message = ERRORS["rate_limit_429"]["message"]
    body = json.dumps({"name": "RateLimitError", "message": message, "status": 429}).encode()
    throttle = orv_policy.openreview_rate_limit(429, {}, body)
    assert throttle is not None and throttle.wait == 60 * 60 + 13


async def test_v1_2018_decisions_from_direct_replies():
    page = json.loads(fixture("openreview", "v1_iclr2018_page.json"))
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        srv.route("/v1/notes", Reply.json(page))
        async with loopback_client(srv, env=CREDS) as http:
            listing = await orv.fetch_listing(http, "ICLR", 2018)
    (request,) = srv.hits("/v1/notes")
    assert request.query["invitation"] == "ICLR.cc/2018/Conference/-/Blind_Submission"
    assert request.query["details"] == "directReplies" and request.query["limit"] == "250"
    tracks = {p.key: (p.track, p.main) for p in listing.papers}
    assert tracks == {
        "openreview:ryBnUWb0b": ("main", True),
        "openreview:Hk2aImxAb": ("main", True),
        "openreview:SyWorkshop": ("workshop", False),
        "openreview:rJLTTe-0W": ("rejected", False),
        "openreview:NoDecision": ("undecided", False),
    }
    assert listing.main[0].pdf_url == srv.base + "/v1/pdf?id=ryBnUWb0b"
    assert listing.source == "openreview_v1"
    assert "rejected and workshop-invited submissions recorded separately" in listing.population


async def test_v1_2019_meta_review_and_2022_venue_strings():
    async with Loopback() as srv:
        srv.handler("/login", login_ok)

        def pages(request):
            name = (
                "v1_iclr2019_page.json"
                if "2019" in request.query["invitation"]
                else "v1_iclr2022_page.json"
            )
            return Reply.json(json.loads(fixture("openreview", name)))

        srv.handler("/v1/notes", pages)
        async with loopback_client(srv, env=CREDS) as http:
            y2019 = await orv.fetch_listing(http, "ICLR", 2019)
            y2022 = await orv.fetch_listing(http, "ICLR", 2022)
    assert [(p.track, p.main) for p in y2019.papers] == [("rejected", False), ("main", True)]
    assert [(p.track, p.main) for p in y2022.papers] == [
        ("main", True),
        ("main", True),
        ("rejected", False),
    ]
    assert y2022.papers[1].authors == ("Post Er", "Sec Ond")
    assert "details" not in srv.hits("/v1/notes")[-1].query
    assert len(srv.hits("/login")) == 1  # one login per run


def test_decision_vocabulary():
    assert orv.classify_decision("Accept (Oral)") == "main"
    assert orv.classify_decision("Invite to Workshop Track") == "workshop"
    assert orv.classify_decision("Reject") == "rejected"
    for accepted in (
        "ICLR 2023 notable top 5%",
        "ICLR 2023 poster",
        "NeurIPS 2022 Accept",
        "ICLR 2021 Oral",
    ):
        assert orv.classify_venue(accepted) == "main"
    for rejected in ("Submitted to ICLR 2023", "ICLR 2022 Submitted", "NeurIPS 2021 Submitted"):
        assert orv.classify_venue(rejected) == "rejected"
    assert orv.classify_venue("ICLR 2017 Invite to Workshop") == "workshop"


async def test_neurips_cross_check_lists_datasets_and_benchmarks_apart():
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        main, db = (
            v2_notes(4, "NeurIPS.cc/2024/Conference"),
            v2_notes(2, "NeurIPS.cc/2024/Datasets_and_Benchmarks_Track"),
        )

        def notes(request):
            if request.query["content.venueid"].endswith("Track"):
                reply = db(request)
                data = json.loads(reply.body)
                for n in data["notes"]:
                    n["id"] = n["forum"] = "db" + n["id"]
                return Reply.json(data)
            return main(request)

        srv.handler("/notes", notes)
        async with loopback_client(srv, env=CREDS) as http:
            listing = await orv.fetch_listing(http, "NeurIPS", 2024)
    assert listing.tracks() == {"main": 4, "datasets_and_benchmarks": 2}
    assert listing.main_count == 4


def test_study_iclr_totals_match_openreview_decisions():
    # Accepted counts by OpenReview decision (openproceedings, 2026-09-27): 2018 23 oral + 314
    # poster; the study's 2019 and 2020 totals are OpenReview's accepted lists too.
    assert study_totals()[("ICLR", 2018)] == 23 + 314
