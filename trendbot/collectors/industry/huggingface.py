"""Models on the Hugging Face Hub per framework tag, once a day.

The Hub's list endpoint, ``GET /api/models?filter={tag}&limit=1000``, is a bare JSON array paged
by a ``Link: <…cursor=…>; rel="next"`` header and carries no total. Counting PyTorch's hundreds of
thousands of models by paging would take hundreds of requests, so the collector first asks the
endpoint behind the Hub's own model list, ``GET /models-json?library={tag}``, whose
``numTotalItems`` is the count the web page shows. Only when that answer is missing (404, or no
``numTotalItems``) does it page the list API and count the models, up to ``MAX_PAGES`` pages.

A framework with two tags (keras and tf-keras) gets the sum of the two counts; one with no tag
(mxnet) is skipped. ``HF_TOKEN`` raises the rate limit; 429s carry a ``RateLimit`` header that
the shared client reads: a window that resets within the source's cap is waited for, a longer
one is a spent quota. Then the frameworks counted so far are stored, the others are left for
later, and the next run on the same day counts only those (a count is one a day).
"""

from __future__ import annotations

from typing import Any

from trendbot.collectors.http import FetchError, QuotaSpent
from trendbot.collectors.industry.base import (
    Collected,
    Job,
    SourceFault,
    SourceInfo,
    check_json_like,
    load_json,
    parse_links,
)
from trendbot.storage import metrics as db
from trendbot.storage.metrics import MetricRow

NAME = "hf"
SOURCE = SourceInfo(
    "trendbot-hf",
    "Hugging Face Hub, models per library tag (huggingface.co), read by trendbot",
    "HF_BASE_URL",
    "Hugging Face Hub: the number of public models carrying each of the framework's library "
    "tags (frameworks.json huggingface), from the model list's numTotalItems (/models-json) or by "
    "paging /api/models?filter={tag}; once a day, dated the UTC day; collected by trendbot",
)
SOURCES = (SOURCE,)
METRICS = ("hf-models",)
PAGE_SIZE = 1000
MAX_PAGES = 100


def parse_total(body: Any) -> int | None:
    """``numTotalItems`` of a ``/models-json`` answer, or None when the answer has none."""
    total = body.get("numTotalItems") if isinstance(body, dict) else None
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        return total
    return None


def model_ids(body: Any, tag: str) -> set[str]:
    """A page of ``/api/models`` → the ids of its models."""
    if not isinstance(body, list):
        raise SourceFault(f"the Hub's model list for {tag} is not a list.")
    ids = set()
    for item in body:
        key = item.get("id") or item.get("modelId") or item.get("_id") if isinstance(
            item, dict
        ) else None  # fmt: skip
        if not key:
            raise SourceFault(f"the Hub's model list for {tag} has an entry without id.")
        ids.add(str(key))
    return ids


async def count_tag(job: Job, tag: str, headers: dict[str, str]) -> tuple[int, str] | None:
    """(models carrying ``tag``, how it was counted), or None when the Hub has too many to
    page through and no count to give."""
    try:
        fetched = await job.http.get(
            NAME, "/models-json", params={"library": tag}, headers=headers,
            check=check_json_like, ok_statuses=(400, 404),
        )  # fmt: skip
    except QuotaSpent:
        raise  # the Hub's window is spent: paging would be refused too
    except FetchError:
        fetched = None  # the web endpoint is not the API: on any fault, count by paging
    if fetched is not None and fetched.status == 200:
        try:
            total = parse_total(load_json(fetched.body, "the Hub's model list"))
        except SourceFault:
            total = None
        if total is not None:
            return total, f"numTotalItems of /models-json?library={tag}"
    ids: set[str] = set()
    url: str | None = "/api/models"
    # filter= is the documented tag filter; library= names the same tag as the Hub's web list
    # does (and as several clients send it): a model matches both or neither.
    params: dict[str, Any] | None = {"filter": tag, "library": tag, "limit": PAGE_SIZE}
    for _ in range(MAX_PAGES):
        page = await job.http.get(NAME, url, params=params, headers=headers, check=check_json_like)
        ids |= model_ids(load_json(page.body, f"the Hub's model list for {tag}"), tag)
        url, params = parse_links(page.headers.get("Link")).get("next"), None
        if url is None:
            return len(ids), f"models listed by /api/models?filter={tag}"
    return None


async def collect(job: Job) -> Collected:
    out = job.out
    if not job.wants("hf-models"):
        return out
    token = job.secret("HF_TOKEN", "the Hub's anonymous rate limit applies")
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    frameworks = [f for f in job.frameworks if f.huggingface]
    for fw in job.frameworks:
        if not fw.huggingface:
            out.skip("hf-models", fw.id, "frameworks.json names no Hub tag")
    if job.resume is not None:  # after a spent quota: today's counts already stored stand
        stored = await job.read(db.stored_dates, SOURCE.id, "hf-models", [f.id for f in frameworks])
        frameworks = [f for f in frameworks if job.today.isoformat() not in stored[f.id]]
    job.plan(sum(len(f.huggingface) for f in frameworks))
    for i, fw in enumerate(frameworks):
        total, methods = 0, []
        for tag in fw.huggingface:
            try:
                counted = await count_tag(job, tag, headers)
            except QuotaSpent:
                n = len(frameworks) - i
                out.leave(f"model counts for {n} framework{'s' if n > 1 else ''}")
                raise
            job.advance()
            if counted is None:
                break
            total += counted[0]
            methods.append(counted[1])
        else:
            method = " + ".join(methods) + (" (summed)" if len(methods) > 1 else "")
            out.rows.append(
                MetricRow(SOURCE.id, "hf-models", fw.id, job.today.isoformat(), total, method)
            )
            continue
        too_many = f"more than {MAX_PAGES * PAGE_SIZE:,} models to page through"
        out.skip("hf-models", fw.id, f"the Hub gives no count, and {too_many}")
    return out
