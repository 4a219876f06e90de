"""Pure parsers for what a repository declares and imports: GitHub's SBOM (SPDX JSON),
requirements files, setup.py, setup.cfg, pyproject.toml, conda's environment.yml, and the
imports of a Python file.

Why they never raise: a repository is anybody's text (Python 2 files, half-edited manifests,
binary junk named ``requirements.txt``); one bad file must cost its own evidence, not the
repository's check. Each parser returns :class:`Declared` items — the name, the line it came
from (1-based; 0 when the format has no useful line) and the text as written, which becomes
the evidence a reader can check (``requirements.txt: torch>=2.1``).
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

MAX_TEXT = 512 * 1024  # characters of one file looked at; past this, a file is not a manifest
MAX_REGEX_LINES = 2000  # lines the fallback import scan reads of a file ast cannot parse


@dataclass(frozen=True)
class Declared:
    """One package (or imported module) named by a file."""

    name: str
    line: int
    text: str


_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


def requirement_name(spec: str) -> str | None:
    """The distribution name a PEP 508 string starts with (``torch[cuda]>=2; python_version>"3"``
    → ``torch``), or None when it does not start with one."""
    found = _NAME.match(spec.strip())
    return found.group(0) if found else None


# --- the SBOM -------------------------------------------------------------------------------------


def parse_sbom(data: Any) -> list[Declared]:
    """The Python packages of GitHub's ``dependency-graph/sbom`` answer: the ``pkg:pypi/…`` purls
    in ``sbom.packages[].externalRefs[].referenceLocator``. Anything else is skipped."""
    sbom = data.get("sbom") if isinstance(data, dict) else None
    packages = sbom.get("packages") if isinstance(sbom, dict) else None
    out: list[Declared] = []
    for package in packages if isinstance(packages, list) else []:
        refs = package.get("externalRefs") if isinstance(package, dict) else None
        for ref in refs if isinstance(refs, list) else []:
            locator = ref.get("referenceLocator") if isinstance(ref, dict) else None
            if not isinstance(locator, str) or not locator.startswith("pkg:pypi/"):
                continue
            name = unquote(locator[len("pkg:pypi/") :].split("@", 1)[0].split("?", 1)[0])
            if name := (requirement_name(name) or ""):
                out.append(Declared(name, 0, locator))
    return out


# --- requirements files --------------------------------------------------------------------------


def _strip_comment(line: str) -> str:
    """A requirements line without its comment (``#`` at the start or after whitespace, as pip
    reads it, so a URL fragment ``#egg=`` stays)."""
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()


def parse_requirements(text: str) -> list[Declared]:
    """pip's requirements format: one PEP 508 requirement a line, with extras, versions and
    markers; comments, blank lines and options (``-r other.txt``, ``--index-url``, ``-e .``)
    ignored, except an editable ``#egg=name``. Backslash continuations are joined."""
    out: list[Declared] = []
    pending, start = "", 0
    for number, raw in enumerate(text[:MAX_TEXT].splitlines(), 1):
        if not pending:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = _strip_comment(pending + line), ""
        if not line:
            continue
        if line.startswith("-"):
            egg = re.search(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)", line)
            if egg and line.split()[0] in ("-e", "--editable"):
                out.append(Declared(egg.group(1), start, line))
            continue
        if "://" in line.split("@", 1)[0] or line.startswith((".", "/")):
            continue  # a bare URL or path: no name to read
        name = requirement_name(line)
        if name:
            out.append(Declared(name, start, line))
    return out


# --- setup.py, setup.cfg, pyproject.toml ---------------------------------------------------------

_SETUP_KEYS = ("install_requires", "extras_require", "requires", "tests_require")


def _strings(node: ast.AST, names: dict[str, ast.AST], depth: int = 0) -> list[ast.Constant]:
    """The string constants of a literal list/tuple/dict/set (dict values), following a module
    level name once or twice (``install_requires=REQUIRED``)."""
    if depth > 3:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.Name) and node.id in names:
        return _strings(names[node.id], names, depth + 1)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for item in node.elts for s in _strings(item, names, depth + 1)]
    if isinstance(node, ast.Dict):
        return [s for value in node.values for s in _strings(value, names, depth + 1)]
    if isinstance(node, ast.BinOp):  # REQUIRED + EXTRA
        return _strings(node.left, names, depth + 1) + _strings(node.right, names, depth + 1)
    return []


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text[:MAX_TEXT])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def parse_setup_py(text: str) -> list[Declared]:
    """``setup(install_requires=[…], extras_require={…})`` read with ``ast`` (never executed);
    a file that does not parse falls back to the quoted requirements inside
    ``install_requires=[…]``."""
    tree = _parse(text)
    out: list[Declared] = []
    if tree is None:
        for block in re.findall(r"install_requires\s*=\s*\[([^\]]{0,20000})\]", text[:MAX_TEXT]):
            for spec in re.findall(r"['\"]([^'\"\n]{1,200})['\"]", block):
                if name := requirement_name(spec):
                    out.append(Declared(name, 0, spec))
        return out
    names: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            names[node.targets[0].id] = node.value
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg in _SETUP_KEYS:
                for const in _strings(keyword.value, names):
                    for spec in str(const.value).splitlines():  # "torch\nnumpy" is allowed
                        if name := requirement_name(_strip_comment(spec)):
                            out.append(Declared(name, const.lineno, spec.strip()))
    return out


