"""Collected venue-years for the `!papers` / `!paper` tests, written the way the paper collector
writes them: a ``sources`` row per paper source, ``save_listing`` with the listing as the source
gives it (the sources' real URL shapes and ids), then ``save_results`` in batches with the last
one aggregating the venue-year's counts.

Each paper's result is derived from the words its text would contain, by the stored methods'
own terms (the collector's rule: a framework is named when one of its terms is found; under an
exclusive rule a paper naming both PyTorch and TensorFlow counts for neither; a method's pair
figure counts papers naming both), so the tests never hand-write what a rule would decide.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trendbot.storage import Method, Store, runs
from trendbot.storage import papers as db

SOURCES = {
    "neurips": "NeurIPS proceedings (papers.nips.cc), read by trendbot",
    "openreview": "OpenReview (openreview.net), read by trendbot",
    "cvf": "CVF Open Access (openaccess.thecvf.com), read by trendbot",
    "pmlr": "PMLR proceedings of ICML (proceedings.mlr.press), read by trendbot",
}
POPULATIONS = {
    "neurips": "accepted main-track papers (the proceedings' Conference track)",
    "openreview": "accepted papers (oral, spotlight and poster) of the main conference",
    "cvf": "accepted main-conference papers",
    "pmlr": "accepted main-conference papers (the PMLR volume)",
}


@dataclass(frozen=True)
class Paper:
    title: str
    words: tuple[str, ...] = ()  # what its text contains (framework terms)
    status: str = "ok"  # ok | no_text | failed | pending
    reason: str = ""
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    track: str = "main"
    pages: int = 9
    key: str = ""  # the source's own id (a NeurIPS hash), when the test wants the real one


def _hash(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # the shape of a NeurIPS paper hash


def listed(source: str, year: int, venue: str, p: Paper) -> db.ListedPaper:
    """A listing row with the real id and URL shapes of ``source``."""
    main = p.track == "main"
    if source == "neurips":
        h = p.key or _hash(p.title)
        # Track tokens in the file names from 2022 on; none before (collectors/papers/neurips.py).
        kind = "" if year < 2022 else "-Conference" if main else "-Datasets_and_Benchmarks_Track"
        base = f"https://papers.nips.cc/paper_files/paper/{year}"
        return db.ListedPaper(
            f"neurips:{year}:{h}",
            p.title,
            p.authors,
            f"{base}/file/{h}-Paper{kind}.pdf",
            p.track,
            main,
            f"{base}/hash/{h}-Abstract{kind}.html",
        )
    if source == "openreview":
        note = _hash(p.title)[:10]
        return db.ListedPaper(
            f"openreview:{note}",
            p.title,
            p.authors,
            f"https://api2.openreview.net/pdf?id={note}",
            p.track,
            main,
            f"https://openreview.net/forum?id={note}",
        )
    if source == "cvf":
        first = p.authors[0].split()[-1] if p.authors else "Anon"
        stem = f"{first}_{'_'.join(re.findall(r'[A-Za-z0-9-]+', p.title))}_{venue}_{year}"
        base = f"https://openaccess.thecvf.com/content/{venue}{year}"
        return db.ListedPaper(
            f"cvf:{stem}",
            p.title,
            p.authors,
            f"{base}/papers/{stem}_paper.pdf",
            p.track,
            main,
            f"{base}/html/{stem}_paper.html",
        )
    if source == "pmlr":
        key = f"{p.authors[0].split()[-1].lower()}{year % 100}{_hash(p.title)[:1]}"
        return db.ListedPaper(
            f"pmlr:v235:{key}",
            p.title,
            p.authors,
            f"https://raw.githubusercontent.com/mlresearch/v235/main/assets/{key}/{key}.pdf",
            p.track,
            main,
            f"https://proceedings.mlr.press/v235/{key}.html",
        )
    raise ValueError(source)


def _named(term: str, words: set[str]) -> bool:
    if term.startswith("re:"):
        return re.search(term[3:], " ".join(sorted(words))) is not None
    return term in words


def result(pid: str, p: Paper, methods: Sequence[Method]) -> db.PaperResult:
    """What reading the paper gives, decided by each method's own terms and rule."""
    rules = {m.id: m.version for m in methods}
    if p.status in ("failed", "no_text"):
        return db.PaperResult(pid, p.status, p.reason, p.pages, {}, rules)
    words = set(p.words)
    mentions: dict[str, list[db.Mention]] = {}
    for m in methods:
        found = {
            fw: hits
            for fw, terms in m.terms.items()
            if (hits := [t for t in terms if _named(t, words)])
        }
        pair = ("pytorch", "tensorflow") if m.exclusive else ()
        drop = set(pair) if pair and all(f in found for f in pair) else set()
        rows = [db.Mention(fw, fw not in drop, tuple(hits)) for fw, hits in found.items()]
        if m.both and all(b in found for b in m.both):
            rows.append(db.Mention("+".join(m.both), True))
        mentions[m.id] = rows
    return db.PaperResult(pid, "ok", "", p.pages, mentions, rules)


def collected_methods(store: Store) -> list[Method]:
    by_name = {m.name: m for m in store.methods().values()}
    return [by_name["final"], by_name["modern"]]


