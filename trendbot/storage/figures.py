"""The newest industry figures, ready to print: per metric and framework the latest value, the
same source's value a year earlier, the share where a share means something, and the caveats
that touch exactly those rows.

Whatever the store holds counts, the bundled seed and collected rows alike: the newest date wins
(``storage.metrics.latest_values``), so a collector's figure from last night replaces the seed's
from last year with its own source and date. Nothing here formats text; ``commands.industry``
does. No pandas: this runs for every ``!industry`` and must stay a few index seeks.

Every series' newest row is found by one statement (a recursive skip scan over the primary key,
``storage.metrics.newest_per_series``), the values a year earlier by another
(``values_near``), and both are kept per data version with the store's layout (which sources
hold which metrics for which frameworks), so a repeated question costs dictionary lookups.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trendbot.storage import metrics as db
from trendbot.storage.catalog import Caveat, MetricDef, load_catalog
from trendbot.storage.metrics import DEFAULT_TOLERANCE_DAYS, MetricValue, year_before

if TYPE_CHECKING:
    from trendbot.storage.store import Store

# Metrics whose share between frameworks means something: they count the same kind of event
# (a download, a job ad) for every framework. Stars, forks or dependents are levels whose share
# mostly reflects a repository's age.
SHARE_METRICS = frozenset(
    {
        "pypi-downloads",
        "pypi-downloads-month",
        "pypi-downloads-window",
        "hn-hiring",
        "stackoverflow-questions",
        "arxiv-mentions",
    }
)
# Metrics whose share is of a pseudo-series total (the month's job ads), not of the frameworks'.
SHARE_OF_TOTAL = frozenset({"hn-hiring", "stackoverflow-questions", "arxiv-mentions"})
_FAMILY_SUFFIXES = ("-month", "-window", "-day")
_PAREN = re.compile(r"\s*\([^()]*\)")


@dataclass(frozen=True)
class Figure:
    """One framework's newest value of one metric, with what makes it readable."""

    latest: MetricValue
    before: MetricValue | None  # the same source's value about a year earlier
    share: float | None = None  # of the frameworks' sum, or of ``total`` for SHARE_OF_TOTAL
    total: MetricValue | None = None  # the pseudo-series total on the same date (``_all``)

    @property
    def framework(self) -> str:
        return self.latest.framework

    @property
    def change(self) -> float | None:
        return None if self.before is None else self.latest.value - self.before.value

    @property
    def ratio(self) -> float | None:
        if self.before is None or not self.before.value:
            return None
        return self.latest.value / self.before.value


@dataclass(frozen=True)
class MetricSnapshot:
    """Every framework's newest figure of one metric, largest first (best rank first)."""

    definition: MetricDef
    figures: tuple[Figure, ...]
    pseudo: tuple[Figure, ...]  # ``_all``, ``_ml``: context, never ranked with frameworks
    caveats: tuple[Caveat, ...]

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def newest(self) -> str:
        return max(f.latest.date for f in (*self.figures, *self.pseudo))

    @property
    def family(self) -> str:
        return family_of(self.name)

    def figure(self, framework: str) -> Figure | None:
        return next((f for f in self.figures if f.framework == framework), None)

    def main(self) -> tuple[str, str]:
        """The (source, date) most figures share, named once in a heading; others say theirs."""
        keys = [(f.latest.source_id, f.latest.date) for f in self.figures or self.pseudo]
        return max(set(keys), key=lambda k: (keys.count(k), k[1]))

    def sources(self) -> tuple[str, ...]:
        out: list[str] = []
        for f in (*self.figures, *self.pseudo):
            for v in (f.latest, f.before, f.total):
                if v is not None and v.source_id not in out:
                    out.append(v.source_id)
        return tuple(out)


def family_of(metric: str) -> str:
    """'pypi-downloads-month' → 'pypi-downloads': the same quantity over another window."""
    catalog = load_catalog()
    for suffix in _FAMILY_SUFFIXES:
        if metric.endswith(suffix) and catalog.get(metric.removesuffix(suffix)):
            return metric.removesuffix(suffix)
    return metric


