"""A collected venue-year of the ``code`` method, written exactly as a collection writes it
(``storage.papers``: the listing, each paper's links with ``save_results``, the repositories with
``save_repos``), for the chat commands' tests. Two years of NeurIPS make a trend.

Every outcome the method knows is in NeurIPS 2024: frameworks (two papers sharing one
repository), several, none, gone, empty, a GitLab repository, one not read yet, papers linking
no code, a paper whose text was not searched (it failed to download) and a workshop paper that is
outside the population. ``EXPECTED`` is what the counts must say, worked out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from trendbot.storage import code
from trendbot.storage import papers as db

SOURCE = "trendbot-neurips"
LINKS_RULE = "links-1"
CODE_RULE = "code-1"
READ_AT = ("2026-12-02T08:00:00+00:00", "2026-12-03T09:30:00+00:00")


@dataclass(frozen=True)
class Planned:
    title: str
    repo: str | None = None  # the own link; None: links no code
    outcome: str | None = None  # what reading the repository found; None: not read
    host: str = "github.com"
    status: str = "ok"
    main: bool = True
    also: tuple[str, ...] = ()  # cited tools linked beside the own repository


def _plan_2024() -> list[Planned]:
    papers = [
        Planned(f"Diffusion Transformers at Scale {i}", f"lab{i}/dit-{i}", "pytorch")
        for i in range(9)
    ]
    papers += [
        Planned(
            "Sparse Mixtures for Vision", "shared/sparse-moe", "pytorch", also=("pytorch/vision",)
        ),
        Planned("Sparse Mixtures for Language", "Shared/Sparse-MoE", "pytorch"),  # same repository
        Planned("Learned Optimizers in JAX", "deepmind-x/learned-opt", "jax"),
        Planned("Equivariant Flows with Flax", "flowlab/eqflow", "jax"),
        Planned("TensorFlow Probability for Bandits", "bandit/tfp-bandits", "tensorflow"),
        Planned("Bridging Frameworks for Robot Learning", "robots/bridge", "several"),
        Planned("A Theory of Grokking", "theory/grok-sims", "none"),
        Planned("Vanished Benchmarks", "gone/bench", "gone"),
        Planned("An Empty Promise", "empty/promise", "empty"),
        Planned("Kernels on GitLab", "kern/kernels", host="gitlab.com"),
        Planned("Waiting for the Quota", "later/quota-wait"),  # GitHub, not read yet
        Planned("Pure Theory of Attention"),
        Planned("Another Theorem Without Code"),
        Planned("A Paper That Failed to Download", status="failed"),
        Planned("Workshop Paper With Code", "ws/tool", "pytorch", main=False),
    ]
    return papers


def _plan_2023() -> list[Planned]:
    papers = [Planned(f"Vision Paper {i}", f"v23-{i}/net", "pytorch") for i in range(5)]
    papers += [
        Planned("Keras Models for Tabular Data", "tab/keras-tab", "tensorflow"),
        Planned("TF Agents Revisited", "agents/tfa", "tensorflow"),
        Planned("JAX Physics", "phys/jaxphys", "jax"),
        Planned("Theory 2023"),
        Planned("More Theory 2023"),
    ]
    return papers


PLANS = {2023: _plan_2023(), 2024: _plan_2024()}

# (venue-year) → the figures the code method must store, counted by hand from the plans above.
EXPECTED = {
    2024: {
        "pytorch": 11, "jax": 2, "tensorflow": 1, "several": 1, "none": 1,
        "accepted": 23, "searched": 22, "linked": 20, "gone": 1, "empty": 1, "elsewhere": 1,
        "unread": 1, "total": 16,
    },
    2023: {
        "pytorch": 5, "tensorflow": 2, "jax": 1, "several": 0, "none": 0,
        "accepted": 10, "searched": 10, "linked": 8, "gone": 0, "empty": 0, "elsewhere": 0,
        "unread": 0, "total": 8,
    },
}  # fmt: skip

EVIDENCE = {
    "pytorch": ("requirements.txt", 3, "torch>=2.1"),
    "jax": ("pyproject.toml", 12, '"jax[cuda12]>=0.4.20"'),
    "tensorflow": ("setup.py", 20, "'tensorflow>=2.12'"),
}


def code_method(store):
    return next(m for m in store.methods().values() if m.is_code)


def paper_id(year: int, i: int) -> str:
    return f"neurips:{year}:c{i}"


def _repo_row(p: Planned, when: str) -> code.RepoRow:
    if p.outcome == "several":
        fws = ("jax", "pytorch")
        evidence = tuple(code.EvidenceRow(*EVIDENCE[fw], fw) for fw in fws)
    elif p.outcome in EVIDENCE:
        fws, evidence = (p.outcome,), (code.EvidenceRow(*EVIDENCE[p.outcome], p.outcome),)
    else:
        fws, evidence = (), ()
    read = ("requirements.txt",) if p.outcome == "none" else ()
    return code.RepoRow(
        "github.com", p.repo or "", p.outcome or "", CODE_RULE, when,
        frameworks=fws, evidence=evidence,
        decided_by="manifests" if evidence else None, read=read, etags={"repo": '"e1"'},
    )  # fmt: skip


def write_code_years(store, years: tuple[int, ...] = (2023, 2024)) -> dict[int, dict[str, int]]:
    """Write the planned NeurIPS years through the collector's storage calls; return EXPECTED."""
    method = code_method(store)
    db.ensure_source(
        store.conn,
        {"id": SOURCE, "name": "NeurIPS proceedings (example data)", "url": "http://x",
         "citation": "c", "kind": "collection"},
    )  # fmt: skip
    store.conn.commit()
    store.refresh()
    for year in years:
        plan = PLANS[year]
        listed = [
            db.ListedPaper(
                paper_id(year, i), p.title, ("A. Author", "B. Author"),
                f"https://papers.example/{year}/{i}.pdf", "main" if p.main else "workshop", p.main,
            )
            for i, p in enumerate(plan)
        ]  # fmt: skip
        db.save_listing(store.conn, venue_id="neurips", year=year, source_id=SOURCE,
                        population="accepted", papers=listed)  # fmt: skip
        agg = db.Aggregate("neurips", year, SOURCE, [method], note="accepted papers (test)")
        results = []
        for i, p in enumerate(plan):
            if not p.main:
                continue
            if p.status == "failed":
                results.append(db.PaperResult(paper_id(year, i), "failed", "HTTP 500 three times"))
                continue
            links = []
            if p.repo:
                links.append(
                    code.LinkRow(p.host, p.repo, f"https://{p.host}/{p.repo}", "code", True,
                                 why="first page: 'Code is available at …'", pages=(1,),
                                 first_page=True, code_sentence=True)
                )  # fmt: skip
            links += [
                code.LinkRow("github.com", t, f"https://github.com/{t}", "code", False, tool=True,
                             why="a cited tool", pages=(6,))
                for t in p.also
            ]  # fmt: skip
            results.append(
                db.PaperResult(paper_id(year, i), "ok", pages=9, rules={method.id: method.version},
                               links=tuple(links), links_rule=LINKS_RULE)
            )  # fmt: skip
        db.save_results(store.conn, results, aggregate=agg)
        seen: dict[str, code.RepoRow] = {}
        for i, p in enumerate(plan):
            if p.main and p.outcome and p.host == "github.com":
                row = _repo_row(p, READ_AT[i % 2])
                seen.setdefault(row.key, row)
        db.save_repos(store.conn, list(seen.values()), aggregate=agg)
    store.refresh()
    return {y: EXPECTED[y] for y in years}
