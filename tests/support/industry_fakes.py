"""Fake industry sources that answer in the real formats, from data a test chooses.

One ``FakeIndustry`` serves every industry API behind one loopback server (their paths do not
collide): GitHub REST, HN Algolia search, Stack Exchange 2.3, the Hugging Face Hub, the arXiv API,
pypistats.org, and, when chDB can be imported, ClickHouse's HTTP interface answering the
collector's real SQL with a real ClickHouse engine (``tests/support/clickhouse_chdb.py``).

Each fake keeps its source's manners: GitHub's ETags (a matching ``If-None-Match`` gets a 304 that
costs no quota), its ``x-ratelimit-*`` headers and ``Link`` pagination through
``/repositories/{id}/…`` URLs; Algolia's ``hitsPerPage``, ``page``, ``numericFilters`` and its
1,000-hit limit; Stack Exchange's gzip bodies, ``filter=total``, quota and errors as HTTP 400;
the Hub's bare arrays with a ``Link`` cursor and no total (and ``numTotalItems`` from
``/models-json``); arXiv's Atom with ``opensearch:totalResults`` and a search that matches words.
The answers' shapes come from the recordings in ``tests/fixtures/industry`` (each names its
origin) and the sources' documentation.

``faults`` injects replies: ``fake.fault("/repos/pytorch/pytorch", Reply.error(502))`` makes the
next request to that path (prefix) get a 502 instead of its answer; several queue up in order.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
import gzip
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.support.loopback import Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "industry"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def unix(day: dt.date) -> int:
    return calendar.timegm(day.timetuple())


def month_of(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date().replace(day=1)


# -- GitHub ----------------------------------------------------------------------------------------
@dataclass
class Repo:
    full_name: str
    repo_id: int
    stars: int
    forks: int
    issues: int
    contributors: int
    created: dt.date
    weekly: list[int] = field(default_factory=list)  # stars per week, oldest first
    history: bool = True  # whether stargazers/history answers
    too_large: bool = False  # contributors: "too large to list"


def week_start(day: dt.date) -> dt.date:
    """The Sunday a week starts on."""
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


class FakeGitHub:
    PER_PAGE_MAX = 30  # stargazers/history

    def __init__(self, repos: list[Repo], today: dt.date, limit: int = 5000) -> None:
        self.repos = {r.full_name.lower(): r for r in repos}
        self.by_id = {r.repo_id: r for r in repos}
        self.today = today
        self.limit = limit
        self.remaining = limit
        self.reset = unix(today) + 3600
        self.quota_used = 0
        self.auth_seen: list[str | None] = []
        base = _load("github_repo.json")
        self.headers = [tuple(h) for h in base["headers"]]
        self.repo_template = base["body"]

    def _headers(self, etag: str | None = None, link: str | None = None) -> tuple:
        drop = {"etag", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset",
                "x-ratelimit-limit", "link"}  # fmt: skip
        out = [h for h in self.headers if h[0].lower() not in drop]
        out += [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(self.reset)),
            ("X-RateLimit-Used", str(self.limit - self.remaining)),
        ]
        if etag:
            out.append(("ETag", etag))
        if link:
            out.append(("Link", link))
        return tuple(out)

    def _answer(self, request: web.Request, body: Any, link: str | None = None) -> Reply:
        data = json.dumps(body).encode()
        etag = '"' + hashlib.sha256(data).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            # A 304 repeats the validators and costs no quota.
            return Reply(304, b"", headers=self._headers(etag, link))
        if self.remaining <= 0:
            body = {
                "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
                "Authenticated requests get a higher rate limit. Check out the documentation "
                "for more details.)",
                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-"
                "rest-api#rate-limiting",
            }
            return Reply(403, json.dumps(body).encode(), self._headers(), "application/json")
        self.remaining -= 1
        self.quota_used += 1
        return Reply(200, data, self._headers(etag, link), "application/json")

    def _repo(self, parts: list[str]) -> tuple[Repo | None, list[str]]:
        if parts[0] == "repositories":
            return self.by_id.get(int(parts[1])), parts[2:]
        return self.repos.get(f"{parts[1]}/{parts[2]}".lower()), parts[3:]

    def handle(self, request: web.Request) -> Reply | None:
        parts = request.path.strip("/").split("/")
        if parts[0] not in ("repos", "repositories") or len(parts) < 2:
            return None
        self.auth_seen.append(request.headers.get("Authorization"))
        repo, rest = self._repo(parts)
        if repo is None:
            body = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            return Reply(404, json.dumps(body).encode(), self._headers(), "application/json")
        if not rest:
            body = dict(self.repo_template)
            body.update(
                id=repo.repo_id,
                full_name=repo.full_name,
                name=repo.full_name.split("/")[1],
                created_at=f"{repo.created}T00:00:00Z",
                stargazers_count=repo.stars,
                watchers_count=repo.stars,
                forks_count=repo.forks,
                forks=repo.forks,
                open_issues_count=repo.issues,
                open_issues=repo.issues,
            )
            return self._answer(request, body)
        if rest == ["contributors"]:
            return self._contributors(request, repo)
        if rest == ["stargazers", "history"]:
            return self._history(request, repo)
        return None

    send_links = True  # False: page without Link headers (not GitHub's way; a stricter test)

    def _link(self, repo: Repo, what: str, params: dict, page: int, last: int) -> str | None:
        if not self.send_links:
            return None

        def url(p: int) -> str:
            return (
                f"{self.base}/repositories/{repo.repo_id}/{what}?{urlencode({**params, 'page': p})}"
            )

        links = []
        if page < last:
            links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
        return ", ".join(links) or None

    def _contributors(self, request: web.Request, repo: Repo) -> Reply:
        if repo.too_large:
            body = {
                "message": "The history or contributor list is too large to list contributors "
                "for this repository via the API.",
                "documentation_url": "https://docs.github.com/rest/repos/repos#list-repository-"
                "contributors",
                "status": "403",
            }
            return Reply(403, json.dumps(body).encode(), self._headers(), "application/json")
        per_page = int(request.query.get("per_page", 30))
        page = int(request.query.get("page", 1))
        last = max(1, math.ceil(repo.contributors / per_page))
        start = (page - 1) * per_page
        items = [
            {"login": f"dev{i}", "id": 1000 + i, "type": "User", "site_admin": False,
             "contributions": 10_000 - i}
            if i % 3 else
            {"email": f"dev{i}@example.com", "name": f"Dev {i}", "type": "Anonymous",
             "contributions": 10_000 - i}
            for i in range(start, min(start + per_page, repo.contributors))
        ]  # fmt: skip
        if repo.contributors == 0:
            return Reply(204, b"", self._headers())
        params = {"per_page": per_page, "anon": request.query.get("anon", "0")}
        return self._answer(request, items, self._link(repo, "contributors", params, page, last))

    def weeks(self, repo: Repo) -> list[tuple[int, int]]:
        """(week start, stars), oldest first, the last one being the running week."""
        first = week_start(repo.created)
        return [(unix(first + dt.timedelta(weeks=i)), n) for i, n in enumerate(repo.weekly)]

    def _history(self, request: web.Request, repo: Repo) -> Reply:
        if not repo.history:
            return Reply(404, json.dumps({"message": "Not Found"}).encode(), self._headers(),
                         "application/json")  # fmt: skip
        per_page = min(int(request.query.get("per_page", 30)), self.PER_PAGE_MAX)
        page = int(request.query.get("page", 1))
        newest = list(reversed(self.weeks(repo)))
        last = max(1, math.ceil(len(newest) / per_page))
        chunk = newest[(page - 1) * per_page : page * per_page]
        body = [
            {"week": w, "total": n, "days": [n // 7 + (1 if d < n % 7 else 0) for d in range(7)]}
            for w, n in chunk
        ]
        params = {"per_page": per_page}
        return self._answer(
            request, body, self._link(repo, "stargazers/history", params, page, last)
        )

    base = ""  # set by FakeIndustry: the server's URL, for Link headers


# -- HN Algolia ------------------------------------------------------------------------------------
@dataclass
class Thread:
    story_id: int
    month: dt.date
    ads: list[str]  # top-level comments' HTML
    replies: int = 0  # replies to ads (not ads themselves)
    title: str | None = None


class FakeAlgolia:
    CAP = 1000

    def __init__(self, threads: list[Thread]) -> None:
        self.stories: list[dict] = []
        self.threads = {t.story_id: t for t in threads}
        self._cached: tuple[int, list[dict]] | None = None
        envelope = _load("hn_envelope.json")["envelope"]
        self.envelope = {k: v for k, v in envelope.items() if k not in ("hitsPerPage", "nbHits")}
        for t in threads:
            title = t.title or f"Ask HN: Who is hiring? ({t.month:%B %Y})"
            posted = self.posted(t)
            self.stories.append(self._story(t.story_id, title, posted, len(t.ads) + t.replies))
            # the account's other threads of the month
            self.stories.append(self._story(t.story_id - 1, f"Ask HN: Who wants to be hired? "
                                            f"({t.month:%B %Y})", posted, 50))  # fmt: skip
            freelance = f"Ask HN: Freelancer? Seeking freelancer? ({t.month:%B %Y})"
            self.stories.append(self._story(t.story_id - 2, freelance, posted, 20))

    @staticmethod
    def posted(t: Thread) -> int:
        return unix(t.month) + 15 * 3600

    def comments(self, story_id: int) -> list[dict]:
        """The thread's comments (built when asked for: a backfill has a hundred threads)."""
        if self._cached and self._cached[0] == story_id:
            return self._cached[1]
        t = self.threads.get(story_id)
        hits: list[dict] = []
        if t is not None:
            posted = self.posted(t)
            for i, text in enumerate(t.ads):
                cid = t.story_id * 10_000 + i + 1
                hits.append(self._comment(cid, t.story_id, t.story_id, text, posted + 60 * i))
            for j in range(t.replies):
                parent = int(hits[j % len(hits)]["objectID"]) if hits else t.story_id
                cid = t.story_id * 10_000 + 5000 + j
                hits.append(self._comment(cid, parent, t.story_id, "Sent you an email, "
                                          "pytorch experience", posted + 30 * j + 7))  # fmt: skip
        self._cached = (story_id, hits)
        return hits

    @staticmethod
    def _story(sid: int, title: str, ts: int, comments: int) -> dict:
        return {
            "_highlightResult": {"title": {"value": title, "matchLevel": "none",
                                           "matchedWords": []}},
            "_tags": ["story", "author_whoishiring", f"story_{sid}", "ask_hn"],
            "author": "whoishiring",
            "children": [],
            "created_at": dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at_i": ts,
            "num_comments": comments,
            "objectID": str(sid),
            "points": 400,
            "story_id": sid,
            "title": title,
            "updated_at": "2026-11-20T10:00:00Z",
        }  # fmt: skip

    @staticmethod
    def _comment(cid: int, parent: int, story: int, text: str, ts: int) -> dict:
        return {
            "_highlightResult": {"comment_text": {"value": text, "matchLevel": "none",
                                                  "matchedWords": []}},
            "_tags": ["comment", f"author_user{cid % 97}", f"story_{story}"],
            "author": f"user{cid % 97}",
            "comment_text": text,
            "created_at": dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at_i": ts,
            "objectID": str(cid),
            "parent_id": parent,
            "points": None,
            "story_id": story,
            "story_title": "Ask HN: Who is hiring?",
            "story_url": None,
            "updated_at": "2026-11-20T10:00:00Z",
        }  # fmt: skip

    @staticmethod
    def _numeric(filters: str, hit: dict) -> bool:
        for cond in filters.split(","):
            m = re.fullmatch(r"\s*(\w+)\s*(>=|<=|>|<|=)\s*(-?\d+)\s*", cond)
            if not m:
                raise ValueError(cond)
            value, op, limit = hit.get(m.group(1)), m.group(2), int(m.group(3))
            ok = {">=": value >= limit, "<=": value <= limit, ">": value > limit,
                  "<": value < limit, "=": value == limit}[op]  # fmt: skip
            if not ok:
                return False
        return True

    def handle(self, request: web.Request) -> Reply | None:
        if request.path not in ("/api/v1/search", "/api/v1/search_by_date"):
            return None
        q = request.query
        tags = [t for t in q.get("tags", "").split(",") if t]
        pool: list[dict]
        if "comment" in tags:
            story = next((int(t[6:]) for t in tags if t.startswith("story_")), None)
            pool = list(self.comments(story)) if story is not None else []
        else:
            pool = [s for s in self.stories if all(t in s["_tags"] for t in tags)]
        try:
            if q.get("numericFilters"):
                pool = [h for h in pool if self._numeric(q["numericFilters"], h)]
        except ValueError as exc:
            return Reply.json({"message": f"invalid numericFilters {exc}", "status": 400}, 400)
        if request.path.endswith("search_by_date"):
            pool.sort(key=lambda h: h["created_at_i"], reverse=True)
        else:  # relevance: an order that is not the order of time
            pool.sort(key=lambda h: hashlib.md5(h["objectID"].encode()).hexdigest())
        per = min(int(q.get("hitsPerPage", 20)), self.CAP)
        page = int(q.get("page", 0))
        reachable = pool[: self.CAP]
        if per and page * per >= self.CAP:
            return Reply.json({"message": "you can only fetch the 1000 hits for this query. You "
                               "can extend the number of hits returned via the "
                               "paginationLimitedTo index parameter or use the browse method.",
                               "status": 400}, 400)  # fmt: skip
        hits = reachable[page * per : (page + 1) * per] if per else []
        body = {
            **self.envelope,
            "hits": hits,
            "hitsPerPage": per,
            "nbHits": len(pool),
            "nbPages": math.ceil(len(reachable) / per) if per else 0,
            "page": page,
            "exhaustiveNbHits": True,
            "params": urlencode(dict(q)),
            "query": q.get("query", ""),
        }
        headers = (("access-control-allow-origin", "*"), ("server", "Google Frontend"),
                   ("via", "1.1 google"))  # fmt: skip
        return Reply(200, json.dumps(body).encode(), headers, "application/json")


