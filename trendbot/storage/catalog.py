"""The metric catalogue (``storage/seed/metrics.json``) as frozen dataclasses.

One metric name means one definition everywhere: the bundled seed, every collector, every reply.
A figure counted over another window (a calendar month is not 30 days) gets another name, so a
chart can never join two different quantities into one line. The catalogue also carries the
caveats, each with the dates, frameworks and sources it applies to, so a reply can show exactly
the ones that touch the numbers it prints.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

CATALOG_FILE = "metrics.json"
PERIODS = ("day", "30d", "window", "month")
KINDS = ("level", "flow", "rank")
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class CatalogError(ValueError):
    """The catalogue is malformed; the message names the metric and the field."""


@dataclass(frozen=True)
class Caveat:
    text: str
    start: str | None = None  # ISO date, inclusive; None = open
    end: str | None = None
    frameworks: tuple[str, ...] = ()  # empty = every framework
    sources: tuple[str, ...] = ()  # empty = every source

    def applies(
        self,
        *,
        framework: str | None = None,
        source: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> bool:
        """Does this caveat touch rows of ``framework`` from ``source`` dated [start, end]?

        An argument left as None matches anything, so ``applies()`` is True for every caveat.
        """
        if framework is not None and self.frameworks and framework not in self.frameworks:
            return False
        if source is not None and self.sources and source not in self.sources:
            return False
        if end is not None and self.start is not None and end < self.start:
            return False
        return not (start is not None and self.end is not None and start > self.end)


@dataclass(frozen=True)
class MetricDef:
    name: str
    title: str
    unit: str
    period: str
    kind: str
    better: str  # "higher", "lower" or "" (neither reads as growth)
    definition: str
    read: str
    sources: tuple[str, ...]
    collectors: str
    pseudo: tuple[tuple[str, str], ...] = ()  # ("_all", "what it counts"), ...
    caveats: tuple[Caveat, ...] = ()

    @property
    def pseudo_series(self) -> dict[str, str]:
        return dict(self.pseudo)

    def caveats_for(
        self,
        *,
        framework: str | None = None,
        source: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> tuple[Caveat, ...]:
        return tuple(
            c
            for c in self.caveats
            if c.applies(framework=framework, source=source, start=start, end=end)
        )


@dataclass(frozen=True)
class Catalog:
    metrics: tuple[MetricDef, ...]
    _index: dict[str, MetricDef] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {m.name: m for m in self.metrics})

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)

    def get(self, name: str) -> MetricDef | None:
        return self._index.get(name.strip().lower())


def _date(value: object, where: str) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise CatalogError(f"{where}: {value!r} is not an ISO date") from exc


def _strs(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def parse_catalog(data: dict) -> Catalog:
    """Validate the parsed JSON and build the catalogue; raises CatalogError on any fault."""
    entries = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogError("the catalogue needs a non-empty 'metrics' list")
    out: list[MetricDef] = []
    for i, e in enumerate(entries):
        name = e.get("name", "") if isinstance(e, dict) else ""
        if not _NAME.match(str(name)):
            raise CatalogError(f"metrics[{i}]: name {name!r} must be lower-case words joined by -")
        where = f"metric {name!r}"
        if any(m.name == name for m in out):
            raise CatalogError(f"{where} is defined twice")
        for key in ("title", "unit", "definition", "read", "collectors"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise CatalogError(f"{where}: {key} is required")
        if e.get("period") not in PERIODS:
            raise CatalogError(f"{where}: period must be one of {', '.join(PERIODS)}")
        if e.get("kind") not in KINDS:
            raise CatalogError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if e.get("better") not in ("higher", "lower", ""):
            raise CatalogError(f"{where}: better must be 'higher', 'lower' or ''")
        pseudo = e.get("pseudo", {})
        if not isinstance(pseudo, dict) or not all(
            isinstance(k, str) and k.startswith("_") and isinstance(v, str) and v
            for k, v in pseudo.items()
        ):
            raise CatalogError(f"{where}: pseudo maps '_name' to a description")
        caveats = []
        for j, c in enumerate(e.get("caveats", [])):
            cw = f"{where} caveat {j}"
            if not isinstance(c, dict) or not str(c.get("text", "")).strip():
                raise CatalogError(f"{cw}: text is required")
            start, end = _date(c.get("from"), cw), _date(c.get("to"), cw)
            if start and end and start > end:
                raise CatalogError(f"{cw}: from {start} is after to {end}")
            caveats.append(
                Caveat(
                    text=c["text"],
                    start=start,
                    end=end,
                    frameworks=_strs(c.get("frameworks", []), f"{cw} frameworks"),
                    sources=_strs(c.get("sources", []), f"{cw} sources"),
                )
            )
        out.append(
            MetricDef(
                name=name,
                title=e["title"],
                unit=e["unit"],
                period=e["period"],
                kind=e["kind"],
                better=e["better"],
                definition=e["definition"],
                read=e["read"],
                sources=_strs(e.get("sources", []), f"{where} sources"),
                collectors=e["collectors"],
                pseudo=tuple(sorted(pseudo.items())),
                caveats=tuple(caveats),
            )
        )
    return Catalog(tuple(out))


def catalog_text() -> str:
    return resources.files("trendbot.storage").joinpath("seed", CATALOG_FILE).read_text("utf-8")


@cache
def load_catalog() -> Catalog:
    """The packaged catalogue (read and validated once per process)."""
    return parse_catalog(json.loads(catalog_text()))