def collect(
    store: Store,
    source: str,
    venue_id: str,
    year: int,
    papers: Iterable[Paper],
    *,
    batch: int = 7,
    fetched_at: str = "2026-11-02T10:00:00+00:00",
) -> list[db.ListedPaper]:
    """One venue-year collected as the collector does it; papers marked ``pending`` stay
    unread (a collection in progress)."""
    papers = list(papers)
    db.ensure_source(
        store.conn,
        {
            "id": f"trendbot-{source}",
            "name": SOURCES[source],
            "url": "https://example.invalid/" + source,
            "citation": SOURCES[source],
            "kind": "collection",
        },
    )
    store.conn.commit()
    store.refresh()
    venue = store.venues()[venue_id].name
    rows = [listed(source, year, venue, p) for p in papers]
    db.save_listing(
        store.conn,
        venue_id=venue_id,
        year=year,
        source_id=f"trendbot-{source}",
        population=POPULATIONS[source],
        papers=rows,
        fetched_at=fetched_at,
    )
    methods = collected_methods(store)
    todo = [
        result(r.id, p, methods)
        for r, p in zip(rows, papers, strict=True)
        if r.main and p.status != "pending"
    ]
    agg = db.Aggregate(venue_id, year, f"trendbot-{source}", methods, note=POPULATIONS[source])
    run = runs.start_run(store.conn, "papers", {"venue_id": venue_id, "year": year})
    for i in range(0, max(len(todo), 1), batch):
        last = i + batch >= len(todo)
        db.save_results(store.conn, todo[i : i + batch], aggregate=agg if last else None)
    runs.finish_run(store.conn, run, "ok", len(todo), {"venue_id": venue_id, "year": year})
    store.refresh()
    return rows


# -- the data set the command tests share ----------------------------------------------------------
# The real paper: its text links github.com/tensorflow/tensor2tensor, and names no PyTorch term.
ATTENTION = Paper(
    "Attention Is All You Need",
    ("tensorflow",),
    authors=(
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
        "Llion Jones",
        "Aidan N. Gomez",
        "Łukasz Kaiser",
        "Illia Polosukhin",
    ),
    pages=11,
    key="3f5ee243547dee91fbd053c1c4a845aa",
)
LONG_TITLE = (
    "A Very Long Title About Scaling Laws, Mixture-of-Experts Routing, Sparse Attention Kernels "
    "and Everything Else a Reviewer Could Want in One Paper: Theory, Practice, Benchmarks, "
    "Ablations, Negative Results, Reproducibility Checklists and an Appendix Longer Than the "
    "Paper Itself (Extended Version)"
)
HOSTILE_TITLE = "**Bold** `code` @everyone <@123456789012345678> ~~strike~~ [link](https://x.test)"


def neurips_2024() -> list[Paper]:
    """25 main papers (JAX 12, PyTorch 14 of which 2 also TensorFlow, Keras 2), 2 that could not
    be read, 1 scan, and one Datasets & Benchmarks paper outside the main population."""
    out = []
    for i in range(12):
        extra = ("pytorch",) if i < 3 else ()
        out.append(Paper(f"JAX Study {i:02d}: Scaling Flax Models", ("jax", "flax.linen", *extra)))
    for i in range(9):
        out.append(Paper(f"PyTorch Study {i:02d}: Vision Transformers", ("pytorch", "torchvision")))
    out.append(Paper("Keras Baselines for Tabular Data", ("keras",)))
    out.append(Paper("Keras and PyTorch Side by Side", ("keras", "pytorch")))
    out.append(Paper(LONG_TITLE, ("pytorch", "tensorflow")))
    out.append(Paper(HOSTILE_TITLE, ("tensorflow",)))
    out.append(Paper("Unreadable Paper One", status="failed", reason="HTTP 404 Not Found"))
    out.append(Paper("Unreadable Paper Two", status="failed", reason="timed out after 60 s"))
    out.append(Paper("A Scanned Paper", status="no_text", pages=12))
    out.append(Paper("A Benchmark of Benchmarks", ("pytorch",), track="datasets_and_benchmarks"))
    return out


def iclr_2024() -> list[Paper]:
    """23 papers with short OpenReview links: ten to a page."""
    return [
        Paper(f"ICLR Paper {i:02d} on Representation Learning", ("pytorch",)) for i in range(23)
    ]


def cvpr_2024() -> list[Paper]:
    """Long CVF links (the file stem carries the title): fewer papers to a page."""
    return [
        Paper(
            f"Segment Everything Everywhere All at Once With Long Descriptive Titles {i:02d}",
            ("pytorch",),
            authors=("José Álvarez-Núñez", "Zoë Müller"),
        )
        for i in range(9)
    ] + [Paper("Schrödinger's Bridge for Café Images", ("jax",), authors=("Zoë Müller",))]


def load_all(store: Store) -> None:
    """NeurIPS 2024, ICLR 2024 and CVPR 2024 read; NeurIPS 2017 (the Transformer) read;
    ICML 2024 listed but not read yet."""
    collect(store, "neurips", "neurips", 2024, neurips_2024())
    collect(store, "openreview", "iclr", 2024, iclr_2024())
    collect(store, "cvf", "cvpr", 2024, cvpr_2024())
    collect(store, "neurips", "neurips", 2017, [ATTENTION, Paper("Another 2017 Paper", ("caffe",))])
    collect(
        store,
        "pmlr",
        "icml",
        2024,
        [Paper(f"ICML Paper {i}", status="pending") for i in range(4)],
    )
