"""Paper-listing sources: which source lists which venue-year, and one call to list it.

``await list_papers(http, "CVPR", 2019)`` returns a :class:`Listing` (every paper the source shows,
each tagged with its track and whether it is in the main population); bad input or a source
fault raises :class:`CollectError` (one sentence).

| venues | default source | module |
|---|---|---|
| NeurIPS 2015 → | NeurIPS proceedings | ``neurips`` (OpenReview 2021 → as a cross-check) |
| ICML 2015 → | PMLR | ``pmlr`` (OpenReview 2023 → as a cross-check) |
| ICLR 2018 → | OpenReview | ``openreview`` |
| CVPR, ICCV (odd years), ECCV 2018 | CVF Open Access | ``cvf`` |
| ECCV 2020 → (even years) | ECVA | ``ecva`` |
| ACL, EMNLP, NAACL, Findings | ACL Anthology | ``acl_anthology`` |
"""

from __future__ import annotations

from types import ModuleType

from trendbot.collectors.http import FetchError, HttpClient
from trendbot.collectors.papers import acl_anthology, cvf, ecva, neurips, openreview, pmlr
from trendbot.collectors.papers.base import CollectError, Listing, PaperRef
from trendbot.storage import collectable

__all__ = [
    "SOURCES",
    "VENUES",
    "CollectError",
    "Listing",
    "PaperRef",
    "canonical_venue",
    "list_papers",
    "population",
    "source_for",
]

SOURCES: dict[str, ModuleType] = {
    "neurips": neurips,
    "pmlr": pmlr,
    "openreview": openreview,
    "cvf": cvf,
    "ecva": ecva,
    "acl": acl_anthology,
}
VENUES = collectable.VENUES  # the venue calendar: storage/collectable.py
_ALIASES = {v.lower(): v for v in VENUES} | {"nips": "NeurIPS", "neurips": "NeurIPS"}


def canonical_venue(venue: str) -> str:
    """``"neurips"``/``"NIPS"`` → ``"NeurIPS"``; raises CollectError for an unknown venue."""
    name = _ALIASES.get(venue.strip().lower())
    if name is None:
        raise CollectError(
            f"No venue called {venue!r} can be collected; the venues are {', '.join(VENUES)}."
        )
    return name


def source_for(venue: str, year: int) -> str:
    """The default source name for a venue-year (a key of :data:`SOURCES`)."""
    return collectable.source_for(canonical_venue(venue), year)


def _module(venue: str, year: int, source: str | None) -> tuple[str, ModuleType]:
    venue = canonical_venue(venue)
    name = source or source_for(venue, year)
    module = SOURCES.get(name)
    if module is None:
        raise CollectError(f"trendbot has no paper source {name!r}; it has {', '.join(SOURCES)}.")
    if not module.covers(venue, year):
        raise CollectError(f"The {name} source does not list {venue} {year}.")
    return venue, module


def population(venue: str, year: int, source: str | None = None) -> str:
    """What the venue-year's main population is, in words a reply can quote."""
    venue, module = _module(venue, year, source)
    return module.population(venue, year)


async def list_papers(
    http: HttpClient, venue: str, year: int, *, source: str | None = None
) -> Listing:
    """List one venue-year from its default source (or ``source``, e.g. ``"openreview"``).

    Every failure is a :class:`CollectError` with one sentence; a source fault that survived the
    HTTP client's retries keeps its :class:`FetchError` (kind, status) as ``__cause__``.
    """
    venue, module = _module(venue, year, source)
    try:
        return await module.fetch_listing(http, venue, year)
    except FetchError as exc:
        raise CollectError(f"Could not list {venue} {year}: {exc.reason}") from exc