# -- Stack Exchange --------------------------------------------------------------------------------
@dataclass
class Question:
    qid: int
    tags: frozenset[str]
    created: int


class FakeStackExchange:
    def __init__(
        self,
        questions: list[Question],
        untagged_per_month: dict[dt.date, int] | None = None,
        quota: int = 10_000,
    ) -> None:
        self.by_tag: dict[str, list[tuple[int, int]]] = {}  # tag → sorted (created, id)
        for x in questions:
            for t in x.tags:
                self.by_tag.setdefault(t, []).append((x.created, x.qid))
        for items in self.by_tag.values():
            items.sort()
        self.all = sorted({(x.created, x.qid) for x in questions})
        self.untagged = untagged_per_month or {}
        self.quota_max = quota
        self.quota_remaining = quota
        self.keys_seen: list[str | None] = []
        self.backoff_next: int | None = None
        self.answered_at: list[float] = []
        # Answers left before the address is refused whatever quota_remaining said (another
        # client on the same address spent the day's quota); None: no such limit.
        self.address_left: int | None = None
        self.available_in = 19564  # seconds, as the throttle_violation message says

    def _reply(self, body: dict, status: int = 200) -> Reply:
        if self.backoff_next is not None:
            body = {**body, "backoff": self.backoff_next}
            self.backoff_next = None
        data = gzip.compress(json.dumps(body).encode())
        headers = (("Content-Encoding", "gzip"), ("Access-Control-Allow-Origin", "*"))
        return Reply(status, data, headers, "application/json")

    def error(self, error_id: int, name: str, message: str) -> Reply:
        body = {"error_id": error_id, "error_message": message, "error_name": name}
        return self._reply(body, 400)

    def _wrapper(self, items: list, has_more: bool) -> dict:
        return {"items": items, "has_more": has_more, "quota_max": self.quota_max,
                "quota_remaining": self.quota_remaining}  # fmt: skip

    def _span(self, tagged: list[str], lo: int, hi: int) -> list[tuple[int, int]]:
        pool = self.by_tag.get(tagged[0], []) if tagged else self.all
        chosen = pool[bisect.bisect_left(pool, (lo, -1)) : bisect.bisect_right(pool, (hi, 2**62))]
        for t in tagged[1:]:
            other = {q for _, q in self.by_tag.get(t, [])}
            chosen = [c for c in chosen if c[1] in other]
        return chosen

    def handle(self, request: web.Request) -> Reply | None:
        if not request.path.startswith("/2.3/"):
            return None
        import time

        self.answered_at.append(time.monotonic())
        q = request.query
        self.keys_seen.append(q.get("key"))
        if q.get("site") != "stackoverflow":
            return self.error(400, "bad_parameter", "site is required")
        if self.quota_remaining <= 0 or self.address_left == 0:
            return self.error(502, "throttle_violation", "too many requests from this IP, more "
                              f"requests available in {self.available_in} seconds")  # fmt: skip
        self.quota_remaining -= 1
        if self.address_left is not None:
            self.address_left -= 1
        m = re.fullmatch(r"/2\.3/tags/([^/]+)/info", request.path)
        if m:
            items = []
            for name in m.group(1).split(";"):
                n = len(self.by_tag.get(name, []))
                if n:
                    items.append({"has_synonyms": False, "is_moderator_only": False,
                                  "is_required": False, "count": n, "name": name})  # fmt: skip
            return self._reply(self._wrapper(items, False))
        if request.path != "/2.3/questions":
            return self.error(404, "no_method", "no method found with this name")
        tagged = [t for t in q.get("tagged", "").split(";") if t]
        lo = int(q.get("fromdate", 0))
        hi = int(q.get("todate", 2**40))
        chosen = self._span(tagged, lo, hi)
        if q.get("filter") == "total":
            total = len(chosen)
            if not tagged:
                total += sum(n for m, n in self.untagged.items() if lo <= unix(m) <= hi)
            return self._reply({"total": total})
        if q.get("order", "desc") == "desc":
            chosen = list(reversed(chosen))
        size = min(int(q.get("pagesize", 30)), 100)
        page = int(q.get("page", 1))
        part = chosen[(page - 1) * size : page * size]
        items = [
            {"tags": tagged or ["python"], "is_answered": False, "view_count": 10,
             "answer_count": 0, "score": 0, "creation_date": created,
             "last_activity_date": created, "question_id": qid,
             "link": f"https://stackoverflow.com/questions/{qid}", "title": f"Question {qid}"}
            for created, qid in part
        ]  # fmt: skip
        return self._reply(self._wrapper(items, page * size < len(chosen)))