def parse_setup_cfg(text: str) -> list[Declared]:
    """setuptools' declarative ``[options] install_requires`` and ``[options.extras_require]``
    (one requirement a line, ``;`` markers allowed)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text[:MAX_TEXT])
    except (configparser.Error, ValueError):
        return []
    values: list[str] = []
    if parser.has_option("options", "install_requires"):
        values.append(parser.get("options", "install_requires"))
    if parser.has_section("options.extras_require"):
        values += [v for _, v in parser.items("options.extras_require")]
    lines = text.splitlines()
    out: list[Declared] = []
    for value in values:
        for spec in value.splitlines():
            spec = _strip_comment(spec)
            if name := requirement_name(spec):
                out.append(Declared(name, _line_of(lines, spec), spec))
    return out


def _line_of(lines: list[str], text: str) -> int:
    return next((i for i, line in enumerate(lines, 1) if text in line), 0)


def parse_pyproject(text: str) -> list[Declared]:
    """``[project] dependencies`` and ``optional-dependencies``, PEP 735 ``[dependency-groups]``,
    and Poetry's ``[tool.poetry.dependencies]`` / ``dev-dependencies`` / ``group.*``."""
    try:
        data = tomllib.loads(text[:MAX_TEXT])
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return []
    specs: list[str] = []
    project = data.get("project")
    if isinstance(project, dict):
        specs += _list(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            specs += [s for group in optional.values() for s in _list(group)]
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        specs += [s for group in groups.values() for s in _list(group)]
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        group = poetry.get("group")
        if isinstance(group, dict):
            tables += [g.get("dependencies") for g in group.values() if isinstance(g, dict)]
        for table in tables:
            if isinstance(table, dict):
                specs += [f"{k} = {_poetry_version(v)}" for k, v in table.items() if k != "python"]
    lines = text.splitlines()
    out: list[Declared] = []
    for spec in specs:
        if name := requirement_name(spec):
            probe = spec if "=" not in spec or spec.split("=")[0].strip() != name else name
            out.append(Declared(name, _line_of(lines, probe), spec))
    return out


def _list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _poetry_version(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value.get("version", "*"))
    return json.dumps(value) if isinstance(value, str) else "*"


# --- environment.yml -----------------------------------------------------------------------------

_CONDA_ITEM = re.compile(r"^\s*-\s+(['\"]?)([^\s#'\"]+)\1")


def parse_environment_yml(text: str) -> list[Declared]:
    """conda's ``environment.yml``: the items of ``dependencies:`` (``pytorch::pytorch=2.1``,
    ``jax>=0.4``) and of its ``pip:`` list. Read line by line (no YAML loader needed for this
    one shape), so ``channels:`` such as ``pytorch`` are never taken for packages."""
    out: list[Declared] = []
    section = ""
    for number, line in enumerate(text[:MAX_TEXT].splitlines(), 1):
        if line[:1].isalpha():  # a top-level key: name:, channels:, dependencies:
            section = line.split(":", 1)[0].strip()
            continue
        if section != "dependencies":
            continue
        found = _CONDA_ITEM.match(line)
        if not found or found.group(2).rstrip(":") == "pip":
            continue
        item = found.group(2).split("::")[-1]  # channel::package
        item = re.split(r"[=<>!~\[;@]", item, maxsplit=1)[0]
        if name := requirement_name(item):
            out.append(Declared(name, number, line.strip().lstrip("- ").strip()))
    return out


# --- Python imports -------------------------------------------------------------------------------

_IMPORT_LINE = re.compile(
    r"^\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import\b|import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*))"
)


def parse_imports(text: str) -> list[Declared]:
    """The top-level modules a Python file imports (``import torch.nn as nn`` → ``torch``;
    relative imports skipped), read with ``ast``. A file ``ast`` cannot read (Python 2, a
    template) falls back to a line-anchored regex over its first lines."""
    tree = _parse(text)
    out: list[Declared] = []
    if tree is None:
        for number, line in enumerate(text[:MAX_TEXT].splitlines()[:MAX_REGEX_LINES], 1):
            found = _IMPORT_LINE.match(line)
            if not found:
                continue
            modules = [found.group(1)] if found.group(1) else found.group(2).split(",")
            for module in modules:
                out.append(Declared(module.strip().split(".")[0], number, line.strip()))
        return out
    lines = text.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            modules = [node.module]
        else:
            continue
        where = lines[node.lineno - 1].strip() if 0 < node.lineno <= len(lines) else ""
        for module in modules:
            out.append(Declared(module.split(".")[0], node.lineno, where))
    return out


PARSERS = {
    "requirements": parse_requirements,
    "setup.py": parse_setup_py,
    "setup.cfg": parse_setup_cfg,
    "pyproject.toml": parse_pyproject,
    "environment.yml": parse_environment_yml,
}


def manifest_kind(path: str) -> str | None:
    """Which parser reads ``path`` (a tree path), or None when it is not a manifest."""
    base = path.rsplit("/", 1)[-1].lower()
    if base in ("setup.py", "setup.cfg", "pyproject.toml"):
        return base
    if base in ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml"):
        return "environment.yml"
    parent = path.rsplit("/", 2)[-2].lower() if "/" in path else ""
    if base.endswith(".txt") and (base.startswith("requirements") or parent == "requirements"):
        return "requirements"
    return None
