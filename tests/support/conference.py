"""A conference on 127.0.0.1: a CVF Open Access listing page and its papers' PDFs.

The page has the markup of the real CVF site from 2021 on (``/CVPR2025?day=all``; the shape of
``tests/fixtures/cvf/cvpr2024_day_all_excerpt.html``), so the real CVF source module lists it,
and every PDF is a generated paper whose framework mentions are known, so a collection's counts
can be checked against what was put in. Used by the pipeline tests and ``bench/bench_papers.py``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from tests.support.loopback import Loopback, Reply


@dataclass(frozen=True)
class Paper:
    stem: str  # the CVF file stem, e.g. "Smith_Deep_Things"
    title: str
    authors: tuple[str, ...]
    pdf: bytes | None  # None: the listing gives no PDF link
    named: frozenset[str] = frozenset()  # frameworks the text names (for expectations)


@dataclass
class Conference:
    venue: str
    year: int
    papers: list[Paper] = field(default_factory=list)
    pdf_replies: dict[str, list[Reply]] = field(default_factory=dict)  # stem → faults first

    @property
    def listing_path(self) -> str:
        return f"/{self.venue}{self.year}"

    def pdf_path(self, stem: str) -> str:
        return f"/content/{self.venue}{self.year}/papers/{stem}_{self.venue}_{self.year}_paper.pdf"

    def page(self) -> bytes:
        tag = f"{self.venue}{self.year}"
        out = [
            "<!DOCTYPE html><html><head><title>"
            f"{self.venue} {self.year} Open Access Repository</title></head><body>",
            '<div id="content"><h3>Papers</h3><dl>',
        ]
        for p in self.papers:
            out.append(
                f'<dt class="ptitle"><br><a href="/content/{tag}/html/{p.stem}_{self.venue}_'
                f'{self.year}_paper.html">{html.escape(p.title)}</a></dt>\n<dd>'
            )
            for i, a in enumerate(p.authors):
                out.append(
                    f'<form id="form-{i}{p.stem[:20]}" action="/{tag}" method="post" '
                    f'class="authsearch"><input type="hidden" name="query_author" '
                    f'value="{html.escape(a)}"><a href="#">{html.escape(a)}</a>'
                    f"{',' if i < len(p.authors) - 1 else ''}</form>"
                )
            out.append("</dd>\n<dd>")
            if p.pdf is not None:
                out.append(f'[<a href="{self.pdf_path(p.stem)}">pdf</a>]')
            out.append("</dd>")
        out.append("</dl></div></body></html>")
        return "\n".join(out).encode()

    def serve(self, srv: Loopback, *, delay: float = 0.0) -> Loopback:
        srv.route(self.listing_path, Reply(200, self.page(), content_type="text/html"))
        for p in self.papers:
            if p.pdf is None:
                continue
            ok = Reply(200, p.pdf, content_type="application/pdf", delay=delay)
            srv.route(self.pdf_path(p.stem), *self.pdf_replies.get(p.stem, []), ok)
        return srv
