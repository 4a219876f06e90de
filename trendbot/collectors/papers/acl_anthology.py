"""ACL Anthology: ACL, EMNLP, NAACL, and Findings (counted as its own venue).

Source: the Anthology's metadata XML, one file per collection
(``{ACL_ANTHOLOGY_XML_BASE_URL}/{collection}.xml``, the ``data/xml`` folder of
github.com/acl-org/acl-anthology); PDFs at ``{ACL_ANTHOLOGY_BASE_URL}/{anthology id}.pdf``.

Collections: old ids up to 2019 (``P19`` ACL, ``D19`` EMNLP, ``N19`` NAACL), new ids from 2020
(``2020.acl``, ``2023.emnlp``, ``2024.naacl``); Findings are ``{year}.findings`` with one volume
per parent conference (``2020.findings`` volume ``emnlp`` → ids ``2020.findings-emnlp.N``).

Main population = the main volumes of long and short papers:
- new ids: volumes ``main`` (2020-2022 style), ``long`` and ``short`` (2021 on); ``demo(s)``,
  ``srw``, ``industry``, ``tutorial(s)`` and the rest are recorded but not main;
- old ids: volume 1 (and 2 where it holds short papers), told apart from the other volumes by the
  booktitle (``Volume 1: Long Papers``, ``Volume 2: Short Papers``, ``Volume 1 (Long and Short
  Papers)``; ``Student Research Workshop``, ``System Demonstrations``, ``Industry Papers``,
  ``Tutorial Abstracts`` are not main). E.g. NAACL 2019: N19-1 is long + short (main), N19-2 the
  industry volume; the 2019 study's 451 NAACL 2019 papers include N19-2, trendbot's main does not.
- Findings: the Findings of ACL, EMNLP and NAACL; Findings of other conferences (EACL, AACL)
  are recorded but not main.
Front matter (``<frontmatter>`` or paper id 0) is skipped. A retracted paper stays in the main
population with a note (it was accepted, and the 2019 study's ACL 2020 total of 778 counts the two
retracted ones); a paper the Anthology marks removed is kept with a note but is not main.

The XML is parsed with defusedxml (no entity expansion, no DTD, no network), off the event loop.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from trendbot.collectors.http import FetchError, HttpClient, check_xml
from trendbot.collectors.papers.base import CollectError, Listing, PaperRef, clean_text
from trendbot.storage.collectable import CALENDARS, meets

SOURCE = "acl"
XML_SOURCE = "acl_xml"
VENUES = ("ACL", "EMNLP", "NAACL", "Findings")
FIRST_YEAR = {v: CALENDARS[v].first for v in VENUES}
OLD_PREFIX = {"ACL": "P", "EMNLP": "D", "NAACL": "N"}
MAIN_TRACKS = frozenset({"main", "long", "short"})
FINDINGS_MAIN = frozenset({"findings-acl", "findings-emnlp", "findings-naacl"})

_NEW_VOLUME_TRACKS = {
    "main": "main",
    "long": "long",
    "short": "short",
    "papers": "main",
    "demo": "demo",
    "demos": "demo",
    "srw": "srw",
    "industry": "industry",
    "tutorial": "tutorial",
    "tutorials": "tutorial",
}
_BOOKTITLE_TRACKS = (  # first match wins
    ("student research workshop", "srw"),
    ("demonstration", "demo"),
    ("tutorial", "tutorial"),
    ("industry", "industry"),
    ("findings", "findings"),
    ("long and short papers", "main"),
    ("short papers", "short"),
    ("long papers", "long"),
    ("workshop", "workshop"),
    ("shared task", "workshop"),
)


def covers(venue: str, year: int) -> bool:
    if venue not in VENUES or year < FIRST_YEAR[venue]:
        return False
    return meets(venue, year)


def population(venue: str, year: int) -> str:
    if venue == "Findings":
        return (
            "Findings papers of ACL, EMNLP and NAACL (ACL Anthology; Findings of other "
            "conferences recorded separately)"
        )
    return (
        "accepted main-conference papers: long and short papers (ACL Anthology main volumes; "
        "demos, student research, industry, tutorials and workshops recorded separately)"
    )


def collection_id(venue: str, year: int) -> str:
    """``P19``/``D19``/``N19`` up to 2019, ``2020.acl``/``2024.naacl``/``2023.findings`` after."""
    if not covers(venue, year):
        if venue in VENUES and not meets(venue, year):
            raise CollectError(f"{venue} did not meet in {year}, so there is nothing to list.")
        raise CollectError(f"trendbot does not list {venue} {year} from the ACL Anthology.")
    if venue == "Findings":
        return f"{year}.findings"
    if year <= 2019:
        return f"{OLD_PREFIX[venue]}{year % 100:02d}"
    return f"{year}.{venue.lower()}"


def xml_path(collection: str) -> str:
    return f"/{collection}.xml"


def pdf_url(base_url: str, anthology_id: str) -> str:
    return f"{base_url.rstrip('/')}/{anthology_id}.pdf"


def volume_track(collection: str, volume_id: str, booktitle: str) -> str:
    """The track of a volume: from its id in new-style collections, else from its booktitle."""
    if collection.endswith(".findings"):
        return f"findings-{volume_id.lower()}"
    if "." in collection:
        known = _NEW_VOLUME_TRACKS.get(volume_id.lower())
        if known:
            return known
    title = booktitle.lower()
    for needle, track in _BOOKTITLE_TRACKS:
        if needle in title:
            return track
    if "." in collection:
        return volume_id.lower() or "other"
    return "main" if volume_id in ("1", "2") else "other"


def is_main(venue: str, collection: str, volume_id: str, track: str) -> bool:
    if venue == "Findings":
        return track in FINDINGS_MAIN
    if "." in collection:
        return track in MAIN_TRACKS
    return volume_id in ("1", "2") and track in MAIN_TRACKS


def _text(element: ET.Element | None) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def _author(element: ET.Element) -> str:
    first = _text(element.find("first"))
    last = _text(element.find("last"))
    return " ".join(part for part in (first, last) if part)


def _anthology_id(collection: str, volume_id: str, paper_id: str) -> str:
    if "." in collection:
        return f"{collection}-{volume_id}.{paper_id}"
    number = int(paper_id) if paper_id.isdigit() else 0
    return f"{collection}-{volume_id}{number:03d}"


def parse_collection(
    body: bytes | str, venue: str, year: int, pdf_base: str
) -> tuple[list[PaperRef], dict[str, str]]:
    """Pure: every paper of a collection XML, and each volume's track (volume id → track)."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except ET.ParseError as exc:
        raise CollectError(
            f"The ACL Anthology XML for {venue} {year} is malformed ({exc})."
        ) from None
    except DefusedXmlException as exc:
        raise CollectError(
            f"The ACL Anthology XML for {venue} {year} declares a DTD or entities, which trendbot "
            f"refuses to expand ({type(exc).__name__})."
        ) from None
    collection = root.get("id", "")
    papers: list[PaperRef] = []
    tracks: dict[str, str] = {}
    for volume in root.iter("volume"):
        volume_id = volume.get("id", "")
        booktitle = _text(volume.find("meta/booktitle"))
        track = volume_track(collection, volume_id, booktitle)
        tracks[volume_id] = track
        main = is_main(venue, collection, volume_id, track)
        for paper in volume.findall("paper"):
            paper_id = paper.get("id", "")
            if paper_id in ("", "0"):
                continue  # front matter
            url = _text(paper.find("url"))
            anthology_id = _anthology_id(collection, volume_id, paper_id)
            if url and not url.startswith(("http://", "https://")):
                anthology_id = url
            pdf = url if url.startswith(("http://", "https://")) else None
            if url and pdf is None:
                pdf = pdf_url(pdf_base, anthology_id)
            retracted, removed = paper.find("retracted"), paper.find("removed")
            note = ""
            for mark in (retracted, removed):
                if mark is not None:
                    note = f"{mark.tag} {mark.get('date', '')}".strip()
            if not note and pdf is None:
                note = "no PDF in the Anthology"
            papers.append(
                PaperRef(
                    venue=venue,
                    year=year,
                    key=f"acl:{anthology_id}",
                    title=_text(paper.find("title")),
                    authors=tuple(_author(a) for a in paper.findall("author")),
                    pdf_url=pdf,
                    track=track,
                    main=main and removed is None,
                    page_url=f"{pdf_base.rstrip('/')}/{anthology_id}/",
                    note=note,
                )
            )
    return papers, tracks


async def fetch_listing(http: HttpClient, venue: str, year: int) -> Listing:
    collection = collection_id(venue, year)
    path = xml_path(collection)
    url = http.url(XML_SOURCE, path)
    try:
        got = await http.get(XML_SOURCE, path, check=check_xml)
    except FetchError as exc:
        if exc.status != 404:
            raise
        raise CollectError(
            f"The ACL Anthology has no collection {collection} ({url} answered 404): "
            f"{venue} {year} may not be published yet."
        ) from None
    papers, tracks = await asyncio.to_thread(
        parse_collection, got.body, venue, year, http.base_url(SOURCE)
    )
    main_volumes = sorted(v for v, t in tracks.items() if is_main(venue, collection, v, t))
    if not any(p.main for p in papers):
        raise CollectError(
            f"The ACL Anthology collection {collection} has no main-conference volume "
            f"(volumes: {', '.join(tracks) or 'none'})."
        )
    notes = (f"main volumes: {', '.join(f'{collection}-{v}' for v in main_volumes)}",)
    return Listing(venue, year, SOURCE, population(venue, year), tuple(papers), (url,), notes=notes)
