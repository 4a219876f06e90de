"""PMLR (proceedings.mlr.press): ICML, one volume per year.

Volume numbers, each checked against the volume page's heading ("Volume N: International
Conference on Machine Learning, …") and paper count by the openproceedings project on 2026-09-27
(github.com/uw-share-lab/openproceedings, docs/research/2026-09-27-openreview-and-proceedings-
facts.md) and matching the 2019 study's ICML totals for 2017-2021:

    2015 v37 (270)  2016 v48 (322)  2017 v70 (434)  2018 v80 (621)  2019 v97 (773)
    2020 v119 (1,084)  2021 v139 (1,183)  2022 v162 (1,233)  2023 v202 (1,828)
    2024 v235 (2,610)  2025 v267 (3,330)

A later year is looked up on the PMLR index (``<li><a href="v267"><b>Volume 267</b></a>
Proceedings of ICML 2025</li>``; workshop volumes "… at ICML 2025" are not taken).

Listing: ``/v{N}/``, one ``<div class="paper">`` per paper with ``p.title``, ``span.authors``
and ``p.links`` (``abs`` → ``/v{N}/{key}.html``, ``Download PDF``, sometimes ``Supplementary PDF``,
``Software``, ``OpenReview``). Every paper of the volume is an accepted ICML paper; from 2024 the
volume also holds position papers, which PMLR does not mark (2025: 73 of 3,330).
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

SOURCE = "pmlr"
VENUES = ("ICML",)
FIRST_YEAR = CALENDARS["ICML"].first
ICML_VOLUMES = {
    2013: 28,
    2014: 32,
    2015: 37,
    2016: 48,
    2017: 70,
    2018: 80,
    2019: 97,
    2020: 119,
    2021: 139,
    2022: 162,
    2023: 202,
    2024: 235,
    2025: 267,
}
_INDEX_ENTRY = re.compile(r"^Proceedings of ICML (\d{4})$")


def covers(venue: str, year: int) -> bool:
    return venue == "ICML" and year >= FIRST_YEAR


def population(venue: str, year: int) -> str:
    extra = " (includes position papers, which PMLR does not mark)" if year >= 2024 else ""
    return f"accepted ICML papers: every paper of the year's PMLR volume{extra}"


def volume_path(volume: int) -> str:
    return f"/v{volume}/"


def parse_index(body: bytes | str) -> dict[int, int]:
    """Pure: ICML year → volume number from the PMLR index page (main proceedings only)."""
    tree = LexborHTMLParser(body)
    found: dict[int, int] = {}
    for li in tree.css("li"):
        link = li.css_first("a")
        href = (link.attributes.get("href") or "") if link else ""
        number = re.fullmatch(r"/?v(\d+)/?", href.strip())
        if not number:
            continue
        label = clean_text(li.text()).replace(clean_text(link.text()), "", 1).strip()
        match = _INDEX_ENTRY.match(label)
        if match:
            found[int(match.group(1))] = int(number.group(1))
    return found


def _key(href: str | None) -> str | None:
    if not href:
        return None
    name = href.rstrip("/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] or None


def parse_volume(body: bytes | str, page_url: str, year: int, volume: int) -> list[PaperRef]:
    """Pure: every ``div.paper`` of a PMLR volume page."""
    tree = LexborHTMLParser(body)
    heading = tree.css_first("h2")
    if heading is not None and "machine learning" not in heading.text().lower():
        raise CollectError(
            f"PMLR volume {volume} is not ICML ({clean_text(heading.text())!r}); "
            f"the volume number for ICML {year} is wrong."
        )
    papers: list[PaperRef] = []
    for div in tree.css("div.paper"):
        title = clean_text(div.css_first("p.title").text()) if div.css_first("p.title") else ""
        who = div.css_first("span.authors")
        abs_url = pdf = openreview = None
        for a in div.css("p.links a"):
            label = clean_text(a.text()).lower()
            href = absolute(page_url, a.attributes.get("href"))
            if label == "abs":
                abs_url = href
            elif label == "download pdf":
                pdf = href
            elif label == "openreview":
                openreview = href
        key = _key(abs_url) or _key(pdf) or title
        papers.append(
            PaperRef(
                venue="ICML",
                year=year,
                key=f"pmlr:v{volume}:{key}",
                title=title,
                authors=split_authors(who.text()) if who else (),
                pdf_url=pdf,
                track="main",
                main=True,
                page_url=abs_url,
                note=f"openreview {openreview}" if openreview else ("" if pdf else "no PDF link"),
            )
        )
    return papers


async def volume_for(http: HttpClient, year: int) -> int:
    if year in ICML_VOLUMES:
        return ICML_VOLUMES[year]
    index = await http.get(SOURCE, "/")
    found = await asyncio.to_thread(parse_index, index.body)
    if year not in found:
        raise CollectError(
            f"PMLR lists no ICML {year} proceedings volume yet ({http.url(SOURCE, '/')}); "
            "ICML may not have published them."
        )
    return found[year]


async def fetch_listing(http: HttpClient, venue: str, year: int) -> Listing:
    if not covers(venue, year):
        raise CollectError(f"PMLR has no {venue} {year} proceedings.")
    volume = await volume_for(http, year)
    path = volume_path(volume)
    url = http.url(SOURCE, path)
    page = await http.get(SOURCE, path)
    papers = await asyncio.to_thread(parse_volume, page.body, url, year, volume)
    if not papers:
        raise CollectError(f"PMLR volume {volume} ({url}) lists no papers.")
    return Listing(
        "ICML",
        year,
        SOURCE,
        population(venue, year),
        tuple(papers),
        (url,),
        notes=(f"PMLR volume {volume}",),
    )
