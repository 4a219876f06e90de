"""NeurIPS proceedings on 127.0.0.1: year pages in the real site's shape and generated PDFs.

The page follows ``tests/fixtures/neurips/2024_year_excerpt.html`` (the site's current theme:
``<ul class="paper-list">`` of ``<li data-track>`` entries, ``<a title="paper title">`` to
``/paper_files/paper/{year}/hash/{hash}-Abstract-Conference.html``, ``span.paper-authors``), so
the real ``neurips`` source module lists it and ``trendbot collect papers --venue NeurIPS``
reads it as a separate process. Each paper's PDF names the frameworks it is given.
"""

from __future__ import annotations

import functools
import hashlib
import html

from tests.support.loopback import Loopback, Reply
from tests.support.pdfgen import MENTIONS, make_paper


@functools.cache
def paper_pdf(seed: int, frameworks: tuple[str, ...]) -> bytes:
    return make_paper(seed=seed, pages=1, mentions=[MENTIONS[f] for f in frameworks])


def _hash(year: int, i: int) -> str:
    return hashlib.md5(f"neurips-{year}-{i}".encode()).hexdigest()


def year_page(year: int, papers: list[tuple[str, tuple[str, ...]]]) -> bytes:
    items = []
    for i, (title, _) in enumerate(papers):
        h = _hash(year, i)
        items.append(
            '<li class="conference" data-track="conference"><div class="paper-content">'
            f'<a title="paper title" href="/paper_files/paper/{year}/hash/{h}-Abstract-'
            f'Conference.html">{html.escape(title)}</a>'
            '<span class="paper-authors">Ada Lovelace, Alan Turing</span></div>'
            '<span class="paper-track-badge">Main Conference Track</span></li>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Book</title></head>'
        '<body class="modern-theme"><div class="container-fluid"><div class="col book-page">'
        '<header class="book-header"><h1 class="book-title">Advances in Neural Information '
        f'Processing Systems</h1><p class="book-meta">NeurIPS {year}</p></header>'
        f'<div class="paper-list-header"><span class="paper-count">{len(papers)} papers</span>'
        f'</div><ul class="paper-list">{"".join(items)}</ul></div></div></body></html>'
    ).encode()


def serve_year(srv: Loopback, year: int, papers: list[tuple[str, tuple[str, ...]]]) -> None:
    """Serve NeurIPS ``year``: ``papers`` are (title, frameworks the PDF names)."""
    srv.route(f"/paper_files/paper/{year}", Reply.html(year_page(year, papers)))
    for i, (_, frameworks) in enumerate(papers):
        path = f"/paper_files/paper/{year}/file/{_hash(year, i)}-Paper-Conference.pdf"
        srv.route(path, Reply.binary(paper_pdf(year * 100 + i, tuple(frameworks))))
