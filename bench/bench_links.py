"""What finding repository links adds to reading a paper, per page (goal: ≤ 5 % of extraction +
detection).

Run ``python bench/bench_links.py`` (~15 s; needs nothing beyond the test extras). It draws a
small set of generated papers (tests/support/pdfgen.py, matplotlib pages with an embedded font),
half of them with repository links on some pages (split across lines and page breaks, as in
tests/test_codelinks.py), then times, in this process and on CPU time, best of ``--rounds``:
pdfium's extraction (``extract``), normalisation and the three rule sets (``detect_all``), and
link finding (``codelinks.code_links`` on the page texts), and prints each per page and links as
a share of the first two. ``bench_papers.py`` prints the same line on its own corpus
(``measure``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the PDF generator lives in tests/

from tests.support import pdfgen  # noqa: E402
from trendbot.collectors.codelinks import code_links  # noqa: E402
from trendbot.collectors.detect import BUILTIN, detect_all, normalise  # noqa: E402
from trendbot.collectors.pdftext import _keep_freed_memory, extract  # noqa: E402

GOAL = 0.05  # of extraction + detection


@dataclass(frozen=True)
class LinkCost:
    pages: int
    extract_ms: float  # CPU ms per page
    detect_ms: float
    links_ms: float
    papers_with_links: int

    @property
    def share(self) -> float:
        return self.links_ms / (self.extract_ms + self.detect_ms)

    def line(self) -> str:
        verdict = "meets" if self.share <= GOAL else "misses"
        return (
            f"link finding: {self.links_ms * 1000:.1f} µs a page beside extraction "
            f"{self.extract_ms:.2f} ms + detection {self.detect_ms:.2f} ms = "
            f"{100 * self.share:.2f} % ({verdict} the goal of ≤ {100 * GOAL:.0f} %; "
            f"{self.pages} pages, {self.papers_with_links} papers with links)"
        )


def _best(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def measure(datas: Sequence[bytes], rounds: int = 3, worker_malloc: bool = False) -> LinkCost:
    """Per-page CPU cost of extraction, detection and link finding on ``datas`` (PDF bytes);
    ``worker_malloc``: tune this process's malloc as a PDF worker's is (for good: only a
    process that does nothing else afterwards should)."""
    if worker_malloc:
        _keep_freed_memory()
    rules = tuple(BUILTIN.values())
    pdfs = [extract(d) for d in datas]
    pdfs = [p for p in pdfs if p.status == "ok"]
    pages = sum(p.pages for p in pdfs)
    ext = _best(lambda: [extract(d) for d in datas], rounds)
    det = _best(lambda: [detect_all(normalise(p.text), rules) for p in pdfs], rounds)
    lnk = _best(lambda: [code_links(p.page_texts) for p in pdfs], 3 * rounds)
    with_links = sum(1 for p in pdfs if code_links(p.page_texts))
    return LinkCost(pages, 1000 * ext / pages, 1000 * det / pages, 1000 * lnk / pages, with_links)


LINKED = {
    0: [(2, "Abstract"), (3, "Our code is available at https://github.com/"), (4, "ex-lab/net.")],
    1: [(6, "We build on github.com/pytorch/vision and the baseline at github.com/bob/base-"),
        (7, "line. See also https://huggingface.co/ex-lab/net-7b for the weights.")],
}  # fmt: skip


def corpus(papers: int, pages: int) -> list[bytes]:
    out = []
    for seed in range(papers):
        text = pdfgen.paper_text(seed, pages, [], lines_per_page=pdfgen.LINES_PER_PAGE)
        if seed % 2 == 0:
            for page, inserts in LINKED.items():
                for line, words in inserts:
                    text[page].insert(line, words)
        out.append(pdfgen.paper_pdf(text))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=6)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    datas = corpus(args.papers, args.pages)
    drawn = time.perf_counter() - t0
    print(f"corpus: {args.papers} papers of {args.pages} dense pages ({drawn:.1f} s to draw)")
    cost = measure(datas, args.rounds, worker_malloc=True)
    print(cost.line())
    return 0 if cost.share <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
