"""The framework table (``storage/seed/frameworks.json``) as frozen dataclasses.

Collectors, the seed transcription and (later) the industry commands all need the same facts
about a framework: which GitHub repository is it (under every name it has had), which PyPI
package stands for it, which Stack Overflow tag and Hugging Face tag, and which words in a job ad
or an abstract name it. Keeping those facts in one JSON file makes a new framework a data change;
this module only parses and indexes it, with no I/O beyond reading the packaged file once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

FRAMEWORKS_FILE = "frameworks.json"
_ID = re.compile(r"^[a-z][a-z0-9]{1,30}$")
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")


class FrameworkTableError(ValueError):
    """The framework table is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    aliases: tuple[str, ...]
    github_repo: str
    github_former: tuple[str, ...]
    pypi_main: str
    pypi_family: tuple[str, ...]
    stackoverflow_tags: tuple[str, ...]
    huggingface: tuple[str, ...]
    text_patterns: tuple[str, ...]
    notes: str = ""

    @property
    def github_repos(self) -> tuple[str, ...]:
        """Current name first, then former names (sources keep using old names for years)."""
        return (self.github_repo, *self.github_former)

    @property
    def stackoverflow_tag(self) -> str:
        """The one tag the ``stackoverflow-questions`` metric counts."""
        return self.stackoverflow_tags[0] if self.stackoverflow_tags else ""

    def mentioned_in(self, text: str) -> bool:
        """Does ``text`` name this framework by one of its text patterns?"""
        return any(p.search(text) for p in _compiled(self.text_patterns))


@dataclass(frozen=True)
class FrameworkTable:
    """All frameworks, in file order, with lookups by id, alias, repository and package."""

    frameworks: tuple[Framework, ...]
    # Lookup indexes, built once; not part of the value (equality and hashing ignore them).
    _aliases: dict[str, Framework] = field(init=False, repr=False, compare=False, hash=False)
    _repos: dict[str, Framework] = field(init=False, repr=False, compare=False, hash=False)
    _packages: dict[str, Framework] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        aliases: dict[str, Framework] = {}
        packages: dict[str, Framework] = {}
        for f in self.frameworks:
            for key in (f.id, f.name.lower(), *f.aliases):
                aliases.setdefault(key.lower(), f)
            for p in (f.pypi_main, *f.pypi_family):
                packages.setdefault(normalise_package(p), f)
        repos = {r.lower(): f for f in self.frameworks for r in f.github_repos}
        object.__setattr__(self, "_aliases", aliases)
        object.__setattr__(self, "_repos", repos)
        object.__setattr__(self, "_packages", packages)

    def ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.frameworks)

    def get(self, key: str) -> Framework | None:
        """By id or alias, case-insensitive ('TF' → tensorflow, 'torch' → pytorch)."""
        return self._aliases.get(key.strip().lower())

    def by_repo(self, repo: str) -> Framework | None:
        """By GitHub ``owner/name``, current or former, case-insensitive."""
        return self._repos.get(repo.strip().lower().removesuffix(".git"))

    def by_package(self, package: str) -> Framework | None:
        """By PyPI package (main or family), compared as PEP 503 normalised names."""
        return self._packages.get(normalise_package(package))

    def mentioned_in(self, text: str) -> tuple[str, ...]:
        """Ids of the frameworks that ``text`` names, in table order."""
        return tuple(f.id for f in self.frameworks if f.mentioned_in(text))


def normalise_package(name: str) -> str:
    """PEP 503: 'TensorFlow_GPU' and 'tensorflow.gpu' are the same project as 'tensorflow-gpu'."""
    return re.sub(r"[-_.]+", "-", name).lower().strip()


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _strings(entry: dict, key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FrameworkTableError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(value)


def parse_frameworks(data: dict) -> FrameworkTable:
    """Validate the parsed JSON and build the table; raises FrameworkTableError on any fault."""
    entries = data.get("frameworks") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise FrameworkTableError("the framework table needs a non-empty 'frameworks' list")
    out: list[Framework] = []
    seen: dict[str, str] = {}
    for i, e in enumerate(entries):
        where = f"frameworks[{i}]"
        if not isinstance(e, dict):
            raise FrameworkTableError(f"{where} is not an object")
        fid = e.get("id", "")
        if not isinstance(fid, str) or not _ID.match(fid):
            raise FrameworkTableError(f"{where}: id {fid!r} must be lower-case letters and digits")
        where = f"framework {fid!r}"
        github, pypi = e.get("github"), e.get("pypi")
        if not isinstance(github, dict) or not re.match(
            r"^[\w.-]+/[\w.-]+$", github.get("repo", "")
        ):
            raise FrameworkTableError(f"{where}: github.repo must be 'owner/name'")
        if not isinstance(pypi, dict) or not pypi.get("main"):
            raise FrameworkTableError(f"{where}: pypi.main is required")
        family = _strings(pypi, "family", where)
        if pypi["main"] not in family:
            raise FrameworkTableError(f"{where}: pypi.family must include pypi.main")
        patterns = _strings(e, "text", where)
        for p in patterns:
            try:
                re.compile(p, re.IGNORECASE)
            except re.error as exc:
                raise FrameworkTableError(
                    f"{where}: text pattern {p!r} is invalid ({exc})"
                ) from exc
        fw = Framework(
            id=fid,
            name=str(e.get("name") or fid),
            aliases=tuple(a.lower() for a in _strings(e, "aliases", where)),
            github_repo=github["repo"],
            github_former=_strings(github, "former", where),
            pypi_main=pypi["main"],
            pypi_family=family,
            stackoverflow_tags=_strings(e.get("stackoverflow", {}), "tags", where),
            huggingface=_strings(e, "huggingface", where),
            text_patterns=patterns,
            notes=str(e.get("notes", "")),
        )
        # An alias, repository or package claimed by two frameworks would make lookups depend
        # on file order; refuse it instead.
        keys = [
            *(f"name {k}" for k in {fw.id, fw.name.lower(), *fw.aliases}),
            *(f"repo {r.lower()}" for r in fw.github_repos),
            *(f"package {normalise_package(p)}" for p in fw.pypi_family),
        ]
        for key in keys:
            if seen.get(key, fid) != fid:
                raise FrameworkTableError(f"{where}: {key} already belongs to {seen[key]!r}")
            seen[key] = fid
        out.append(fw)
    return FrameworkTable(tuple(out))


@cache
def load_frameworks() -> FrameworkTable:
    """The packaged framework table (read and validated once per process)."""
    text = resources.files("trendbot.storage").joinpath("seed", FRAMEWORKS_FILE).read_text("utf-8")
    return parse_frameworks(json.loads(text))
