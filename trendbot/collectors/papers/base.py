"""What every paper source returns: rows (:class:`PaperRef`) inside a :class:`Listing`.

A listing is one venue-year as one source publishes it: every paper the page or API shows,
each tagged with its track and whether it belongs to the venue-year's *main population*
(accepted main-conference papers unless the listing says otherwise). Other tracks (workshops,
demos, datasets-and-benchmarks, student research, withdrawn entries) are kept, so a reply can say
what was left out, but stay out of the main total.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin


class CollectError(Exception):
    """A listing that cannot be had; the message is one sentence saying why and what to do."""


class QuotaLeft(CollectError):
    """The source's request quota ran out (OpenReview's hourly allowance): not a fault of the
    source. The venue-year's run is recorded as ``quota`` with ``resets_at`` (epoch seconds, or
    None when the source did not say), the run exits 0, and a run after the reset goes on."""

    def __init__(self, message: str, resets_at: float | None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


@dataclass(frozen=True)
class PaperRef:
    """One paper as a source lists it.

    ``key`` is stable across runs (a source id: ACL Anthology id, OpenReview forum id, CVF file
    stem, NeurIPS hash, PMLR key), prefixed by the source so keys never collide across sources.
    ``pdf_url`` is absolute, or None when the listing has no PDF for the paper.
    """

    venue: str
    year: int
    key: str
    title: str
    authors: tuple[str, ...]
    pdf_url: str | None
    track: str
    main: bool
    page_url: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Listing:
    """One venue-year from one source, with what was fetched and when."""

    venue: str
    year: int
    source: str
    population: str  # what ``main`` means here, e.g. "accepted main-conference papers"
    papers: tuple[PaperRef, ...]
    urls: tuple[str, ...]
    fetched_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    notes: tuple[str, ...] = ()

    @property
    def main(self) -> tuple[PaperRef, ...]:
        return tuple(p for p in self.papers if p.main)

    @property
    def main_count(self) -> int:
        return sum(1 for p in self.papers if p.main)

    def tracks(self) -> dict[str, int]:
        """Papers per track (main and other), for provenance and "what was left out" replies."""
        return dict(Counter(p.track for p in self.papers))

    def missing_pdfs(self) -> int:
        return sum(1 for p in self.main if not p.pdf_url)


# --- text helpers shared by the HTML/XML parsers --------------------------------------------------

_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff\u00ad")
)


def clean_text(text: str | None) -> str:
    """One line of readable text: entities decoded (twice-escaped ones too, as real pages have
    ``&amp;quot;``), invisible marks dropped, whitespace (incl. no-break spaces) collapsed."""
    if not text:
        return ""
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE)).replace("\xa0", " ")
    return _SPACE.sub(" ", text).strip()


def split_authors(text: str) -> tuple[str, ...]:
    """Authors from a comma-separated line; ``*`` and superscript affiliation marks removed."""
    names = []
    for part in clean_text(text).split(","):
        name = re.sub(r"[*\u2020\u2021\u00b9\u00b2\u00b3\u2070-\u2079]+", "", part).strip()
        if name.lower().startswith("and "):
            name = name[4:].strip()
        if name:
            names.append(name)
    return tuple(names)


def absolute(base: str, href: str | None) -> str | None:
    """``href`` made absolute against the page it came from; None for empty or fragment links."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:")):
        return None
    return urljoin(base, href)
