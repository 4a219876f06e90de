"""NeurIPS proceedings (papers.nips.cc = proceedings.neurips.cc), 2015 onwards.

Listing: ``{NEURIPS_BASE_URL}/paper_files/paper/{year}``: ``<ul class="paper-list">`` of
``<li class="<track>" data-track="<track>">`` entries, each with
``<a title="paper title" href="/paper_files/paper/{year}/hash/{hash}-Abstract[-{Track}].html">``
and ``<span class="paper-authors">`` (older pages: ``<i>``). The URL's track token says which
track a paper belongs to: none up to 2021 (main track only on this host), ``Conference`` (main),
``Datasets_and_Benchmarks`` (2022-2023) / ``Datasets_and_Benchmarks_Track`` (2024 on),
``Position_Paper_Track`` and ``Creative_AI_Track`` (2025).

From 2025 the year page holds only the Creative AI book and links the main conference as its own
volume (``/paper_files/paper/2025/vol38-main-conference``, "See also"); the collector follows any
same-year volume link, so main, D&B and position papers are all listed.

PDFs: ``/paper_files/paper/{year}/file/{hash}-Paper-{Track}.pdf``, or ``{hash}-Paper.pdf`` when
the URL has no track token (up to 2021). Main population = the main track (no token or
``Conference``); every other track is recorded but not main. NeurIPS 2021's Datasets and
Benchmarks papers live on another host (datasets-benchmarks-proceedings.neurips.cc) and are not
listed here.

Shapes checked against the 2024 and 2025 pages recorded on 2026-09-27 by the openproceedings
project (github.com/uw-share-lab/openproceedings, docs/research/2026-09-27-openreview-and-
proceedings-facts.md): 2024 = 4,034 main + 459 D&B; 2025 = 5,286 main + 497 D&B + 40 position
(vol38-main-conference) + 64 Creative AI (year page).
"""

from __future__ import annotations

import asyncio
import re

from selectolax.lexbor import LexborHTMLParser

from trendbot.collectors.http import HttpClient
from trendbot.collectors.papers.base import (
    CollectError,
    Listing,
    PaperRef,
    absolute,
    clean_text,
    split_authors,
)
from trendbot.storage.collectable import CALENDARS

SOURCE = "neurips"
VENUES = ("NeurIPS",)
FIRST_YEAR = CALENDARS["NeurIPS"].first
# /paper_files/paper/… since 2023; /paper/{year}/hash/… on the 2020-2022 site (saved pages).
_ABSTRACT = re.compile(
    r"/paper(?:_files/paper)?/(\d{4})/hash/([0-9a-f]{8,64})-Abstract(?:-(\w+))?\.html"
)
_TRACKS = {
    None: "main",
    "Conference": "main",
    "Datasets_and_Benchmarks": "datasets_and_benchmarks",
    "Datasets_and_Benchmarks_Track": "datasets_and_benchmarks",
    "Position_Paper_Track": "position",
    "Creative_AI_Track": "creative_ai",
}


def covers(venue: str, year: int) -> bool:
    return venue == "NeurIPS" and year >= FIRST_YEAR


def population(venue: str, year: int) -> str:
    return (
        "accepted main-track papers in the NeurIPS proceedings (Datasets and Benchmarks, "
        "position and Creative AI papers recorded separately)"
    )


def listing_path(year: int) -> str:
    return f"/paper_files/paper/{year}"


def pdf_path(year: int, paper_hash: str, token: str | None) -> str:
    """``…/file/{hash}-Paper-{Track}.pdf``; ``…-Paper.pdf`` for entries without a track token."""
    suffix = f"-Paper-{token}.pdf" if token else "-Paper.pdf"
    return f"/paper_files/paper/{year}/file/{paper_hash}{suffix}"


def parse_listing(body: bytes | str, page_url: str, year: int) -> list[PaperRef]:
    """Pure: every paper entry of a year or volume page, in page order."""
    tree = LexborHTMLParser(body)
    base = re.split(r"/paper(?:_files)?/", page_url, maxsplit=1)[0]
    papers: list[PaperRef] = []
    # Every <li> holding an abstract link: the current theme's ul.paper-list and older saved
    # pages (a plain <ul>, authors in <i>) alike.
    for li in tree.css("li"):
        link = next(
            (a for a in li.css("a") if _ABSTRACT.search(a.attributes.get("href") or "")), None
        )
        if link is None:
            continue
        href = link.attributes.get("href") or ""
        match = _ABSTRACT.search(href)
        if not match or int(match.group(1)) != year:
            continue
        paper_hash, token = match.group(2), match.group(3)
        track = _TRACKS.get(token, (token or "other").lower())
        who = li.css_first("span.paper-authors") or li.css_first("i")
        papers.append(
            PaperRef(
                venue="NeurIPS",
                year=year,
                key=f"neurips:{year}:{paper_hash}",
                title=clean_text(link.text()),
                authors=split_authors(who.text()) if who else (),
                pdf_url=base + pdf_path(year, paper_hash, token),
                track=track,
                main=track == "main",
                page_url=absolute(page_url, href),
            )
        )
    return papers


def volume_links(body: bytes | str, page_url: str, year: int) -> list[str]:
    """Same-year volume pages linked from a year page (``/paper_files/paper/2025/vol38-…``)."""
    tree = LexborHTMLParser(body)
    prefix = f"/paper_files/paper/{year}/vol"
    found: list[str] = []
    for a in tree.css("a"):
        url = absolute(page_url, a.attributes.get("href"))
        if url and prefix in url and url not in found:
            found.append(url)
    return found


async def fetch_listing(http: HttpClient, venue: str, year: int) -> Listing:
    if not covers(venue, year):
        raise CollectError(f"The NeurIPS proceedings have no {venue} {year}.")
    first = http.url(SOURCE, listing_path(year))
    queue, seen, urls = [first], {first}, []
    papers: dict[str, PaperRef] = {}
    while queue:
        url = queue.pop(0)
        page = await http.get(SOURCE, url, ok_statuses=(404,))
        if page.status == 404:
            if url == first:
                raise CollectError(
                    f"The NeurIPS proceedings have no page for {year} yet ({url} answered 404)."
                )
            continue
        urls.append(url)
        for paper in await asyncio.to_thread(parse_listing, page.body, url, year):
            papers.setdefault(paper.key, paper)
        for link in volume_links(page.body, url, year):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    if not any(p.main for p in papers.values()):
        raise CollectError(
            f"The NeurIPS {year} proceedings list no main-track papers yet ({', '.join(urls)})."
        )
    return Listing(
        "NeurIPS", year, SOURCE, population(venue, year), tuple(papers.values()), tuple(urls)
    )
