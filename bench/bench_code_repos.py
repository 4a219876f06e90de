"""The code collector: GitHub requests per repository, and how many repositories an hour of
GitHub's authenticated rate (5,000 requests) checks.

A GitHub stand-in answers on 127.0.0.1 in the documented formats (tests/support/github_code.py)
with a mix of paper repositories: most decided by GitHub's dependency graph (SBOM), some by a
requirements file, some only by their imports, a few empty or deleted. The mix is an assumption
for planning, printed with the figures; the per-kind costs beside it do not depend on it. Each
repository is checked once, then re-checked with the ETags of the first check (nothing changed:
GitHub's 304s cost no quota when authenticated), then re-checked after its stars moved (the
repository answers 200, what decided it 304).

Run: ``python bench/bench_code_repos.py [--repos 400]`` (a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stand-in lives in tests/

from tests.support.github_code import FakeRepo, GitHubCode  # noqa: E402
from tests.support.loopback import Loopback  # noqa: E402
from tests.support.papers_support import loopback_client  # noqa: E402
from trendbot.collectors.code.repo import check_repo  # noqa: E402
from trendbot.collectors.policy import DEFAULT_POLICIES  # noqa: E402

HOURLY = 5000  # GitHub's primary rate limit with a token, requests an hour
MIX = (("sbom", 50), ("requirements", 30), ("imports", 12), ("none", 4), ("empty", 2), ("gone", 2))
MODEL = (
    "import numpy as np\nimport torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    pass\n"
)


def make(kind: str, i: int) -> FakeRepo | None:
    name = f"lab{i % 37}/paper-{i}"
    files = {
        "README.md": "# code for the paper\n",
        "models/net.py": MODEL,
        "utils.py": "import os\n",
    }
    if kind == "sbom":
        return FakeRepo(name, files | {"requirements.txt": "torch\n"},
                        sbom=["pkg:pypi/torch@2.1.0", "pkg:pypi/numpy@1.26.0"])  # fmt: skip
    if kind == "requirements":
        return FakeRepo(name, files | {"requirements.txt": "torch>=2.1\nnumpy\n"})
    if kind == "imports":
        return FakeRepo(name, files | {"requirements.txt": "numpy\n", "train.py": MODEL})
    if kind == "none":
        return FakeRepo(name, {"README.md": "# soon\n", "run.py": "import os\n"})
    if kind == "empty":
        return FakeRepo(name, {})
    return None  # gone


async def run(n: int) -> None:
    gh = GitHubCode()
    plan: list[tuple[str, str]] = []
    kinds = [k for k, share in MIX for _ in range(share)]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        repo = make(kind, i)
        if repo is not None:
            gh.add(repo)
        plan.append((kind, repo.full_name if repo else f"gone{i}/paper-{i}"))
    async with Loopback() as srv:
        urls = gh.install(srv)
        async with loopback_client(srv, env={"GITHUB_TOKEN": "bench"}, **urls) as http:
            rounds: dict[str, dict] = {}
            sem = asyncio.Semaphore(8)

            async def one(name: str, prev: dict) -> object:
                async with sem:
                    return await check_repo(http, name, prev.get(name))

            for label in ("first check", "re-check, nothing changed", "re-check, stars moved"):
                if label == "re-check, stars moved":
                    for repo in gh.repos.values():
                        repo.stars += 1
                prev = rounds.get("last", {})
                started = time.perf_counter()

                results = await asyncio.gather(*(one(name, prev) for _, name in plan))
                wall = time.perf_counter() - started
                rounds["last"] = {name: r for (_, name), r in zip(plan, results, strict=True)}
                report(label, plan, results, wall)
            outcomes = Counter(r.outcome for r in rounds["last"].values())
            print(f"outcomes: {dict(outcomes)}")


def report(label: str, plan, results, wall: float) -> None:
    per_kind: dict[str, list] = defaultdict(list)
    for (kind, _), result in zip(plan, results, strict=True):
        per_kind[kind].append(result)
    api = sum(r.api_requests for r in results)
    quota = sum(r.api_requests - r.not_modified for r in results)  # 304s are free
    raw = sum(r.raw_requests for r in results)
    n = len(results)
    print(f"\n{label}: {n} repositories in {wall:.2f} s on loopback")
    print(f"  {'kind':<13} {'API req/repo':>12} {'quota/repo':>10} {'raw req/repo':>12}")
    for kind, _ in MIX:
        rs = per_kind[kind]
        if rs:
            a = sum(r.api_requests for r in rs) / len(rs)
            q = sum(r.api_requests - r.not_modified for r in rs) / len(rs)
            w = sum(r.raw_requests for r in rs) / len(rs)
            print(f"  {kind:<13} {a:>12.2f} {q:>10.2f} {w:>12.2f}")
    per_repo = quota / n
    hourly = f"{HOURLY / per_repo:,.0f}" if per_repo else "unbounded (all 304)"
    print(f"  all (mix)     {api / n:>12.2f} {per_repo:>10.2f} {raw / n:>12.2f}")
    print(f"  repositories per hour at GitHub's authenticated rate ({HOURLY:,}/h): {hourly}")
    rate = DEFAULT_POLICIES["github"].rate
    paced = 3600 * rate / (api / n)
    print(f"  ... at trendbot's own GitHub pacing ({rate:g} request/s, 304s too): {paced:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=400)
    args = parser.parse_args()
    mix = ", ".join(f"{k} {s}%" for k, s in MIX)
    print(f"mix (an assumption): {mix}")
    asyncio.run(run(args.repos))


if __name__ == "__main__":
    main()
