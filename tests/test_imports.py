"""Imports flow one way (issue 18, docs/conventions.md): no cycle between the modules of app/ or between its packages,
with the GraphQL type graph counted (a `strawberry.lazy("app.x")` reference is an edge to app.x), and the
domain arrows kept: `run` may use `process`, `notify` and `auth`, never the reverse; `auth` uses no other
domain; the shared GraphQL base (`app/graphql/`) uses no domain and not the composition root (`app/api/`);
models and services import no Strawberry; the REST door reaches the domains through their services only;
the library adapters (`app/adapters/`) are a leaf that every package may import and that imports no app module.

Every import counts, wherever it is written (inside a function, under TYPE_CHECKING): a resolve-time import
hides a cycle, it does not remove it."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
DOMAINS = ("auth", "process", "run", "notify")
# What each domain may use besides itself (the arrows of docs/conventions.md and docs/architecture.md).
MAY_USE = {"auth": set(), "process": {"auth"}, "notify": {"auth"}, "run": {"auth", "process", "notify"}}
# Packages every other package may import, and that import nothing of app/ (issue 28: the library adapters).
LEAVES = ("app.adapters",)
GRAPHQL_MODULES = ("types", "tree_types", "queries", "mutations", "subscriptions", "fields", "live", "dataloaders")


def module_files(root: Path = APP) -> dict[str, Path]:
    """Module name -> file, for every .py file under `root` (packages by their __init__)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _owner(name: str, modules: Iterable[str]) -> str | None:
    """The module of app/ that an imported name lives in (`app.run.types.JobRun` -> `app.run.types`)."""
    known = set(modules)
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of app/ it imports or references lazily (strawberry.lazy("...") strings)."""
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(_owner(alias.name, files) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    prefix = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(prefix + ([base] if base else []))
                for alias in node.names:
                    targets.add(_owner(f"{base}.{alias.name}", files))
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "lazy"
                  and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                targets.add(_owner(node.args[0].value, files))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    """`app.run.types` -> `app.run`; a top-level module (`app.db`) is its own package."""
    return ".".join(module.split(".")[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = package_of(module)
        packages.setdefault(here, set()).update(package_of(t) for t in targets if package_of(t) != here)
    return packages


def edges_where(graph: dict[str, set[str]], source: str, target: str) -> list[str]:
    """The module edges from package `source` into package `target` (for a readable failure)."""
    return sorted(f"{m} -> {t}" for m, ts in graph.items() if package_of(m) == source
                  for t in ts if package_of(t) == target)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(module_files())


def test_no_module_imports_another_that_imports_it_back(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_package_cycle(graph: dict[str, set[str]]) -> None:
    assert cycles(package_graph(graph)) == []


def test_domains_use_only_the_domains_their_arrows_allow(graph: dict[str, set[str]]) -> None:
    wrong = [edge for domain, allowed in MAY_USE.items() for other in DOMAINS
             if other != domain and other not in allowed for edge in edges_where(graph, f"app.{domain}", f"app.{other}")]
    assert wrong == []


def test_the_shared_graphql_base_uses_no_domain_and_not_the_composition_root(graph: dict[str, set[str]]) -> None:
    wrong = [edge for other in (*DOMAINS, "api", "rest", "main", "http") for edge in
             edges_where(graph, "app.graphql", f"app.{other}")]
    assert wrong == []


def test_only_the_application_imports_the_composition_root(graph: dict[str, set[str]]) -> None:
    users = sorted({package_of(m) for m, ts in graph.items() for t in ts
                    if package_of(t) == "app.api" and package_of(m) != "app.api"})
    assert users == ["app.main"]


def test_models_and_services_import_no_strawberry() -> None:
    wrong = []
    for module, path in module_files().items():
        if module.rpartition(".")[2] in ("models", "service") or module.startswith("app.rest"):
            tree = ast.parse(path.read_text())
            names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
            names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
            wrong += [f"{module} imports {name}" for name in names if name.split(".")[0] == "strawberry"]
    assert wrong == []


def test_the_rest_door_reaches_the_domains_through_services_not_the_graphql_door(graph: dict[str, set[str]]) -> None:
    wrong = sorted(f"{m} -> {t}" for m, ts in graph.items() if m.startswith("app.rest") for t in ts
                   if t.startswith("app.api") or t.rpartition(".")[2] in GRAPHQL_MODULES
                   or (t.startswith("app.graphql") and t != "app.graphql.ide"))
    assert wrong == []


def leaf_imports(graph: dict[str, set[str]]) -> list[str]:
    """The edges from a leaf package into another package of app/."""
    return sorted(f"{m} -> {t}" for m, ts in graph.items() if package_of(m) in LEAVES for t in ts
                  if package_of(t) != package_of(m))


def test_leaves_import_no_other_module_of_app(graph: dict[str, set[str]]) -> None:
    assert leaf_imports(graph) == []


# The checks themselves: each fails on the mistake it is there to catch.

def test_the_cycle_check_finds_a_resolve_time_import_and_a_lazy_type(tmp_path: Path) -> None:
    package = tmp_path / "app"
    (package / "process").mkdir(parents=True)
    (package / "run").mkdir()
    for init in (package / "__init__.py", package / "process" / "__init__.py", package / "run" / "__init__.py"):
        init.write_text("")
    (package / "run" / "types.py").write_text("from app.process.types import Process\n")
    (package / "process" / "types.py").write_text(
        "import strawberry\n"
        "def runs():\n    from app.run import types\n")
    files = module_files(package)
    assert cycles(import_graph(files)) == [["app.process.types", "app.run.types"]]
    (package / "process" / "types.py").write_text(
        "import strawberry\nX = strawberry.lazy('app.run.types')\n")
    found = import_graph(files)
    assert cycles(found) == [["app.process.types", "app.run.types"]]
    assert edges_where(found, "app.process", "app.run") == ["app.process.types -> app.run.types"]
    (package / "process" / "types.py").write_text("import strawberry\n")
    assert cycles(import_graph(files)) == []


def test_the_package_check_finds_a_cycle_no_module_cycle_shows() -> None:
    modules = {"app.auth.queries": {"app.graphql.context"}, "app.graphql.context": {"app.auth.service"},
               "app.auth.service": set()}
    assert cycles(modules) == []
    assert cycles(package_graph(modules)) == [["app.auth", "app.graphql"]]


def test_the_leaf_check_finds_an_adapter_that_imports_the_app() -> None:
    modules = {"app.adapters.sqlalchemy": {"app.adapters"}, "app.db": {"app.adapters.sqlalchemy"}}
    assert leaf_imports(modules) == []
    modules["app.adapters.sqlalchemy"].add("app.settings")
    assert leaf_imports(modules) == ["app.adapters.sqlalchemy -> app.settings"]


def test_domain_types_never_see_the_fast_path(graph: dict[str, set[str]]) -> None:
    """A domain's GraphQL types ask a loader or repository for trees and pages (issue 28, point 3): no type
    module imports the fast path's package or reaches the request's shared cache itself."""
    types = [m for m in graph if m.startswith(tuple(f"app.{d}." for d in DOMAINS))
             and m.rpartition(".")[2] in ("types", "tree_types", "fields")]
    assert len(types) >= 4
    wrong = [(m, t) for m in types for t in graph[m] if t == "app.fast" or t.startswith("app.fast.")]
    reaching = [m for m in types if ".shared" in module_files()[m].read_text()]
    assert wrong == [] and reaching == []
