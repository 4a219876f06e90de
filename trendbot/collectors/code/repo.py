"""Which framework one GitHub repository is written in, read the cheapest way that says so.

Why this order: each step costs more than the one before, and most paper repositories are
decided by the first that answers.

1. ``GET /repos/{owner}/{repo}`` — the default branch, and whether the repository still exists
   (404 → ``gone``) or was renamed (GitHub answers the old name with a 301 to the new one; the
   client follows it and the answer's ``full_name`` is recorded as ``moved_to``).
2. ``GET /repos/{owner}/{repo}/dependency-graph/sbom`` — GitHub's dependency graph as SPDX JSON;
   when it lists Python packages (``pkg:pypi/torch@2.1.0``) and one is a framework, that decides.
3. Otherwise ``GET /repos/{owner}/{repo}/git/trees/{branch}?recursive=1`` (409 or an empty tree
   → ``empty``), then the manifests in it (requirements*.txt, setup.py, setup.cfg,
   pyproject.toml, environment.yml; at most :data:`MAX_MANIFESTS`) read from the raw file host,
   which spends no API quota; when those name no framework (or the SBOM already listed the
   repository's Python packages without one), the imports of at most :data:`MAX_PY_FILES` of
   its ``.py`` files.

A re-check sends the ETag of every API answer the last check used. GitHub answers an unchanged
resource with 304, which does not count against the hourly quota when the request is
authenticated: a repository nobody pushed to costs one 304; one whose stars moved but whose
code did not costs a 200 and 304s, and no raw file. A spent quota raises ``QuotaSpent`` (from
the client): nothing half-decided is returned, and the caller leaves the rest for a later run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

from trendbot.collectors.code import manifests, terms
from trendbot.collectors.code.manifests import Declared
from trendbot.collectors.http import Fetched, HttpClient, check_json

API, RAW = "github", "github_raw"  # the two sources' policies (collectors/policy.py)
API_VERSION = "2022-11-28"
MAX_MANIFESTS = 8  # manifests read per repository (the shallowest first)
MAX_PY_FILES = 8  # Python files whose imports are read when no manifest names a framework
MAX_PY_BYTES = 512 * 1024  # a larger .py file (generated, vendored) is not read
MAX_EVIDENCE = 20
OFF_LOOP_BYTES = 64 * 1024  # parse bodies larger than this in a worker thread
_PREFERRED = re.compile(r"(train|main|model|run|net)", re.I)
_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")

# What decided a repository (``CodeCheck.decided_by``).
BY_SBOM, BY_MANIFESTS, BY_IMPORTS = "sbom", "manifests", "imports"
GONE, EMPTY = "gone", "empty"


@dataclass(frozen=True)
class Evidence:
    """One line that names a framework: the file (``SBOM`` for GitHub's dependency graph), its
    line (0 when the format has none) and the text as written."""

    file: str
    line: int
    text: str
    framework: str

    def __str__(self) -> str:
        return f"{self.file}: {self.text}"


@dataclass(frozen=True)
class CodeCheck:
    """What one check of a repository found.

    ``outcome``: a framework's name, ``several`` (all of them in ``frameworks``), ``none``,
    ``gone`` (404) or ``empty`` (no commits, or an empty tree). ``moved_to``: the repository's
    new ``owner/name`` when GitHub redirected the one asked for (the outcome is the new one's).
    ``unchanged``: a re-check GitHub answered with 304s, so the outcome and evidence are the
    previous check's, carried over. ``read``: every file looked at (for a ``none``, what was
    searched). ``etags``: what the next re-check sends.
    """

    repo: str
    outcome: str
    frameworks: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    moved_to: str | None = None
    unchanged: bool = False
    decided_by: str | None = None
    read: tuple[str, ...] = ()
    sbom_python: bool = False  # GitHub's SBOM listed Python packages (none a framework)
    full_name: str | None = None
    default_branch: str | None = None
    api_requests: int = 0
    raw_requests: int = 0
    not_modified: int = 0
    rule: str = terms.RULE_VERSION
    checked_at: str = ""
    etags: dict[str, str] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.api_requests + self.raw_requests

    def summary(self) -> str:
        """One line: ``owner/name: PyTorch (requirements.txt: torch>=2.1; …)``."""
        head = f"{self.repo}"
        if self.moved_to:
            head += f" (moved to {self.moved_to})"
        what = self.outcome
        if self.outcome == terms.SEVERAL:
            what = f"several: {', '.join(self.frameworks)}"
        if self.unchanged:
            what += ", unchanged"
        shown = "; ".join(str(e) for e in self.evidence[:3])
        return f"{head}: {what}" + (f" ({shown})" if shown else "")


def parse_repo_name(value: str) -> str:
    """``owner/name`` from what a link gives (a trailing ``.git`` or slash dropped)."""
    name = value.strip().strip("/")
    name = name[:-4] if name.endswith(".git") else name
    if not _REPO.match(name):
        raise ValueError(f"{value!r} is not a GitHub owner/name.")
    return name


class _Cost:
    def __init__(self) -> None:
        self.api = self.raw = self.not_modified = 0

    def count(self, source: str, fetched: Fetched, asked: str) -> None:
        # A followed redirect (a renamed repository's 301) is a request of its own.
        hops = 1 + (urlsplit(fetched.url).path != urlsplit(asked).path)
        if source == API:
            self.api += hops
        else:
            self.raw += hops
        self.not_modified += fetched.not_modified


async def _off_loop(fn: Callable[[Any], Any], arg: Any, size: int) -> Any:
    """Parsing a large body (a big SBOM, a long module) would stall the event loop."""
    return await asyncio.to_thread(fn, arg) if size > OFF_LOOP_BYTES else fn(arg)


def _evidence(file: str, declared: Sequence[Declared], of: Callable[[str], str | None]) -> list:
    out, seen = [], set()
    for item in declared:
        fw = of(item.name)
        if fw and (fw, item.text) not in seen:
            seen.add((fw, item.text))
            out.append(Evidence(file, item.line, item.text, fw))
    return out


def _sbom_evidence(body: bytes) -> tuple[bool, list[Evidence]]:
    """(whether the SBOM lists any Python package, the framework lines among them)."""
    try:
        declared = manifests.parse_sbom(json.loads(body))
    except (ValueError, RecursionError):
        return False, []
    return bool(declared), _evidence("SBOM", declared, terms.package_framework)


def pick_manifests(tree: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(path, parser kind) of the manifests to read: the shallowest first, at most
    :data:`MAX_MANIFESTS`."""
    found = [
        (item["path"], kind)
        for item in tree
        if item.get("type") == "blob" and (kind := manifests.manifest_kind(str(item["path"])))
    ]
    found.sort(key=lambda pk: (pk[0].count("/"), pk[0]))
    return found[:MAX_MANIFESTS]


def pick_python(tree: Sequence[dict[str, Any]]) -> list[str]:
    """The ``.py`` files whose imports are read: shallow ones first, and among them the ones
    named like an entry point or a model (train.py, main.py, model.py), at most
    :data:`MAX_PY_FILES`; none over :data:`MAX_PY_BYTES`."""
    found = [
        str(item["path"])
        for item in tree
        if item.get("type") == "blob"
        and str(item.get("path", "")).endswith(".py")
        and int(item.get("size") or 0) <= MAX_PY_BYTES
    ]
    found.sort(key=lambda p: (p.count("/"), not _PREFERRED.search(p.rsplit("/", 1)[-1]), p))
    return found[:MAX_PY_FILES]


def _decided(repo: str, evidence: list[Evidence], by: str | None, **kw: Any) -> CodeCheck:
    frameworks = tuple(sorted({e.framework for e in evidence}))
    return CodeCheck(
        repo, terms.outcome(frameworks), frameworks, tuple(evidence[:MAX_EVIDENCE]),
        decided_by=by, **kw,
    )  # fmt: skip


def github_token(http: HttpClient) -> str:
    """``GITHUB_TOKEN`` from the client's environment ('' without one)."""
    return (http.env.get("GITHUB_TOKEN") or "").strip()


def api_headers(http: HttpClient) -> dict[str, str]:
    """GitHub's REST headers: its media type, the API version, and the token when there is one
    (5,000 requests an hour instead of 60, and 304s that cost none)."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token := github_token(http):
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def check_repo(http: HttpClient, repo: str, previous: CodeCheck | None = None) -> CodeCheck:
    """Decide ``repo``'s framework(s); ``previous`` (the last check) makes it a re-check."""
    repo = parse_repo_name(repo)
    etags = dict(previous.etags) if previous else {}
    cost, new_etags = _Cost(), {}
    headers = api_headers(http)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()

    async def api(key: str, path: str, ok: tuple[int, ...], etag: str | None) -> Fetched:
        fetched = await http.get(
            API, path, headers=headers, etag=etag, ok_statuses=ok, check=check_json
        )
        cost.count(API, fetched, http.url(API, path))
        if fetched.etag and fetched.status in (200, 304):
            new_etags[key] = fetched.etag
        return fetched

    def done(result: CodeCheck, **kw: Any) -> CodeCheck:
        return replace(
            result, api_requests=cost.api, raw_requests=cost.raw, not_modified=cost.not_modified,
            checked_at=now, etags=new_etags, **kw,
        )  # fmt: skip

    def carried() -> CodeCheck:
        assert previous is not None
        new_etags.update({k: v for k, v in previous.etags.items() if k not in new_etags})
        return done(previous, unchanged=True, repo=repo)

    # 1. the repository: exists? renamed? its default branch
    answer = await api("repo", f"/repos/{repo}", (404, 451), etags.get("repo"))
    if answer.status in (404, 451):
        return done(CodeCheck(repo, GONE))
    if answer.not_modified and previous is not None:
        return carried()
    data = answer.json() if not answer.not_modified else {}
    full = str(data.get("full_name") or (previous.full_name if previous else None) or repo)
    branch = str(data.get("default_branch") or (previous and previous.default_branch) or "main")
    moved = full if full.lower() != repo.lower() else None
    where: dict[str, Any] = {"full_name": full, "default_branch": branch, "moved_to": moved}
    # GitHub's names are case-insensitive: a paper's "Alice/Net" is GitHub's "alice/net"
    same = previous is not None and (previous.full_name or "").lower() == full.lower()
    last = previous.decided_by if previous is not None and same else None

    # 2. the dependency graph
    sbom = await api("sbom", f"/repos/{full}/dependency-graph/sbom", (403, 404), etags.get("sbom"))
    python_listed = False
    if sbom.not_modified and last == BY_SBOM and previous is not None:
        return carried()
    if sbom.status == 200:
        python_listed, evidence = await _off_loop(_sbom_evidence, sbom.body, len(sbom.body))
        if evidence:
            return done(_decided(repo, evidence, BY_SBOM, read=("SBOM",), **where))
    elif sbom.not_modified and previous is not None:  # as last time, which decided nothing
        python_listed = previous.sbom_python
    where["sbom_python"] = python_listed

    # 3. the tree, its manifests, then imports
    tree_etag = etags.get("tree") if last in (BY_MANIFESTS, BY_IMPORTS) else None
    tree_path = f"/repos/{full}/git/trees/{quote(branch, safe='')}"
    tree_answer = await api("tree", tree_path + "?recursive=1", (404, 409), tree_etag)
    if tree_answer.not_modified and previous is not None:
        return carried()
    if tree_answer.status in (404, 409):
        return done(CodeCheck(repo, EMPTY), **where)
    tree = (tree_answer.json() or {}).get("tree") or []
    tree = [t for t in tree if isinstance(t, dict) and isinstance(t.get("path"), str)]
    if not tree:
        return done(CodeCheck(repo, EMPTY), **where)

    async def raw(path: str) -> str | None:
        url = f"/{full}/{quote(branch, safe='')}/{quote(path)}"
        fetched = await http.get(RAW, url, ok_statuses=(404,))
        cost.count(RAW, fetched, http.url(RAW, url))
        return fetched.text() if fetched.status == 200 else None

    read: list[str] = ["SBOM"] if sbom.status in (200, 304) else []
    if not python_listed:
        chosen = pick_manifests(tree)
        texts = await asyncio.gather(*(raw(path) for path, _ in chosen))
        evidence = []
        for (path, kind), text in zip(chosen, texts, strict=True):
            if text is None:
                continue
            read.append(path)
            declared = await _off_loop(manifests.PARSERS[kind], text, len(text))
            evidence += _evidence(path, declared, terms.package_framework)
        if evidence:
            return done(_decided(repo, evidence, BY_MANIFESTS, read=tuple(read), **where))
    files = pick_python(tree)
    texts = await asyncio.gather(*(raw(path) for path in files))
    evidence = []
    for path, text in zip(files, texts, strict=True):
        if text is None:
            continue
        read.append(path)
        declared = await _off_loop(manifests.parse_imports, text, len(text))
        evidence += _evidence(path, declared, terms.import_framework)[:3]
    return done(_decided(repo, evidence, BY_IMPORTS, read=tuple(read), **where))
