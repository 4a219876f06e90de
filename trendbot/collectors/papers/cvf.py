"""CVF Open Access: CVPR (every year), ICCV (odd years) and ECCV 2018.

Listing pages (openaccess.thecvf.com):
- up to 2020 the old ``/CVPR2019.py`` form (the whole conference on one page, as the saved CVPR
  2019 page in the team's reference material shows);
- from 2021 ``/CVPR2024?day=all`` (the site splits papers by day; ``day=all`` joins them).
Either form may instead answer with links to single days (``?day=2020-06-16``); the collector
then follows each day and merges, so a page that changed form still lists every paper.

Each paper is ``<dt class="ptitle"><a href=".../html/<stem>_paper.html">Title</a></dt>``, then a
``<dd>`` of author search forms, then a ``<dd>`` with ``[pdf]``, ``[supp]``, ``[arXiv]`` links and
a BibTeX block. Every listed paper is an accepted main-conference paper (workshops have their own
pages), so all are in the main population; an entry without a PDF link is kept and noted.
"""

from __future__ import annotations

import asyncio
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from trendbot.collectors.http import HttpClient
from trendbot.collectors.papers.base import (
    CollectError,
    Listing,
    PaperRef,
    absolute,
    clean_text,
    split_authors,
)
from trendbot.storage.collectable import CALENDARS, meets

SOURCE = "cvf"
VENUES = ("CVPR", "ICCV", "ECCV")
FIRST_YEAR = {v: CALENDARS[v].first for v in VENUES}
POPULATION = "accepted main-conference papers (every paper on the CVF Open Access listing)"
_DAY_LINK = re.compile(r"[?&]day=(\d{4}-\d{2}-\d{2})")


def covers(venue: str, year: int) -> bool:
    if venue == "ECCV":
        return year == 2018  # later ECCVs are on ecva.net
    if venue == "ICCV":
        return year >= FIRST_YEAR["ICCV"] and meets("ICCV", year)
    return venue == "CVPR" and year >= FIRST_YEAR["CVPR"]


def population(venue: str, year: int) -> str:
    return POPULATION


def listing_path(venue: str, year: int) -> str:
    """``/CVPR2019.py`` up to 2020, ``/CVPR2024?day=all`` from 2021."""
    if not covers(venue, year):
        raise CollectError(f"CVF Open Access has no {venue} {year} main-conference listing.")
    return f"/{venue}{year}.py" if year <= 2020 else f"/{venue}{year}?day=all"


def _following_dds(dt: LexborNode) -> list[LexborNode]:
    """The ``<dd>`` elements between this ``<dt>`` and the next one."""
    dds = []
    node = dt.next
    while node is not None and node.tag != "dt":
        if node.tag == "dd":
            dds.append(node)
        node = node.next
    return dds


def _authors(dd: LexborNode) -> tuple[str, ...]:
    # The author search forms carry the clean name in a hidden input (query / query_author).
    names = [
        clean_text(i.attributes.get("value"))
        for i in dd.css("form.authsearch input")
        if i.attributes.get("name") in ("query", "query_author")
    ]
    names = [n for n in names if n]
    if names:
        return tuple(names)
    links = [clean_text(a.text()) for a in dd.css("a")]
    if links and all(links):
        return tuple(n.rstrip(",").strip() for n in links)
    return split_authors(dd.text(separator=" "))


def _stem(href: str) -> str:
    name = href.rsplit("/", 1)[-1]
    for suffix in ("_paper.html", ".html", "_paper.pdf", ".pdf"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def parse_listing(body: bytes | str, page_url: str, venue: str, year: int) -> list[PaperRef]:
    """Pure: every ``dt.ptitle`` entry of a CVF listing page, in page order."""
    tree = LexborHTMLParser(body)
    papers: list[PaperRef] = []
    for dt in tree.css("dt.ptitle"):
        link = dt.css_first("a")
        if link is None:
            continue
        title = clean_text(link.text())
        page = absolute(page_url, link.attributes.get("href"))
        dds = _following_dds(dt)
        authors = _authors(dds[0]) if dds else ()
        pdf = None
        for dd in dds[1:] or dds:
            for a in dd.css("a"):
                if clean_text(a.text()).lower() == "pdf":
                    pdf = absolute(page_url, a.attributes.get("href"))
                    break
            if pdf:
                break
        stem = _stem(page or pdf or title)
        papers.append(
            PaperRef(
                venue=venue,
                year=year,
                key=f"cvf:{stem}",
                title=title,
                authors=authors,
                pdf_url=pdf,
                track="main",
                main=True,
                page_url=page,
                note="" if pdf else "no PDF link on the listing",
            )
        )
    return papers


def day_links(body: bytes | str, page_url: str) -> list[str]:
    """Links to single-day pages, for a listing that shows days instead of papers."""
    tree = LexborHTMLParser(body)
    seen: dict[str, str] = {}
    for a in tree.css("a"):
        href = a.attributes.get("href") or ""
        match = _DAY_LINK.search(href)
        if match and match.group(1) not in seen:
            seen[match.group(1)] = absolute(page_url, href) or href
    return list(seen.values())


def _first_of_each(papers: list[PaperRef]) -> list[PaperRef]:
    """Drop repeats of a key (a paper shown on two day pages), keeping page order."""
    seen: set[str] = set()
    return [p for p in papers if not (p.key in seen or seen.add(p.key))]


async def fetch_listing(http: HttpClient, venue: str, year: int) -> Listing:
    path = listing_path(venue, year)
    url = http.url(SOURCE, path)
    page = await http.get(SOURCE, path)
    papers = await asyncio.to_thread(parse_listing, page.body, url, venue, year)
    urls = [url]
    if not papers:
        for day_url in day_links(page.body, url):
            day = await http.get(SOURCE, day_url)
            papers += await asyncio.to_thread(parse_listing, day.body, day_url, venue, year)
            urls.append(day_url)
    unique = _first_of_each(papers)
    if not unique:
        raise CollectError(
            f"The CVF Open Access page for {venue} {year} ({url}) lists no papers; "
            "the conference may not be published yet."
        )
    return Listing(venue, year, SOURCE, population(venue, year), tuple(unique), tuple(urls))
