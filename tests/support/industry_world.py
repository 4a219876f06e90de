"""A made-up industry world for the collectors: what every source holds, and what the store must
end up with, known by construction.

Every job ad and abstract is built from labels (the frameworks it names, in one of the spellings
people use, HTML-escaped as HN sends it) mixed with decoys that name nothing ("Jax" the person,
JAX-RS, JAXB, Lua's torch, TF-IDF, a paddle board, Ajax). The expected counts come from the
labels, never from the collector's own matching, so a test fails when the matching is wrong.
``World(scale="test")`` is small and fast; ``scale="real"`` has the real repositories' ages and
a thread, a Stack Overflow month and an arXiv month for every month of the default backfill, for
``bench/bench_industry.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import random
from dataclasses import dataclass, field

from tests.support.industry_fakes import (
    FakeAlgolia,
    FakeArxiv,
    FakeGitHub,
    FakeHub,
    FakeIndustry,
    FakePyPIStats,
    FakeStackExchange,
    Paper,
    Question,
    Repo,
    Thread,
    unix,
    week_start,
)
from trendbot.storage.frameworks import load_frameworks

FRAMEWORKS = load_frameworks().frameworks
IDS = tuple(f.id for f in FRAMEWORKS)
SPELLINGS = {
    "pytorch": ["PyTorch", "pytorch", "PYTORCH"],
    "tensorflow": ["TensorFlow", "tensorflow", "Tensor-Flow"],
    "jax": ["JAX", "jax"],
    "keras": ["Keras", "tf.keras"],
    "mxnet": ["MXNet", "mx-net", "Apache MXNet"],
    "paddlepaddle": ["PaddlePaddle", "paddle-paddle"],
    "mindspore": ["MindSpore", "mind-spore"],
}
HN_ONLY = {"pytorch": ["Py-Torch"], "paddlepaddle": ["PaddleNLP"]}  # the search cannot find these
DECOYS = ["Jax (our CTO)", "JAX-RS services", "a JAXB binding", "Lua's torch", "TF-IDF",
          "a paddle board", "Ajax forms", "a flashlight (torch)"]  # fmt: skip
REAL_CREATED = {
    "pytorch": dt.date(2016, 8, 13),
    "tensorflow": dt.date(2015, 11, 7),
    "jax": dt.date(2018, 10, 25),
    "keras": dt.date(2015, 3, 28),
    "mxnet": dt.date(2015, 4, 30),
    "paddlepaddle": dt.date(2016, 8, 15),
    "mindspore": dt.date(2020, 3, 27),
}
CATS = ("cs.LG", "cs.CV", "cs.CL")


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, cur = [], first.replace(day=1)
    while cur <= last:
        out.append(cur)
        cur = (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def last_complete_month(today: dt.date) -> dt.date:
    """As the collectors define it: ended at least two days ago."""
    cur = (today - dt.timedelta(days=2)).replace(day=1)
    return (cur - dt.timedelta(days=1)).replace(day=1)


@dataclass
class World:
    today: dt.date = dt.date(2026, 11, 20)
    scale: str = "test"
    seed: int = 7
    repos: dict[str, Repo] = field(default_factory=dict)
    downloads: dict[str, dict[dt.date, int]] = field(default_factory=dict)  # package → day
    threads: list[tuple[Thread, dict[str, int]]] = field(default_factory=list)
    so: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # (series, month) → n
    hub: dict[str, int] = field(default_factory=dict)
    arxiv: dict[tuple[str, dt.date], int] = field(default_factory=dict)
    hn_first: dt.date = dt.date(2026, 6, 1)
    so_first: dt.date = dt.date(2026, 6, 1)
    arxiv_first: dt.date = dt.date(2026, 6, 1)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        real = self.scale == "real"
        if real:
            self.hn_first, self.so_first, self.arxiv_first = (
                dt.date(2017, 1, 1), dt.date(2021, 1, 1), dt.date(2021, 1, 1),
            )  # fmt: skip
        self.last_month = last_complete_month(self.today)
        self._github(real)
        self._downloads(real)
        self._hn(real)
        self._so(real)
        self._hub()
        self._arxiv(real)

    # -- GitHub
    def _github(self, real: bool) -> None:
        for i, fw in enumerate(FRAMEWORKS):
            created = REAL_CREATED.get(fw.id) if real else None
            created = created or self.today - dt.timedelta(days=60 + 97 * i)
            n_weeks = (week_start(self.today) - week_start(created)).days // 7 + 1
            weekly = [self.rng.randint(0, 400) for _ in range(n_weeks)]
            self.repos[fw.id] = Repo(
                full_name=fw.github_repo,
                repo_id=10_000 + i,
                stars=sum(weekly) + 7,  # GitHub's count runs a little above retained stars
                forks=1000 + 13 * i,
                issues=200 + i,
                contributors=50 + 101 * i,
                created=created,
                weekly=weekly,
            )

    def week_totals(self, fw: str) -> dict[str, int]:
        """Expected star history: the last day of each complete week → stars by then."""
        repo, out, total = self.repos[fw], {}, 0
        start = week_start(repo.created)
        for i, n in enumerate(repo.weekly):
            total += n
            end = start + dt.timedelta(weeks=i, days=6)
            if end < self.today:
                out[end.isoformat()] = total
        return out

    # -- PyPI
    def _downloads(self, real: bool) -> None:
        self.data_end = self.today - dt.timedelta(days=2)
        days = 3650 if real else 150
        for fw in FRAMEWORKS:
            first = self.data_end - dt.timedelta(days=days - 1)
            base = self.rng.randint(1_000, 900_000)
            self.downloads[fw.pypi_main] = {
                first + dt.timedelta(days=d): base + self.rng.randint(0, base // 3)
                for d in range(days)
                if d % 97 != 5  # a few days without a row: no downloads that day
            }

    def clickhouse_parts(self) -> list[list[tuple[str, dt.date, int]]]:
        """Three INSERTs; a day's count may be split over two of them (unmerged parts)."""
        parts: list[list] = [[], [], []]
        for package, days in self.downloads.items():
            for day, n in days.items():
                if day.day % 3 == 0:
                    parts[0].append((package, day, n - n // 4))
                    parts[2].append((package, day, n // 4))
                else:
                    parts[day.day % 2].append((package, day, n))
        return parts

    def window(self, package: str, end: dt.date) -> int:
        days = self.downloads[package]
        return sum(days.get(end - dt.timedelta(days=i), 0) for i in range(30))

    def month_total(self, package: str, month: dt.date) -> int:
        return sum(n for d, n in self.downloads[package].items() if d.replace(day=1) == month)

    # -- HN
    def _text(self, labels: set[str], spellings: dict[str, list[str]], ml: bool) -> str:
        parts = [f"{self.rng.choice(spellings[fw])}" for fw in sorted(labels)]
        parts += self.rng.sample(DECOYS, 2)
        if ml:
            parts.append("machine learning")
        self.rng.shuffle(parts)
        return "We build things with " + ", ".join(parts) + ". Remote OK."

    def _hn(self, real: bool) -> None:
        spellings = {k: v + HN_ONLY.get(k, []) for k, v in SPELLINGS.items()}
        for j, month in enumerate(months(self.hn_first, self.last_month)):
            n_ads = self.rng.randint(300, 900) if real else self.rng.randint(8, 25)
            if real and j % 37 == 3:
                n_ads = 1100  # a thread beyond Algolia's 1,000 hits per query
            counts = dict.fromkeys([*IDS, "_all", "_ml"], 0)
            ads = []
            for _ in range(n_ads):
                labels = {fw for fw in IDS if self.rng.random() < 0.12}
                ml = self.rng.random() < 0.2
                text = self._text(labels, spellings, ml)
                ads.append("<p>" + html.escape(text).replace("/", "&#x2F;") + "</p>")
                for fw in labels:
                    counts[fw] += 1
                counts["_all"] += 1
                counts["_ml"] += ml
            thread = Thread(30_000_000 + 1000 * j, month, ads, replies=n_ads // 3)
            self.threads.append((thread, counts))

    # -- Stack Overflow
    def _so(self, real: bool) -> None:
        self.questions: list[Question] = []
        self.untagged: dict[dt.date, int] = {}
        qid = 1
        big = {"pytorch": 900, "tensorflow": 1200, "keras": 500}
        for month in months(self.so_first, self.last_month):
            start = unix(month)
            end = unix((month + dt.timedelta(days=32)).replace(day=1))
            total = 0
            for fw in FRAMEWORKS:
                tag = fw.stackoverflow_tag
                n = self.rng.randint(0, big.get(fw.id, 6) if real else 12)
                if fw.id == "mindspore" and month == self.so_first:
                    n = 0
                for _ in range(n):
                    self.questions.append(Question(qid, frozenset({tag, "python"}),
                                                   self.rng.randint(start, end - 1)))  # fmt: skip
                    qid += 1
                self.so[(fw.id, month)] = n
                total += n
            self.untagged[month] = 20_000 + self.rng.randint(0, 5000)
            self.so[("_all", month)] = total + self.untagged[month]

    # -- Hub
    def _hub(self) -> None:
        for fw in FRAMEWORKS:
            for tag in fw.huggingface:
                self.hub[tag] = self.rng.randint(0, 2500)

    def hub_expected(self, fw_id: str) -> int | None:
        fw = next(f for f in FRAMEWORKS if f.id == fw_id)
        return sum(self.hub[t] for t in fw.huggingface) if fw.huggingface else None

    # -- arXiv
    def _arxiv(self, real: bool) -> None:
        self.papers: list[Paper] = []
        self.other: dict[dt.date, int] = {}
        n = 0
        for month in months(self.arxiv_first, self.last_month):
            counts = dict.fromkeys([*IDS, "_all"], 0)
            per = self.rng.randint(120, 300) if real else self.rng.randint(6, 18)
            for k in range(per):
                labels = {fw for fw in IDS if self.rng.random() < 0.25}
                ours = self.rng.random() < 0.85
                cats = (self.rng.choice(CATS), "stat.ML") if ours else ("stat.ML", "math.OC")
                text = self._text(labels, SPELLINGS, False)
                day = min(28, 1 + k % 28)
                when = dt.datetime(month.year, month.month, day, 13, 5, tzinfo=dt.UTC)
                n += 1
                self.papers.append(Paper(f"{month:%y%m}.{n:05d}", when, cats, text))
                if ours:
                    counts["_all"] += 1
                    for fw in labels:
                        counts[fw] += 1
            self.other[month] = self.rng.randint(5000, 9000) if real else 100
            counts["_all"] += self.other[month]
            for series, value in counts.items():
                self.arxiv[(series, month)] = value

    # -- the fake
    def fake(self, *, clickhouse: bool = True, github_limit: int = 5000, se_quota: int = 10_000,
             models_json: bool = True) -> FakeIndustry:  # fmt: skip
        ch = None
        if clickhouse:
            from tests.support.clickhouse_chdb import ChdbClickHouse

            ch = ChdbClickHouse(self.clickhouse_parts())
        recent = self.data_end - dt.timedelta(days=179)
        stats = {p: {d: n for d, n in days.items() if d >= recent}
                 for p, days in self.downloads.items()}  # fmt: skip
        return FakeIndustry(
            github=FakeGitHub(list(self.repos.values()), self.today, limit=github_limit),
            hn=FakeAlgolia([t for t, _ in self.threads]),
            se=FakeStackExchange(self.questions, self.untagged, quota=se_quota),
            hf=FakeHub(dict(self.hub), models_json=models_json),
            arxiv=FakeArxiv(self.papers, self.other),
            pypistats=FakePyPIStats(stats),
            clickhouse=ch,
        )

    def since(self) -> dict[str, dt.date]:
        return {"hn": self.hn_first, "so": self.so_first, "arxiv": self.arxiv_first}
