"""The shape of the code (docs/architecture.md): no import cycle between the modules of an app,
lazy imports inside functions included, and no module of more than 450 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("allocation", "cases", "imports", "config")
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of the same app it imports, at the top or inside a function."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            for target in targets:
                if target in modules and target != name and target.split(".")[0] == name.split(".")[0]:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round about (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}) == [["a.x", "a.y", "a.z"]]
    assert cycles({"a.x": {"a.y"}, "a.y": set()}) == []


def test_no_app_has_an_import_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["allocation.publications.publishing"], "the graph was not read"
    assert not cycles(graph), cycles(graph)


def test_no_module_is_longer_than_450_lines():
    """Non-blank lines, as the house-in-order issue counts them (migrations and tests aside)."""
    long = {}
    for path in _modules().values():
        lines = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        if lines > MAX_LINES:
            long[str(path.relative_to(ROOT))] = lines
    assert not long, long


def _is_page(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


def test_no_page_module_imports_another():
    """Pages share services, selectors and `cases.roles`, never each other (docs/architecture.md)."""
    found = {
        (name, other)
        for name, targets in import_graph().items()
        if _is_page(name)
        for other in targets
        if _is_page(other)
    }
    assert not found, sorted(found)


# allocation's capabilities and which of them each may import (docs/architecture.md); pages and
# the app's entry points (admin, api, urls, tasks, …) sit above them all.
CAPABILITY_ARROWS = {
    "keys": set(),
    "funding": {"keys"},
    "goals": {"keys", "evaluation.sections"},
    "runs": {"keys", "funding"},
    "transfers": {"keys", "runs"},
    "frames": {"keys", "runs", "funding", "transfers"},
    "forecast": {"keys", "runs", "transfers"},
    "ledger": {"keys", "runs", "publications.workbooks"},
    "publications": {"keys", "runs", "goals", "transfers"},
    "analysis": {"keys", "runs", "publications"},
    "evaluation": {"keys", "funding", "goals", "runs", "transfers", "frames", "forecast", "ledger", "publications"},
}
# The base may reach up lazily for a download's files (allocation.selectors.download_files).
BASE_EXCEPTIONS = {
    ("allocation.selectors", "allocation.publications.workbooks"),
    ("allocation.selectors", "allocation.publications.renderers"),
}


def capability_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "allocation" or len(parts) < 3 or parts[1] not in CAPABILITY_ARROWS:
        return None
    return parts[1]


def arrow_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    bad = []
    for name, targets in graph.items():
        if _is_page(name):
            continue
        mine = capability_of(name)
        for other in targets:
            theirs = capability_of(other)
            if theirs is None or theirs == mine:
                continue
            if mine is None:
                # the base (calculation, amounts, selectors) imports no capability; entry points may
                base = name.count(".") == 1 and name.rsplit(".", 1)[-1] in {"calculation", "amounts", "selectors"}
                if base and (name, other) not in BASE_EXCEPTIONS:
                    bad.append((name, other))
                continue
            allowed = CAPABILITY_ARROWS[mine]
            if theirs not in allowed and ".".join(other.split(".")[1:3]) not in allowed:
                bad.append((name, other))
    return sorted(bad)


def test_the_arrow_checker_finds_an_arrow_against_the_cut():
    assert arrow_violations({"allocation.keys.compute": {"allocation.runs.allocate"}}) == [
        ("allocation.keys.compute", "allocation.runs.allocate")
    ]
    assert arrow_violations({"allocation.runs.allocate": {"allocation.keys.compute"}}) == []
    assert arrow_violations({"allocation.keys.views": {"allocation.analysis.review"}}) == []


def test_allocation_capabilities_import_only_along_the_arrows():
    assert not arrow_violations(import_graph()), arrow_violations(import_graph())


def private_imports(root: Path, folders: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(file, module, name) for every `from <our module> import _name` in the folders."""
    found = []
    for folder in folders:
        for path in (root / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    if node.module.split(".")[0] not in APPS:
                        continue
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            found.append((str(path.relative_to(root)), node.module, alias.name))
    return sorted(found)


def test_the_private_import_finder_finds_one(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "a.py").write_text("from cases.b import _hidden, public\nfrom cases import __doc__\n")
    assert private_imports(tmp_path, ("cases",)) == [("cases/a.py", "cases.b", "_hidden")]


def test_no_private_name_is_imported_across_modules():
    """A module's public names are its interface (docs/architecture.md): what another module or a
    test needs is made public, not reached for behind its underscore."""
    found = private_imports(ROOT, (*APPS, "tests", "bench"))
    assert not found, found


# Between the apps (docs/architecture.md): what each app may import of the others. config's
# platform modules (the API glue, authentication, Celery's send-by-name) are the named home the
# apps share; the rest of config (URLs, settings, the start page, the demo) sits above them all.
PLATFORM = {"config.api", "config.auth", "config.celery", "config.parsers"}
APP_ARROWS = {
    "cases": PLATFORM,
    "imports": {"cases", *PLATFORM},
    "allocation": {"cases", "imports.signals", *PLATFORM},
}


def app_arrow_violations(root: Path) -> list[tuple[str, str]]:
    bad = []
    for app, allowed in APP_ARROWS.items():
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets: list[str] = []
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    targets = [node.module]
                for target in targets:
                    top = target.split(".")[0]
                    if top not in APPS or top == app:
                        continue
                    if not any(target == a or target.startswith(a + ".") for a in allowed):
                        bad.append((str(path.relative_to(root)), target))
    return sorted(bad)


def test_the_app_arrow_checker_finds_an_arrow_against_the_layers(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "a.py").write_text("from allocation.models import Publication\nimport config.celery\n")
    assert app_arrow_violations(tmp_path) == [("cases/a.py", "allocation.models")]


def test_the_apps_import_each_other_only_along_the_arrows():
    assert not app_arrow_violations(ROOT), app_arrow_violations(ROOT)