# -- Hugging Face ----------------------------------------------------------------------------------
class FakeHub:
    def __init__(self, counts: dict[str, int], models_json: bool = True) -> None:
        self.counts = counts
        self.models_json = models_json
        self.remaining = 500
        self.window_left = 120  # seconds until the window resets, as RateLimit's t= says

    def _headers(self, extra: tuple = ()) -> tuple:
        return (
            ("ratelimit", f'"api";r={max(0, self.remaining)};t={self.window_left}'),
            ("ratelimit-policy", '"fixed window";"api";q=500;w=300'),
            ("x-powered-by", "huggingface-moon"),
            *extra,
        )

    @staticmethod
    def model(tag: str, i: int) -> dict:
        return {"_id": f"{i:024x}", "id": f"org{i % 50}/{tag}-model-{i}", "likes": i % 17,
                "trendingScore": 0, "private": False, "downloads": 3 * i, "tags": [tag],
                "pipeline_tag": "text-generation", "library_name": "transformers",
                "createdAt": "2025-05-26T09:12:25.000Z"}  # fmt: skip

    def spent(self) -> Reply:
        """The Hub's 429 once the window's requests are used up (hub-docs rate-limits.md)."""
        return Reply(429, b"Too Many Requests", self._headers(), "text/plain")

    def handle(self, request: web.Request) -> Reply | None:
        q = request.query
        if request.path in ("/models-json", "/api/models") and self.remaining <= 0:
            return self.spent()
        if request.path == "/models-json":
            if not self.models_json:
                return Reply(404, b"Not Found", self._headers(), "text/plain")
            self.remaining -= 1
            tag = q.get("library", "")
            n = self.counts.get(tag, 0)
            body = {"models": [self.model(tag, i) for i in range(min(n, 30))],
                    "numItemsPerPage": 30, "numTotalItems": n, "pageIndex": 0}  # fmt: skip
            return Reply(200, json.dumps(body).encode(), self._headers(), "application/json")
        if request.path != "/api/models":
            return None
        self.remaining -= 1
        tag = q.get("filter", "")
        n = self.counts.get(tag, 0)
        limit = min(int(q.get("limit", 1000)), 1000)
        start = int(q.get("cursor", "0") or 0)
        items = [self.model(tag, i) for i in range(start, min(start + limit, n))]
        link = ()
        if start + limit < n:
            nxt = urlencode({"filter": tag, "limit": limit, "cursor": start + limit})
            link = (("Link", f'<{self.base}/api/models?{nxt}>; rel="next"'),)
        return Reply(200, json.dumps(items).encode(), self._headers(link), "application/json")

    base = ""


