"""The package's layers, enforced: every import (module-level and inside functions; not those
under ``if TYPE_CHECKING:``, which never run) goes down, and no module imports itself back.

    cli → bot → collectors | subscriptions → commands → charts → industry → storage → config

A newcomer finds a change's room in one look because the data only flows one way: storage is
the ground floor (schema, queries, the framework table and metric catalogue it owns), the
commands know nothing of Discord, collectors are called rather than parsing argv, and the
command line is the top floor that nothing imports.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "trendbot"

# Top to bottom; areas on one floor may not import each other. The package's own __init__
# (version, project URL) and config are the foundations anything may use.
LAYERS: list[tuple[str, ...]] = [
    ("__main__",),
    ("cli",),
    ("bot",),
    ("collectors", "subscriptions"),
    ("commands",),
    ("charts",),
    ("industry",),
    ("storage",),
    ("config",),
    ("",),  # trendbot/__init__.py
]
FLOOR = {area: i for i, areas in enumerate(LAYERS) for area in areas}


def modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name → (file, is a package) for every .py file under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def imports(root: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports (``import a.b``, ``from a import b`` where b
    is a module or a name in a, relative imports, ``import_module("a.b")`` with a literal)."""
    known = modules(root)
    top = root.name

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for name, (path, is_package) in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = _type_checking_nodes(tree)
        here = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    full = ".".join(base + ([node.module] if node.module else []))
                else:
                    full = node.module or ""
                targets = [
                    f"{full}.{a.name}" if f"{full}.{a.name}" in known else full for a in node.names
                ]
            elif (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("import_module")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                targets = [node.args[0].value]
            for target in targets:
                if target == top or target.startswith(top + "."):
                    resolved = resolve(target)
                    if resolved and resolved != name:
                        edges[name].add(resolved)
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return found


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Every import from a floor to the same floor's other area or to a floor above it."""
    wrong = []
    for src, targets in sorted(edges.items()):
        for dst in sorted(targets):
            a, b = area(src), area(dst)
            if a == b:
                continue
            if a not in FLOOR or b not in FLOOR:
                wrong.append(f"{src} → {dst}: {a or b!r} is on no floor of LAYERS")
            elif FLOOR[b] <= FLOOR[a]:
                wrong.append(f"{src} → {dst} ({a} may not import {b})")
    return wrong


EDGES = imports(PACKAGE)


def test_every_area_is_on_a_floor():
    areas = {area(m) for m in modules(PACKAGE)}
    assert areas <= set(FLOOR), sorted(areas - set(FLOOR))


def test_no_module_imports_itself_back():
    assert circles(EDGES) == []


def test_every_import_goes_down():
    assert upward(EDGES) == []


def test_storage_imports_only_storage_and_the_foundations():
    outside = {
        f"{src} → {dst}"
        for src, targets in EDGES.items()
        if area(src) == "storage"
        for dst in targets
        if area(dst) not in {"storage", "config", ""}
    }
    assert outside == set()


def test_the_walk_sees_function_level_and_relative_imports():
    """The checks above are only as good as the walk: it must see what is really there."""
    # function-level: the command line imports the command layer inside `cmd_ask`
    assert "trendbot.commands" in EDGES["trendbot.cli.ask"]
    # ... and the bot's cogs only inside `load_cogs`
    assert "trendbot.bot.cogs.papers" in EDGES["trendbot.bot.cogs"]
    # from-imports of a submodule resolve to the submodule
    assert "trendbot.storage.metrics" in EDGES["trendbot.storage.figures"]
    # the industry series math is pure: it imports nothing of trendbot
    assert not EDGES.get("trendbot.industry.seriesmath")


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "trendbot"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_planted_circle_and_upward_imports_are_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "storage/__init__.py": "",
            "storage/a.py": "def f():\n    from trendbot.storage import b\n",
            "storage/b.py": "from . import a\n",
            "storage/c.py": "import trendbot.commands.x\n",
            "commands/__init__.py": "",
            "commands/x.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from trendbot.bot import y\n"
                "import importlib\nimportlib.import_module('trendbot.cli.z')\n"
            ),
            "bot/__init__.py": "",
            "bot/y.py": "",
            "cli/__init__.py": "",
            "cli/z.py": "",
        },
    )
    edges = imports(root)
    assert circles(edges) == [["trendbot.storage.a", "trendbot.storage.b"]]
    assert upward(edges) == [
        "trendbot.commands.x → trendbot.cli.z (commands may not import cli)",
        "trendbot.storage.c → trendbot.commands.x (storage may not import commands)",
    ]
