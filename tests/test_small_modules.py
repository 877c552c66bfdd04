"""Small modules, thin resolvers (issue 18, docs/conventions.md habits 1 and 3): no module of app/ over 500 lines, and
no resolver body over 15 lines (a Strawberry field, mutation or subscription, and the helpers of the root
query, mutation, subscription and field modules, which are resolvers' bodies by another name). The logic
belongs in the service layer or in a named helper."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_MODULE_LINES = 500
MAX_RESOLVER_LINES = 15
RESOLVER_MODULES = {"queries", "mutations", "subscriptions", "fields", "node_queries"}
DECORATORS = ("strawberry.field", "strawberry.mutation", "strawberry.subscription")


def long_modules(root: Path = APP) -> list[str]:
    return sorted(f"{p.relative_to(root.parent)}: {n} lines" for p in root.rglob("*.py")
                  if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES)


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body, from its first statement after the docstring to its end."""
    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
        body = body[1:]
    return (function.end_lineno or body[0].lineno) - body[0].lineno + 1


def is_resolver(function: ast.FunctionDef | ast.AsyncFunctionDef, path: Path) -> bool:
    decorated = any(ast.unparse(d).startswith(DECORATORS) for d in function.decorator_list)
    return decorated or path.stem in RESOLVER_MODULES or "mutations" in path.parts


def long_resolvers(root: Path = APP) -> list[str]:
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_resolver(node, path)
                    and (n := body_lines(node)) > MAX_RESOLVER_LINES):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}: {n} lines")
    return sorted(found)


def test_no_module_of_app_is_over_500_lines() -> None:
    assert long_modules() == []


def test_no_resolver_is_over_15_lines() -> None:
    assert long_resolvers() == []


def test_the_checks_find_a_long_module_and_a_long_resolver(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "run").mkdir(parents=True)
    statements = "".join(f"    x{i} = {i}\n" for i in range(16))
    (app / "run" / "types.py").write_text(
        "import strawberry\n\n@strawberry.type\nclass T:\n    @strawberry.field(description='d')\n"
        f"    def f(self) -> int:\n        '''Doc.'''\n{statements.replace('    x', '        x')}        return 1\n")
    (app / "run" / "queries.py").write_text(f"def helper():\n{statements}")
    (app / "run" / "service.py").write_text(f"def long_service_function():\n{statements}" + "y = 1\n" * 500)
    assert long_resolvers(app) == ["app/run/queries.py:1 helper: 16 lines", "app/run/types.py:6 f: 17 lines"]
    assert long_modules(app) == ["app/run/service.py: 517 lines"]