# -- arXiv -----------------------------------------------------------------------------------------
@dataclass
class Paper:
    arxiv_id: str
    submitted: dt.datetime
    categories: tuple[str, ...]
    abstract: str


_TOKEN = re.compile(r'\(|\)|[^\s()":\[]+:(?:"[^"]*"|\[[^\]]*\]|[^\s()]+)|[^\s()]+')


class _Query:
    """A parser for the arXiv search grammar the collector uses: field:term, field:"phrase",
    submittedDate:[A TO B], parentheses, AND, OR, ANDNOT."""

    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        self.i = 0

    def parse(self):
        node = self._or()
        if self.i != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.i]!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _or(self):
        node = self._and()
        while self._peek() == "OR":
            self.i += 1
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._atom()
        while self._peek() in ("AND", "ANDNOT"):
            op = self.tokens[self.i]
            self.i += 1
            other = self._atom()
            node = ("and", node, other) if op == "AND" else ("andnot", node, other)
        return node

    def _atom(self):
        tok = self._peek()
        if tok is None:
            raise ValueError("query ends early")
        self.i += 1
        if tok == "(":
            node = self._or()
            if self._peek() != ")":
                raise ValueError("missing )")
            self.i += 1
            return node
        field_, _, value = tok.partition(":")
        if not value and self._peek() and self._peek().startswith(("[", '"')):
            value = self.tokens[self.i]
            self.i += 1
        if not value:
            raise ValueError(f"no field in {tok!r}")
        return ("term", field_, value)