def short_caveat(caveat: Caveat | str) -> str:
    """A caveat's first sentence without its parenthesised figures: for lists in chat replies
    (``!metrics <name>`` prints them whole)."""
    text = caveat.text if isinstance(caveat, Caveat) else caveat
    plain = _PAREN.sub("", text)
    cut = re.search(r"(?<=[a-z0-9%])[.;](\s|$)", plain)
    first = plain[: cut.start()] if cut else plain.rstrip(".")
    return " ".join(first.split()) + "."


# -- the store's layout, per data version -----------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Which sources hold which metric for which frameworks: from the one statement that finds
    every series' newest row (``storage.metrics.newest_per_series``)."""

    version: int
    by_metric: dict[str, dict[str, tuple[str, ...]]]  # metric → source → frameworks

    def metrics(self) -> list[str]:
        """Catalogue order first, then any metric a collector wrote that is not catalogued."""
        names = load_catalog().names()
        known = [n for n in names if n in self.by_metric]
        return known + sorted(set(self.by_metric) - set(names))


def layout(store: Store) -> Layout:
    """The layout for the store's current data version (recomputed after any change)."""

    def compute() -> Layout:
        newest = [v for vs in _newest_series(store, None).values() for v in vs]
        return Layout(store.data_version(), db.layout_of(newest))

    return store.memo("industry-layout", compute)


def _newest_series(store: Store, until: str | None) -> dict[tuple[str, str], list[MetricValue]]:
    """(metric, framework) → the newest value of each of its sources on or before ``until``:
    one statement for the whole store, kept per data version (and per ``until``)."""

    def compute() -> dict[tuple[str, str], list[MetricValue]]:
        out: dict[tuple[str, str], list[MetricValue]] = {}
        for v in db.newest_per_series(store, until):
            out.setdefault((v.metric, v.framework), []).append(v)
        return out

    return store.memo(("industry-newest", until), compute)


def newest_values(
    store: Store,
    metric: str,
    frameworks: Sequence[str] = (),
    *,
    until: str | None = None,
    since: str | None = None,
) -> dict[str, MetricValue]:
    """framework → its newest value (on or before ``until``, on or after ``since``): the newest
    date over every source; on a tie the catalogue's source order, then the later collection."""
    sources = layout(store).by_metric.get(metric, {})
    definition = load_catalog().get(metric)
    rank = {s: i for i, s in enumerate(definition.sources if definition else ())}
    newest = _newest_series(store, until)
    # frameworks in the order the sources list them, as answers have always been built
    fws = dict.fromkeys(fw for held in sources.values() for fw in held)
    best: dict[str, MetricValue] = {}
    for fw in fws:
        if frameworks and fw not in frameworks:
            continue
        for v in newest.get((metric, fw), ()):
            if since and v.date < since:
                continue
            cur = best.get(fw)
            if cur is None or db.newer(v, cur, rank):
                best[fw] = v
    return best


def snapshot(
    store: Store,
    metric: str,
    frameworks: Sequence[str] = (),
    *,
    until: str | None = None,
    since: str | None = None,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
) -> MetricSnapshot | None:
    """The newest figure of ``metric`` per framework (pseudo-series kept apart), each with the
    same source's value a year earlier, shares, and the caveats for those dates; None if the
    store has nothing for it."""
    definition = load_catalog().get(metric) or _uncatalogued(metric)
    wanted = tuple(frameworks)
    if wanted and metric in SHARE_METRICS:
        wanted = ()  # shares need every framework; the caller filters after
    latest = newest_values(store, metric, wanted, until=until, since=since)
    if not latest:
        return None
    figures: list[Figure] = []
    pseudo: list[Figure] = []
    befores = db.values_near(
        store,
        [(v.source_id, metric, fw, year_before(v.date)) for fw, v in latest.items()],
        tolerance_days=tolerance_days,
    )
    for (fw, v), before in zip(latest.items(), befores, strict=True):
        (pseudo if fw.startswith("_") else figures).append(Figure(v, before))
    figures = _with_shares(store, metric, figures, {p.framework: p for p in pseudo})
    if frameworks:
        figures = [f for f in figures if f.framework in frameworks]
        if not figures and not pseudo:
            return None
    if definition.kind == "rank":
        figures.sort(key=lambda f: (f.latest.value, f.framework))
    else:
        figures.sort(key=lambda f: (-f.latest.value, f.framework))
    caveats: list[Caveat] = []
    for f in figures or pseudo:
        start = f.before.date if f.before else f.latest.date
        for c in definition.caveats_for(
            framework=f.framework, source=f.latest.source_id, start=start, end=f.latest.date
        ):
            if c not in caveats:
                caveats.append(c)
    order = {c: i for i, c in enumerate(definition.caveats)}
    caveats.sort(key=lambda c: order.get(c, 0))
    return MetricSnapshot(definition, tuple(figures), tuple(pseudo), tuple(caveats))


