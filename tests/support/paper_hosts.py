"""The six paper hosts on 127.0.0.1, each its own server, in their real formats, with any number
of papers: papers.nips.cc year pages, PMLR volume pages, CVF Open Access listings, ECVA's
all-editions page, ACL Anthology collection XML, and OpenReview's API (login, notes, zips of
PDFs). The real source modules list them; every PDF is one of five generated papers whose
mentions are known. Used by ``bench/bench_backfill.py``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.conference import Conference, Paper
from tests.support.loopback import Loopback, Reply
from tests.support.proceedings import _hash, paper_pdf, year_page

FRAMEWORKS = (("pytorch",), ("tensorflow",), ("jax",), ("pytorch", "tensorflow"), ())
SETTINGS = {  # source → its base URL setting(s), relative to its server
    "neurips": {"NEURIPS_BASE_URL": ""},
    "pmlr": {"PMLR_BASE_URL": ""},
    "cvf": {"CVF_BASE_URL": ""},
    "ecva": {"ECVA_BASE_URL": ""},
    "acl": {"ACL_ANTHOLOGY_BASE_URL": "", "ACL_ANTHOLOGY_XML_BASE_URL": "/xml"},
    "openreview": {"OPENREVIEW_BASE_URL": "", "OPENREVIEW_V1_BASE_URL": "/v1"},
}
OPENREVIEW_LOGIN = {"OPENREVIEW_USERNAME": "bench@example.org", "OPENREVIEW_PASSWORD": "pw"}
PMLR_VOLUMES = {2023: 202, 2024: 235}


def pdf(i: int) -> bytes:
    return paper_pdf(i % 5, FRAMEWORKS[i % 5])


@dataclass
class Host:
    """One source's server and what it serves: (venue, year) → papers."""

    source: str
    srv: Loopback
    venue_years: dict[tuple[str, int], int] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        return {name: self.srv.base + tail for name, tail in SETTINGS[self.source].items()}


def serve(host: Host) -> None:
    """Route every venue-year of ``host`` on its server."""
    srv = host.srv
    ecva: list[tuple[int, int]] = []
    for (venue, year), n in host.venue_years.items():
        if host.source == "neurips":
            srv.route(f"/paper_files/paper/{year}", Reply.html(year_page(year, [(f"P{i}", ())
                      for i in range(n)])))  # fmt: skip
            for i in range(n):
                path = f"/paper_files/paper/{year}/file/{_hash(year, i)}-Paper-Conference.pdf"
                srv.route(path, Reply.binary(pdf(i)))
        elif host.source == "pmlr":
            _pmlr(srv, year, n)
        elif host.source == "cvf":
            papers = [Paper(f"A{i}_P{year}_{i}", f"P{i}", ("A. Author",), pdf(i)) for i in range(n)]
            Conference(venue, year, papers).serve(srv)
        elif host.source == "ecva":
            ecva.append((year, n))
        elif host.source == "acl":
            _acl(srv, venue, year, n)
        elif host.source == "openreview":
            _openreview(srv, year, n)
    if ecva:
        _ecva(srv, ecva)


def _pmlr(srv: Loopback, year: int, n: int) -> None:
    vol = PMLR_VOLUMES[year]
    entries = []
    for i in range(n):
        key = f"p{year % 100}{i}a"
        link = f"{srv.base}/v{vol}/assets/{key}/{key}.pdf"
        entries.append(
            f'<div class="paper"><p class="title">Paper {i}</p><p class="details">'
            f'<span class="authors">Ann&nbsp;Example</span>; <span class="info"><i>Proceedings '
            f'of ICML</i>, PMLR {vol}:{i}-{i + 1}</span></p><p class="links">'
            f'[<a href="{srv.base}/v{vol}/{key}.html">abs</a>][<a href="{link}" '
            'target="_blank">Download PDF</a>]</p></div>'
        )
        srv.route(f"/v{vol}/assets/{key}/{key}.pdf", Reply.binary(pdf(i)))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Proceedings of '
        f"Machine Learning Research | Volume {vol}</title></head><body><main "
        f'class="page-content"><div class="wrapper"><h2>Volume {vol}: International '
        f"Conference on Machine Learning, {year}</h2>{''.join(entries)}</div></main></body></html>"
    )
    srv.route(f"/v{vol}/", Reply.html(page))


def _ecva(srv: Loopback, editions: list[tuple[int, int]]) -> None:
    out = ['<html><head><title>ECVA</title></head><body><div class="py-6 container">']
    for year, n in editions:
        out.append(
            f'<button class="accordion">ECCV {year} Papers</button><div class="accordion-content">'
            '<div id="content"><dl>'
        )
        for i in range(n):
            folder = f"papers/eccv_{year}/papers_ECCV"
            out.append(
                f'<dt class="ptitle"><br><a href={folder}/html/{i}_ECCV_{year}_paper.php>'
                f"Paper {i}</a></dt><dd>Ann Example*, Bo Li</dd><dd>[<a href='{folder}/papers/"
                f"{i:05d}.pdf'>pdf</a>]</dd>"
            )
            srv.route(f"/{folder}/papers/{i:05d}.pdf", Reply.binary(pdf(i)))
        out.append("</dl></div></div>")
    out.append("</div></body></html>")
    srv.route("/papers.php", Reply.html("\n".join(out)))


def _acl(srv: Loopback, venue: str, year: int, n: int) -> None:
    collection = f"{year}.{venue.lower()}"
    papers = []
    for i in range(1, n + 1):
        papers.append(
            f'<paper id="{i}"><title>Paper {i}</title><author><first>Ann</first><last>Example'
            f'</last></author><url hash="0000000{i % 10}">{collection}-long.{i}</url></paper>'
        )
        srv.route(f"/{collection}-long.{i}.pdf", Reply.binary(pdf(i)))
    xml = (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<collection id=\"{collection}\">"
        '<volume id="long" ingest-date="2024-08-01"><meta><booktitle>Proceedings of the '
        f"{year} {venue} (Volume 1: Long Papers)</booktitle><year>{year}</year></meta>"
        f"{''.join(papers)}</volume></collection>"
    )
    srv.route(f"/xml/{collection}.xml", Reply.xml(xml))


def _openreview(srv: Loopback, year: int, n: int) -> None:
    from tests.test_papers_openreview import ERRORS, v2_notes

    pdfs = {f"note{i:05d}": pdf(i) for i in range(n)}

    def attachment(request: web.Request) -> Reply:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for note_id in request.query["ids"].split(","):
                zf.writestr(f"{note_id}.pdf", pdfs[note_id])
        return Reply(200, buf.getvalue(), content_type="application/zip")

    srv.handler("/login", lambda request: Reply.json(ERRORS["login_ok"]))
    srv.handler("/notes", v2_notes(n, f"ICLR.cc/{year}/Conference"))
    srv.handler("/attachment", attachment)
    srv.handler("/pdf", lambda request: Reply.binary(pdfs[request.query["id"]]))