@functools.lru_cache(maxsize=100_000)
def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


def _matches(node, paper: Paper) -> bool:
    kind = node[0]
    if kind == "or":
        return _matches(node[1], paper) or _matches(node[2], paper)
    if kind == "and":
        return _matches(node[1], paper) and _matches(node[2], paper)
    if kind == "andnot":
        return _matches(node[1], paper) and not _matches(node[2], paper)
    _, name, value = node
    if name == "cat":
        return value in paper.categories
    if name == "submittedDate":
        lo, hi = re.fullmatch(r"\[(\d{12}) TO (\d{12})\]", value).groups()
        stamp = paper.submitted.strftime("%Y%m%d%H%M")
        return lo <= stamp <= hi
    if name in ("abs", "all"):
        words, want = _words(paper.abstract), _words(value.strip('"'))
        return any(words[i : i + len(want)] == want for i in range(len(words)))
    raise ValueError(f"unknown field {name}")


class FakeArxiv:
    def __init__(self, papers: list[Paper], other_per_month: dict[dt.date, int] | None = None):
        self.by_month: dict[dt.date, list[Paper]] = {}
        for p in sorted(papers, key=lambda p: p.submitted):
            self.by_month.setdefault(p.submitted.date().replace(day=1), []).append(p)
        self.other = other_per_month or {}
        # Queries answered before arXiv says "Rate exceeded." (HTTP 503 with Retry-After);
        # None: never.
        self.answers_left: int | None = None
        self.retry_after = 600

    def feed(self, query: str, start: int, size: int, total: int, papers: list[Paper]) -> bytes:
        """An answer in the 2026 format (tests/fixtures/industry/arxiv_2026_excerpt.xml)."""
        q = html.escape(f"search_query={query}&id_list=&start={start}&max_results={size}")
        entries = "".join(_entry(p) for p in papers)
        return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/k9CXT1jUVyDp6h/nlZRwFKzYzsU</id>
  <title>arXiv Query: {q}</title>
  <updated>2026-11-20T00:58:23Z</updated>
  <link href="https://arxiv.org/api/query?{q}" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
{entries}</feed>
""".encode()  # noqa: E501

    def error(self, message: str) -> Reply:
        body = (
            (FIXTURES / "arxiv_error_feed.xml")
            .read_text()
            .replace("incorrect id format for 1234.12345", html.escape(message))
        )
        return Reply(400, body.encode(), content_type="application/atom+xml")

    def handle(self, request: web.Request) -> Reply | None:
        if request.path != "/api/query":
            return None
        if self.answers_left is not None:
            if self.answers_left <= 0:
                headers = (("Retry-After", str(self.retry_after)),)
                return Reply(503, b"Rate exceeded.", headers, "text/plain")
            self.answers_left -= 1
        q = request.query
        query = q.get("search_query", "")
        try:
            tree = _Query(query).parse()
            start, size = int(q.get("start", 0)), int(q.get("max_results", 10))
        except (ValueError, AttributeError) as exc:
            return self.error(f"malformed query: {exc}")
        if size > 2000:
            return self.error("max_results must be at most 2000")
        span = re.search(r"submittedDate:\[(\d{6})\d*\s+TO\s+(\d{6})", query)
        pool = [
            p
            for m, ps in self.by_month.items()
            if not span or span.group(1) <= f"{m:%Y%m}" <= span.group(2)
            for p in ps
        ]
        found = [p for p in pool if _matches(tree, p)]
        total = len(found)
        text = query.replace(" ", "")
        if "abs:" not in text:  # the month's other submissions are only counted, never listed
            lo = re.search(r"submittedDate:\[(\d{6})", text)
            if lo:
                month = dt.date(int(lo.group(1)[:4]), int(lo.group(1)[4:6]), 1)
                total += self.other.get(month, 0)
        return Reply(200, self.feed(query, start, size, total, found[start : start + size]),
                     content_type="application/atom+xml")  # fmt: skip


def _entry(p: Paper) -> str:
    when = f"{p.submitted:%Y-%m-%dT%H:%M:%SZ}"
    abs_url, pdf_url = (
        f"https://arxiv.org/abs/{p.arxiv_id}v1",
        f"https://arxiv.org/pdf/{p.arxiv_id}v1",
    )
    cats = "".join(
        f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>\n' for c in p.categories
    )
    return (
        f"  <entry>\n    <id>http://arxiv.org/abs/{p.arxiv_id}v1</id>\n"
        f"    <title>Paper {html.escape(p.arxiv_id)}</title>\n    <updated>{when}</updated>\n"
        f'    <link href="{abs_url}" rel="alternate" type="text/html"/>\n'
        f'    <link href="{pdf_url}" rel="related" type="application/pdf" title="pdf"/>\n'
        f"    <summary>{html.escape(p.abstract)}</summary>\n{cats}"
        f"    <published>{when}</published>\n"
        f'    <arxiv:primary_category term="{p.categories[0]}"/>\n'
        "    <author>\n      <name>A. Author</name>\n    </author>\n  </entry>\n"
    )


# -- pypistats -------------------------------------------------------------------------------------
class FakePyPIStats:
    def __init__(self, daily: dict[str, dict[dt.date, int]]) -> None:
        self.daily = daily

    def handle(self, request: web.Request) -> Reply | None:
        m = re.fullmatch(r"/api/packages/([^/]+)/overall", request.path)
        if not m:
            return None
        days = self.daily.get(m.group(1))
        if days is None:
            return Reply.text("404", status=404)  # pypistats' own error body: plain text
        mirrors = request.query.get("mirrors")
        rows = []
        for cat in ("with_mirrors", "without_mirrors"):
            if mirrors == ("false" if cat == "with_mirrors" else "true"):
                continue
            extra = 1.02 if cat == "with_mirrors" else 1.0
            rows += [{"category": cat, "date": d.isoformat(), "downloads": int(n * extra)}
                     for d, n in sorted(days.items())]  # fmt: skip
        body = {"data": rows, "package": m.group(1), "type": "overall_downloads"}
        return Reply.json(body)


# -- all of them -----------------------------------------------------------------------------------
class FakeIndustry:
    """Every source behind one loopback server, with scripted faults."""

    def __init__(self, **fakes: Any) -> None:
        self.github: FakeGitHub | None = fakes.get("github")
        self.hn: FakeAlgolia | None = fakes.get("hn")
        self.se: FakeStackExchange | None = fakes.get("se")
        self.hf: FakeHub | None = fakes.get("hf")
        self.arxiv: FakeArxiv | None = fakes.get("arxiv")
        self.pypistats: FakePyPIStats | None = fakes.get("pypistats")
        self.clickhouse = fakes.get("clickhouse")
        self.faults: list[tuple[str, Reply]] = []

    def fault(self, prefix: str, *replies: Reply) -> None:
        """The next requests whose path starts with ``prefix`` get ``replies``, in order."""
        self.faults += [(prefix, r) for r in replies]

    def attach(self, srv) -> None:
        for fake in (self.github, self.hf):
            if fake is not None:
                fake.base = srv.base
        srv.fallback(self.handle)

    async def handle(self, request: web.Request) -> Reply:
        for i, (prefix, reply) in enumerate(self.faults):
            if request.path.startswith(prefix):
                del self.faults[i]
                return reply
        if self.clickhouse is not None and request.path == "/":
            return await self.clickhouse.handle(request)
        for fake in (self.github, self.hn, self.se, self.hf, self.arxiv, self.pypistats):
            if fake is None:
                continue
            reply = fake.handle(request)
            if reply is not None:
                return reply
        return Reply.text(f"no route for {request.path}", status=404)