def _with_shares(
    store: Store, metric: str, figures: list[Figure], pseudo: dict[str, Figure]
) -> list[Figure]:
    """Shares only between figures of one source and one date: a framework whose newest figure
    is from another day or source is shown without a share rather than against the wrong sum."""
    if metric not in SHARE_METRICS:
        return figures
    if metric in SHARE_OF_TOTAL:
        out = []
        for f in figures:
            total = pseudo.get("_all")
            if total is None or (total.latest.source_id, total.latest.date) != (
                f.latest.source_id,
                f.latest.date,
            ):
                total_v = db.value_on(store, metric, "_all", f.latest.source_id, f.latest.date)
            else:
                total_v = total.latest
            share = f.latest.value / total_v.value if total_v and total_v.value else None
            out.append(Figure(f.latest, f.before, share, total_v))
        return out
    groups: dict[tuple[str, str], float] = {}
    for f in figures:
        key = (f.latest.source_id, f.latest.date)
        groups[key] = groups.get(key, 0.0) + f.latest.value
    out = []
    for f in figures:
        key = (f.latest.source_id, f.latest.date)
        members = sum(1 for g in figures if (g.latest.source_id, g.latest.date) == key)
        share = f.latest.value / groups[key] if members > 1 and groups[key] else None
        out.append(Figure(f.latest, f.before, share))
    return out


def _uncatalogued(metric: str) -> MetricDef:
    """A metric a collector stored without a catalogue entry still shows, plainly labelled."""
    return MetricDef(
        name=metric,
        title=metric,
        unit="",
        period="day",
        kind="level",
        better="",
        definition="Not in the metric catalogue.",
        read="Not in the metric catalogue: read with care.",
        sources=(),
        collectors="",
    )


def snapshots(
    store: Store, frameworks: Sequence[str] = (), *, newest_per_family: bool = False
) -> list[MetricSnapshot]:
    """A snapshot of every metric the store holds, in catalogue order. With
    ``newest_per_family`` only the newest of each family (the 30-day, calendar-month and
    shorter-window download counts are one family) is kept, in the family's place.

    Kept on the store per data version (like rendered charts): the figures change only when a
    stored number does. A first call costs one statement for every series' newest row and one
    per metric for the year-earlier values (~3 ms in all); a repeat costs a dictionary lookup."""
    lay = layout(store)
    out = store.memo(
        ("industry-snapshots", tuple(frameworks)),
        lambda: [s for m in lay.metrics() if (s := snapshot(store, m, frameworks)) is not None],
    )
    if not newest_per_family:
        return out
    best: dict[str, MetricSnapshot] = {}
    for s in out:
        cur = best.get(s.family)
        if cur is None or s.newest > cur.newest:
            best[s.family] = s
    return [s for s in out if best[s.family] is s]


# -- a year's figures (for !compare <year>) -----------------------------------------------------
def year_total(
    store: Store, metric: str, year: int, frameworks: Sequence[str] = ()
) -> dict[str, tuple[float, int, str]]:
    """framework → (sum of the year's values, months counted, source) for monthly flows such as
    job ads: one source per framework (the one with most rows that year)."""
    sources = layout(store).by_metric.get(metric, {})
    out: dict[str, tuple[float, int, str]] = {}
    for source, fws in sources.items():
        for fw in fws:
            if frameworks and fw not in frameworks and not fw.startswith("_"):
                continue
            total, n = db.year_sum(store, source, metric, fw, year)
            if n and (fw not in out or n > out[fw][1]):
                out[fw] = (float(total), int(n), source)
    return out


def year_end(year: int) -> str:
    return dt.date(year, 12, 31).isoformat()
