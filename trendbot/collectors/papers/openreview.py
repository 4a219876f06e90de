"""OpenReview: ICLR 2018 onwards; NeurIPS 2021+ and ICML 2023+ as a cross-check.

Two APIs hold disjoint venues (a venueid query on the wrong one returns an empty list, not an
error, so the host is chosen from the table, never by falling back):
- API v2 (``OPENREVIEW_BASE_URL``, api2.openreview.net): ICLR 2024+, NeurIPS 2023+, ICML 2023+.
  Accepted papers are exactly the notes whose ``content.venueid`` is the venue id
  (``ICLR.cc/2024/Conference``); rejected ones carry ``…/Rejected_Submission`` and so on.
  ``GET /notes?content.venueid=…&limit=1000&offset=N`` pages through them; ``count`` comes back
  only when ``offset`` is sent, so it always is.
- API v1 (``OPENREVIEW_V1_BASE_URL``, api.openreview.net): ICLR 2018-2023, NeurIPS 2021-2022.
  Listing by invitation (``ICLR.cc/2019/Conference/-/Blind_Submission``); ``content.venueid`` is
  *not* a decision there (rejected papers carry it too), so the decision is read, in order, from:
  the decision reply (``details=directReplies``: 2018 ``Acceptance_Decision``, 2019
  ``Meta_Review`` ``recommendation``, 2020 ``Paper<N>/-/Decision``), else ``content.venue``
  ("ICLR 2022 Spotlight" accepted, "ICLR 2022 Submitted" / "Submitted to ICLR 2023" not).
  Rejected and workshop-invited submissions are kept (track ``rejected`` / ``workshop``) so the
  "all submissions" population the 2019 study used for ICLR 2020-2022 can still be told.

Access: since mid-2026 anonymous calls are refused, either with ``403`` and
``{"name": "ChallengeRequiredError"}`` or with a 200 HTML "Verifying your browser" page.
trendbot logs in (``POST /login`` with OPENREVIEW_USERNAME / OPENREVIEW_PASSWORD → bearer token,
valid on both hosts) when both are set; without them a refused call raises one sentence naming the
two settings and the venues that need them. A challenge despite a token is retried as transient.
OpenReview's ``429`` JSON names ``resetTime``; the HTTP policy waits for it up to its cap. A
later reset (the hourly allowance is spent) is a spent quota, not a fault of the source: the
listing stops at once, OpenReview is not asked again in the run, and the reason says when the
quota resets (local time and relative), so that a run after it collects the venue-year.

PDFs: ``{API}/pdf?id=<note id>`` per paper; :func:`attachment_batches` builds the bulk form
(``/attachment?ids=<≤50 ids>&name=pdf``, a zip) for the download step.

Shapes (note JSON of both APIs, counts, venue strings, rate-limit headers, the challenge page)
follow the responses recorded on 2026-09-27/29 by the openproceedings project
(github.com/uw-share-lab/openproceedings, backend/tests/fixtures/http/openreview/ and
docs/research/2026-09-27-openreview-and-proceedings-facts.md) and the openreview-py client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trendbot.collectors.http import FetchError, HttpClient, QuotaSpent
from trendbot.collectors.papers.base import (
    CollectError,
    Listing,
    PaperRef,
    QuotaLeft,
    clean_text,
)
from trendbot.collectors.quota import resets_phrase
from trendbot.storage.collectable import CALENDARS

SOURCE_V2 = "openreview"
SOURCE_V1 = "openreview_v1"
VENUES = ("ICLR", "NeurIPS", "ICML")
FIRST_YEAR = {"ICLR": CALENDARS["ICLR"].first, "NeurIPS": 2021, "ICML": 2023}  # cross-checks
PAGE_LIMIT = 1000  # the API's maximum ("limit must be <= 1000")
DETAILS_PAGE_LIMIT = 250  # pages with every direct reply are far larger
BATCH = 50  # ids per /attachment zip request
WEB = "https://openreview.net"
CREDENTIALS = ("OPENREVIEW_USERNAME", "OPENREVIEW_PASSWORD")  # named in collectable.NEEDS too
NEEDS_LOGIN = "ICLR 2018 onwards, NeurIPS 2021 onwards and ICML 2023 onwards"


@dataclass(frozen=True)
class Route:
    """One group of a venue-year to list: a v2 venue id, or a v1 submission invitation."""

    track: str
    main: bool
    venue_id: str = ""  # v2: content.venueid of accepted papers
    invitation: str = ""  # v1: the submission invitation
    decision_replies: bool = False  # v1: read the decision from direct replies


def covers(venue: str, year: int) -> bool:
    return venue in FIRST_YEAR and year >= FIRST_YEAR[venue]


def api_version(venue: str, year: int) -> int:
    if venue == "ICLR":
        return 1 if year <= 2023 else 2
    if venue == "NeurIPS":
        return 1 if year <= 2022 else 2
    return 2


def population(venue: str, year: int) -> str:
    if api_version(venue, year) == 1:
        return (
            f"accepted {venue} {year} papers by OpenReview decision (rejected and "
            "workshop-invited submissions recorded separately)"
        )
    extra = {
        "NeurIPS": " (Datasets and Benchmarks and position tracks recorded separately)",
        "ICML": " (the position paper track recorded separately)",
    }.get(venue, "")
    return f"accepted {venue} {year} main-conference papers on OpenReview{extra}"


def routes(venue: str, year: int) -> list[Route]:
    if not covers(venue, year):
        raise CollectError(
            f"trendbot lists {venue} from OpenReview only from {FIRST_YEAR.get(venue, '—')}, "
            f"not {year}."
        )
    org = "ICLR.cc" if venue == "ICLR" else f"{venue}.cc"
    if api_version(venue, year) == 1:
        return [
            Route(
                "main",
                True,
                invitation=f"{org}/{year}/Conference/-/Blind_Submission",
                decision_replies=venue == "ICLR" and year <= 2020,
            )
        ]
    found = [Route("main", True, venue_id=f"{org}/{year}/Conference")]
    if venue == "NeurIPS":
        db = {
            2023: "NeurIPS.cc/2023/Track/Datasets_and_Benchmarks",
            2024: "NeurIPS.cc/2024/Datasets_and_Benchmarks_Track",
            2025: "NeurIPS.cc/2025/Datasets_and_Benchmarks_Track",
        }.get(year, f"NeurIPS.cc/{year}/Evaluations_and_Datasets_Track")
        found.append(Route("datasets_and_benchmarks", False, venue_id=db))
    if venue in ("NeurIPS", "ICML") and year >= 2025:
        found.append(Route("position", False, venue_id=f"{org}/{year}/Position_Paper_Track"))
    return found


def attachment_batches(base_url: str, note_ids: list[str]) -> list[str]:
    """Bulk PDF URLs: one ``/attachment?ids=…&name=pdf`` zip per ≤50 notes."""
    base = base_url.rstrip("/")
    return [
        f"{base}/attachment?ids={','.join(note_ids[i : i + BATCH])}&name=pdf"
        for i in range(0, len(note_ids), BATCH)
    ]


# --- pure parsing ---------------------------------------------------------------------------------


def _value(content: Mapping[str, Any], name: str) -> Any:
    """A content field in either API: v2 wraps values as ``{"value": …}``, v1 does not."""
    raw = content.get(name)
    return raw.get("value") if isinstance(raw, dict) else raw


def _authors(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, list):
        return tuple(clean_text(str(a)) for a in raw if clean_text(str(a)))
    if isinstance(raw, str):  # ICLR 2017-style single string
        parts = raw.replace(" and ", ",").split(",")
        return tuple(clean_text(p) for p in parts if clean_text(p))
    return ()


def classify_decision(decision: str) -> str:
    """ "Accept (Oral)" → main; "Invite to Workshop Track" → workshop; anything else rejected."""
    text = decision.strip().lower()
    if text.startswith("accept"):
        return "main"
    if "workshop" in text:
        return "workshop"
    return "rejected"


def classify_venue(venue: str) -> str:
    """v1 ``content.venue``: "ICLR 2023 notable top 5%", "NeurIPS 2022 Accept" → main;
    "ICLR 2022 Submitted" / "Submitted to ICLR 2023" → rejected; "… Invite to Workshop"."""
    text = venue.strip().lower()
    if not text:
        return "undecided"
    if "submitted" in text or "reject" in text or "withdrawn" in text:
        return "rejected"
    if "workshop" in text:
        return "workshop"
    return "main"


def v1_track(note: Mapping[str, Any]) -> str:
    for reply in (note.get("details") or {}).get("directReplies") or []:
        invitation = str(reply.get("invitation", ""))
        content = reply.get("content") or {}
        if invitation.endswith(("Acceptance_Decision", "/Decision")):
            return classify_decision(str(content.get("decision", "")))
        if invitation.endswith("Meta_Review") and content.get("recommendation"):
            return classify_decision(str(content["recommendation"]))
    return classify_venue(str(_value(note.get("content") or {}, "venue") or ""))


def parse_notes(
    notes: list[Mapping[str, Any]], route: Route, venue: str, year: int, api_base: str, v1: bool
) -> list[PaperRef]:
    """Pure: rows from one page of notes."""
    papers = []
    for note in notes:
        content = note.get("content") or {}
        note_id = str(note.get("id") or note.get("forum") or "")
        if not note_id:
            continue
        if v1:
            track = v1_track(note)
            main = route.main and track == "main"
        else:
            venue_id = _value(content, "venueid")
            main = route.main and (venue_id in (None, route.venue_id))
            track = route.track if venue_id in (None, route.venue_id) else "other"
        pdf = _value(content, "pdf")
        forum = str(note.get("forum") or note_id)
        papers.append(
            PaperRef(
                venue=venue,
                year=year,
                key=f"openreview:{forum}",
                title=clean_text(str(_value(content, "title") or "")),
                authors=_authors(_value(content, "authors")),
                pdf_url=f"{api_base.rstrip('/')}/pdf?id={note_id}" if pdf else None,
                track=track,
                main=main,
                page_url=f"{WEB}/forum?id={forum}",
                note=clean_text(str(_value(content, "venue") or "")),
            )
        )
    return papers


# --- access ---------------------------------------------------------------------------------------


class _Challenge(ValueError):
    """A browser challenge instead of data (a ``check`` for the HTTP client: retried)."""

    kind = "challenge"
    reason = "OpenReview answered with a browser challenge instead of data"


def is_challenge(status: int, headers: Mapping[str, str], body: bytes) -> bool:
    if status == 403 and b"ChallengeRequiredError" in body[:2000]:
        return True
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return "html" in content_type.lower() and b"erifying your browser" in body[:5000]


def _credentials_error(venue: str, year: int) -> CollectError:
    return CollectError(
        f"OpenReview refused anonymous access while listing {venue} {year}: set "
        f"OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD (a free openreview.net account), which "
        f"trendbot needs for {NEEDS_LOGIN}."
    )


async def login_headers(http: HttpClient) -> dict[str, str]:
    """A bearer token for both APIs, once per run; {} when no credentials are configured."""
    if "openreview_token" in http.state:
        token = http.state["openreview_token"]
        return {"Authorization": f"Bearer {token}"} if token else {}
    user, password = (str(http.env.get(name) or "").strip() for name in CREDENTIALS)
    if not (user and password):
        http.state["openreview_token"] = None
        return {}
    try:
        got = await http.request(
            SOURCE_V2,
            "POST",
            "/login",
            json_body={"id": user, "password": password},
            ok_statuses=(400, 401, 403),
        )
    except QuotaSpent as exc:
        raise _spent(exc, "logging in") from None
    except FetchError as exc:
        raise CollectError(f"OpenReview login failed: {exc.reason}") from None
    try:
        token = got.json().get("token") if got.status == 200 else None
    except (ValueError, AttributeError):
        token = None
    if not token:
        raise CollectError(
            f"OpenReview refused the login for OPENREVIEW_USERNAME (HTTP {got.status}); "
            "check the account name and password."
        )
    http.state["openreview_token"] = token
    return {"Authorization": f"Bearer {token}"}


def _spent(exc: QuotaSpent, doing: str) -> QuotaLeft:
    """One sentence for a spent OpenReview quota: not a fault, and when to come back."""
    return QuotaLeft(
        f"OpenReview's request quota is spent ({doing}); the quota "
        f"{resets_phrase(exc.resets_at)}, and a run after that collects it.",
        exc.resets_at,
    )


async def _page(
    http: HttpClient,
    source: str,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    venue: str,
    year: int,
) -> dict[str, Any]:
    def check(body: bytes) -> None:
        if headers and (
            b"ChallengeRequiredError" in body[:2000] or b"erifying your browser" in body[:5000]
        ):
            raise _Challenge()

    try:
        got = await http.get(
            source, "/notes", params=params, headers=headers, ok_statuses=(403,), check=check
        )
    except QuotaSpent as exc:
        raise _spent(exc, f"listing {venue} {year}") from None
    except FetchError as exc:
        if exc.kind == "challenge":
            raise CollectError(
                "OpenReview still demands a browser challenge although trendbot logged in; "
                "try again later."
            ) from None
        raise
    if is_challenge(got.status, got.headers, got.body):
        raise _credentials_error(venue, year)
    if got.status == 403:
        raise CollectError(f"OpenReview refused the request (HTTP 403: {got.text()[:120]}).")
    try:
        data = json.loads(got.body)
    except ValueError:
        raise CollectError(
            f"OpenReview answered {venue} {year} with something that is not JSON."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        raise CollectError(f"OpenReview's answer for {venue} {year} has no notes list.")
    return data


async def _list_route(
    http: HttpClient, route: Route, venue: str, year: int, headers: dict[str, str]
) -> tuple[list[PaperRef], int | None, list[str]]:
    v1 = bool(route.invitation)
    source = SOURCE_V1 if v1 else SOURCE_V2
    limit = DETAILS_PAGE_LIMIT if route.decision_replies else PAGE_LIMIT
    query = [("invitation", route.invitation)] if v1 else [("content.venueid", route.venue_id)]
    if route.decision_replies:
        query.append(("details", "directReplies"))
    papers: list[PaperRef] = []
    urls: list[str] = []
    total: int | None = None
    offset = 0
    while True:
        params = [*query, ("limit", str(limit)), ("offset", str(offset))]
        data = await _page(http, source, params, headers, venue, year)
        urls.append(http.url(source, "/notes"))
        notes = data["notes"]
        if isinstance(data.get("count"), int):
            total = data["count"]
        papers += await asyncio.to_thread(
            parse_notes, notes, route, venue, year, http.base_url(source), v1
        )
        offset += len(notes)
        if not notes or len(notes) < limit or (total is not None and offset >= total):
            break
    return papers, total, urls[:1]


async def fetch_listing(http: HttpClient, venue: str, year: int) -> Listing:
    todo = routes(venue, year)
    headers = await login_headers(http)
    papers: dict[str, PaperRef] = {}
    urls: list[str] = []
    notes: list[str] = []
    for route in todo:
        found, total, used = await _list_route(http, route, venue, year, headers)
        urls += used
        for paper in found:
            papers.setdefault(paper.key, paper)
        label = route.venue_id or route.invitation
        notes.append(f"{label}: {len(found)} notes" + (f" of {total}" if total is not None else ""))
        if total is not None and len(found) != total:
            notes.append(f"{label}: OpenReview counted {total} but returned {len(found)}")
    if not any(p.main for p in papers.values()):
        raise CollectError(
            f"OpenReview has no accepted {venue} {year} papers yet "
            f"({todo[0].venue_id or todo[0].invitation})."
        )
    return Listing(
        venue,
        year,
        SOURCE_V1 if api_version(venue, year) == 1 else SOURCE_V2,
        population(venue, year),
        tuple(papers.values()),
        tuple(dict.fromkeys(urls)),
        notes=tuple(notes),
    )
