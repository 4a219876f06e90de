"""ECVA (www.ecva.net): ECCV 2020 onwards (even years). ECCV 2018 is on CVF Open Access.

Listing: one page for every ECCV, ``{ECVA_BASE_URL}/papers.php``, with one collapsible section
per edition (``<button class="accordion">ECCV 2024 Papers</button>`` + ``<div
class="accordion-content">``). Each paper is CVF-like markup with ECVA's quirks:

    <dt class="ptitle"><br>
    <a href=papers/eccv_2024/papers_ECCV/html/4_ECCV_2024_paper.php>
    Is Retain Set All You Need in Machine Unlearning?</a></dt>
    <dd>Jacopo Bonato*, Marco Cotogni, Luigi Sabetta*</dd>
    <dd>[<a href='papers/eccv_2024/papers_ECCV/papers/00004.pdf'>pdf</a>]
        [<a href='papers/eccv_2024/papers_ECCV/papers/00004-supp.pdf'>supplementary material</a>]
        [<a href="https://link.springer.com/chapter/10.1007/…">DOI</a>]</dd>

(unquoted or single-quoted hrefs, ``*`` marking corresponding authors, a ``-supp.pdf`` that is
not the paper). The edition is read from each link's ``papers/eccv_{year}/`` folder, which holds
even if the sections change. Shape taken from public ECVA scrapers' code and test fixtures
(2025-2026) and ECVA paper links cited in public repositories.
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
from trendbot.storage.collectable import meets

SOURCE = "ecva"
VENUES = ("ECCV",)
FIRST_YEAR = 2020  # ECCV 2018 is on CVF Open Access
LISTING_PATH = "/papers.php"
_FOLDER = re.compile(r"papers/eccv_(\d{4})/")


def covers(venue: str, year: int) -> bool:
    return venue == "ECCV" and year >= FIRST_YEAR and meets("ECCV", year)


def population(venue: str, year: int) -> str:
    return "accepted main-conference papers (every ECCV paper on the ECVA listing)"


def _authors(text: str) -> tuple[str, ...]:
    text = clean_text(text)
    head, _, _ = text.partition(" and ")
    if " and " in text and "," in head:  # the 2018 BibTeX form: "Last, First and Last, First"
        names = []
        for part in re.split(r"\s+and\s+", text):
            last, _, first = part.partition(",")
            names.append(f"{first.strip()} {last.strip()}".strip())
        return tuple(names)
    return split_authors(text)


def _stem(href: str) -> str:
    name = href.rsplit("/", 1)[-1]
    for suffix in ("_paper.php", ".php", ".pdf"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def parse_listing(body: bytes | str, page_url: str, year: int) -> list[PaperRef]:
    """Pure: the papers of one ECCV edition from the all-editions page."""
    tree = LexborHTMLParser(body)
    papers: list[PaperRef] = []
    for dt in tree.css("dt.ptitle"):
        link = dt.css_first("a")
        href = (link.attributes.get("href") or "") if link else ""
        folder = _FOLDER.search(href)
        if link is None or not folder or int(folder.group(1)) != year:
            continue
        dds = []
        node = dt.next
        while node is not None and node.tag != "dt":
            if node.tag == "dd":
                dds.append(node)
            node = node.next
        pdf = None
        for dd in dds:
            for a in dd.css("a"):
                target = a.attributes.get("href") or ""
                if clean_text(a.text()).lower() == "pdf" and not target.endswith("-supp.pdf"):
                    pdf = absolute(page_url, target)
                    break
            if pdf:
                break
        authors = _authors(dds[0].text()) if dds and not dds[0].css("a") else ()
        papers.append(
            PaperRef(
                venue="ECCV",
                year=year,
                key=f"ecva:{year}:{_stem(href)}",
                title=clean_text(link.text()),
                authors=authors,
                pdf_url=pdf,
                track="main",
                main=True,
                page_url=absolute(page_url, href),
                note="" if pdf else "no PDF link on the listing",
            )
        )
    return papers


async def fetch_listing(http: HttpClient, venue: str, year: int) -> Listing:
    if not covers(venue, year):
        raise CollectError(f"ECVA lists ECCV in even years from 2020, not {venue} {year}.")
    url = http.url(SOURCE, LISTING_PATH)
    page = await http.get(SOURCE, LISTING_PATH)
    papers = await asyncio.to_thread(parse_listing, page.body, url, year)
    if not papers:
        raise CollectError(
            f"The ECVA listing ({url}) has no ECCV {year} papers yet; "
            "the proceedings may not be published."
        )
    unique = {p.key: p for p in papers}
    return Listing("ECCV", year, SOURCE, population(venue, year), tuple(unique.values()), (url,))
