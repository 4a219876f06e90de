"""A GitHub stand-in for the code collector: the REST API (repository, dependency-graph SBOM,
git trees) under ``/api`` and the raw file host under ``/raw`` of one loopback server.

Answers are filled into the shapes of ``tests/fixtures/github_code/`` (written from GitHub's
documentation; see its SOURCE.md): a renamed repository answers its old name with a 301 to
``/repositories/{id}``, a missing one 404, one without commits 409 on its tree, every 200 from
the API carries an ETag and answers a matching ``If-None-Match`` with 304, and a spent quota is
a 403 with ``x-ratelimit-remaining: 0`` (``quota_spent``, or once ``remaining`` reaches 0: every
200 from the API spends one, 304s none). ``GET /api/rate_limit`` answers the quota as it stands
and spends none. ``requests`` of the loopback server count what a check cost.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from tests.support.loopback import Loopback, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "github_code"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class FakeRepo:
    """One repository: its files (path → text), the PyPI purls its SBOM lists (None: the
    dependency graph answers 404, as for a repository that has it disabled)."""

    full_name: str
    files: dict[str, str] = field(default_factory=dict)
    sbom: list[str] | None = None
    default_branch: str = "main"
    stars: int = 0
    id: int = 0


@dataclass
class GitHubCode:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # old full name (lower) → new
    quota_spent: bool = False
    remaining: int = 5000
    limit: int = 5000
    reset: int = 0  # epoch seconds; set by the first answer
    answered: list[tuple[str, int]] = field(default_factory=list)  # (path, status) in order
    srv: Loopback | None = None

    def add(self, repo: FakeRepo) -> FakeRepo:
        repo.id = repo.id or 1000 + len(self.repos)
        self.repos[repo.full_name.lower()] = repo
        return repo

    def rename(self, old: str, new: str) -> None:
        repo = self.repos.pop(old.lower())
        repo.full_name = new
        self.repos[new.lower()] = repo
        self.renamed[old.lower()] = new

    def install(self, srv: Loopback) -> dict[str, str]:
        """Serve on ``srv``; returns the base URL settings that point the collector here."""
        self.srv = srv
        srv.fallback(self._answer)
        return {"GITHUB_BASE_URL": srv.base + "/api", "GITHUB_RAW_BASE_URL": srv.base + "/raw"}

    # --- answers ---

    def _limits(self) -> tuple[tuple[str, str], ...]:
        reset = str(self.reset_at())
        used = self.limit - self.remaining
        return (
            ("x-ratelimit-limit", str(self.limit)),
            ("x-ratelimit-remaining", str(self.remaining)),
            ("x-ratelimit-reset", reset),
            ("x-ratelimit-used", str(used)),
            ("x-ratelimit-resource", "core"),
        )

    def reset_at(self) -> int:
        """When the quota resets: an hour after the first request (GitHub's window is an hour
        from the first request that counts), then the same moment until ``new_hour``."""
        if not self.reset:
            self.reset = int(time.time()) + 3600
        return self.reset

    def new_hour(self) -> None:
        """The hour has passed: the whole quota again."""
        self.remaining, self.reset, self.quota_spent = self.limit, 0, False

    def _json(self, request: web.Request, value: object, status: int = 200) -> Reply:
        body = json.dumps(value).encode()
        if status != 200:
            return Reply(status, body, self._limits(), "application/json")
        etag = 'W/"' + hashlib.sha256(body).hexdigest() + '"'
        headers = (*self._limits(), ("ETag", etag))
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", headers)  # GitHub: a 304 costs no quota
        self.remaining -= 1
        return Reply(200, body, headers, "application/json; charset=utf-8")

    def _answer(self, request: web.Request) -> Reply:
        reply = self.handle(request)
        self.answered.append((unquote(request.path), reply.status))
        return reply

    def handle(self, request: web.Request) -> Reply:
        path = unquote(request.path)
        if path.startswith("/raw/"):
            return self._raw(path[len("/raw/") :])
        if not path.startswith("/api/"):
            return Reply.text("404: Not Found", 404)
        if path == "/api/rate_limit":  # costs no quota
            data = _fixture("rate-limit.json")
            core = {"limit": self.limit, "used": self.limit - max(0, self.remaining),
                    "remaining": max(0, self.remaining), "reset": self.reset_at()}  # fmt: skip
            data["resources"]["core"] = data["rate"] = core
            return Reply(200, json.dumps(data).encode(), self._limits(), "application/json")
        if self.quota_spent or self.remaining <= 0:
            reset = str(self.reset_at())
            headers = (
                ("x-ratelimit-limit", str(self.limit)), ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", reset), ("x-ratelimit-used", str(self.limit)),
                ("x-ratelimit-resource", "core"),
            )  # fmt: skip
            return Reply(403, json.dumps(_fixture("rate-limit-403.json")).encode(), headers,
                         "application/json")  # fmt: skip
        parts = path[len("/api/") :].split("/")
        if parts[0] == "repositories" and len(parts) >= 2:
            repo = next((r for r in self.repos.values() if str(r.id) == parts[1]), None)
            rest = parts[2:]
        elif parts[0] == "repos" and len(parts) >= 3:
            name = f"{parts[1]}/{parts[2]}".lower()
            if name in self.renamed:
                moved = self.repos[self.renamed[name].lower()]
                assert self.srv is not None
                location = f"{self.srv.base}/api/repositories/{moved.id}"
                location += "".join("/" + p for p in parts[3:])
                if request.query_string:
                    location += "?" + request.query_string
                body = dict(_fixture("moved-301.json"), url=location)
                headers = (*self._limits(), ("Location", location))
                return Reply(301, json.dumps(body).encode(), headers, "application/json")
            repo, rest = self.repos.get(name), parts[3:]
        else:
            return self._json(request, _fixture("not-found-404.json"), 404)
        if repo is None:
            return self._json(request, _fixture("not-found-404.json"), 404)
        if not rest:
            return self._json(request, self._repo(repo))
        if rest == ["dependency-graph", "sbom"]:
            if repo.sbom is None:
                return self._json(request, _fixture("not-found-404.json"), 404)
            return self._json(request, self._sbom(repo))
        if rest[:2] == ["git", "trees"] and len(rest) >= 3:
            if not repo.files:
                return self._json(request, _fixture("empty-409.json"), 409)
            if "/".join(rest[2:]) != repo.default_branch:
                return self._json(request, _fixture("not-found-404.json"), 404)
            return self._json(request, self._tree(repo))
        return self._json(request, _fixture("not-found-404.json"), 404)

    def _raw(self, path: str) -> Reply:
        owner, name, rest = [*path.split("/", 2), "", ""][:3]
        repo = self.repos.get(f"{owner}/{name}".lower())
        if repo is None or not rest.startswith(repo.default_branch + "/"):
            return Reply.text("404: Not Found", 404)
        text = repo.files.get(rest[len(repo.default_branch) + 1 :])
        if text is None:
            return Reply.text("404: Not Found", 404)
        return Reply(200, text.encode(), (("Cache-Control", "max-age=300"),),
                     "text/plain; charset=utf-8")  # fmt: skip

    def _repo(self, repo: FakeRepo) -> dict:
        data = _fixture("repo.json")
        owner, name = repo.full_name.split("/")
        data.update(
            id=repo.id, name=name, full_name=repo.full_name, default_branch=repo.default_branch,
            stargazers_count=repo.stars, watchers_count=repo.stars,
            size=sum(len(t) for t in repo.files.values()) // 1024,
            html_url=f"https://github.com/{repo.full_name}",
        )  # fmt: skip
        data["owner"] = dict(data["owner"], login=owner)
        return data

    def _sbom(self, repo: FakeRepo) -> dict:
        data = _fixture("sbom.json")
        sbom = data["sbom"]
        template = copy.deepcopy(sbom["packages"][1])
        packages = [dict(sbom["packages"][0], name=repo.full_name)]
        for purl in repo.sbom or []:
            name, _, version = purl.split("/", 1)[1].partition("@")
            package = copy.deepcopy(template)
            package.update(name=f"pip:{name}", versionInfo=version,
                           SPDXID=f"SPDXRef-pip-{name}-{version}")  # fmt: skip
            package["externalRefs"][0]["referenceLocator"] = purl
            packages.append(package)
        sbom.update(name=repo.full_name, packages=packages)
        return data

    def _tree(self, repo: FakeRepo) -> dict:
        data = _fixture("tree.json")
        entries, dirs = [], set()
        for path, text in sorted(repo.files.items()):
            parts = path.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
            blob = f"blob {len(text.encode())}\0".encode() + text.encode()
            sha = hashlib.sha1(blob).hexdigest()  # git's object id
            entries.append({"path": path, "mode": "100644", "type": "blob",
                            "size": len(text.encode()), "sha": sha, "url": ""})  # fmt: skip
        for d in sorted(dirs):
            entries.append(
                {"path": d, "mode": "040000", "type": "tree", "sha": "0" * 40, "url": ""}
            )
        digest = hashlib.sha1(json.dumps(entries).encode()).hexdigest()
        data.update(sha=digest, tree=entries, truncated=False)
        return data
