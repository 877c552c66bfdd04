"""Private library API in one place per library (issue 28; docs/conventions.md, habit 13).

Canaries: every private attribute an adapter of app/adapters/ relies on is still there, and still does what the
adapter uses it for, on the installed versions; a failure names the adapter file and the attribute. The same for
the graphql-core methods that app/graphql/executor.py overrides or calls (public names, but internals of its
executor). Then a scan: no module of app/ outside app/adapters/ touches a library's private attribute.
"""

from __future__ import annotations

import ast
import inspect
import logging
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
import uvicorn
from graphql import GraphQLSchema
from graphql.execution import Executor
from sqlalchemy import create_engine
from sqlalchemy.pool import Pool, QueuePool
from strawberry.extensions import MaskErrors
from uvicorn.supervisors import multiprocess

from app.adapters import cpython as cpython_adapter
from app.adapters import logging as logging_adapter
from app.adapters import sqlalchemy as sqlalchemy_adapter
from app.adapters import strawberry as strawberry_adapter
from app.adapters import uvicorn as uvicorn_adapter
from app.graphql.executor import FastExecutor

APP = Path(__file__).resolve().parent.parent / "app"
ADAPTERS = APP / "adapters"


def adapter_file(module: Any) -> str:
    return str(Path(module.__file__).relative_to(APP.parent))


# --- canaries: one check per private attribute, each naming the adapter that relies on it ---

@pytest.fixture
def pool(tmp_path: Path) -> Iterator[Pool]:
    engine = create_engine(f"sqlite:///{tmp_path / 'canary.db'}", poolclass=QueuePool)
    yield engine.pool
    engine.dispose()


def sqlalchemy_connection_record(pool: Pool) -> bool:
    fairy = pool.connect()
    try:
        return isinstance(getattr(getattr(fairy, "_connection_record", None), "starttime", None), float)
    finally:
        fairy.close()


def sqlalchemy_invalidate_time(pool: Pool) -> bool:
    return isinstance(getattr(pool, "_invalidate_time", None), int | float)


def sqlalchemy_invalidate(pool: Pool) -> bool:
    """`_invalidate(fairy, error, _checkin=False)` ends the generation: the connection no longer counts as
    opened since the last fault, and one opened afterwards does."""
    if "_checkin" not in inspect.signature(getattr(pool, "_invalidate", lambda: None)).parameters:
        return False
    old = pool.connect()
    try:
        if not sqlalchemy_adapter.opened_since_last_fault(pool, old):
            return False
        sqlalchemy_adapter.forget_generation(pool, old, RuntimeError("canary"))
        if sqlalchemy_adapter.opened_since_last_fault(pool, old):
            return False
    finally:
        old.invalidate()
    fresh = pool.connect()
    try:
        return sqlalchemy_adapter.opened_since_last_fault(pool, fresh)
    finally:
        fresh.close()


def strawberry_raw_info(_pool: Pool) -> bool:
    seen: list[Any] = []

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self, info: strawberry.Info) -> str:
            seen.append(strawberry_adapter.resolve_info(info))
            return "hi"

    result = strawberry.Schema(query=Query).execute_sync("{ hello }")
    # what app/graphql/lookahead.py reads of it
    return result.errors is None and len(seen) == 1 and seen[0].field_nodes[0].name.value == "hello" \
        and seen[0].fragments == {}


def strawberry_schema(_pool: Pool) -> bool:
    @strawberry.type
    class Query:
        hello: str = "hi"

    return isinstance(strawberry_adapter.graphql_schema(strawberry.Schema(query=Query)), GraphQLSchema)


def strawberry_process_result(_pool: Pool) -> bool:
    """The hook QuickMaskErrors overrides exists, and MaskErrors' operation hook still hands results to it."""
    return callable(getattr(MaskErrors, "_process_result", None)) \
        and "self._process_result(" in inspect.getsource(MaskErrors.on_operation)


def logging_srcfile(_pool: Pool) -> bool:
    """With `_srcfile` off, a record carries no caller (logging did not walk the stack for it)."""
    if not hasattr(logging, "_srcfile"):
        return False
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("processgraph.canary")
    logger.addHandler(handler)
    kept = logging._srcfile
    try:
        logging_adapter.skip_caller_lookup()
        logger.warning("canary")
    finally:
        logging._srcfile = kept
        logger.removeHandler(handler)
    return [r.funcName for r in records] == ["(unknown function)"]


async def _app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("never served")


def uvicorn_captured_signals(_pool: Pool) -> bool:
    server = uvicorn.Server(uvicorn.Config(_app))
    uvicorn_adapter.exit_after_shutdown(server, signal.SIGTERM)
    return getattr(server, "_captured_signals", None) == [signal.SIGTERM] \
        and "self._captured_signals" in inspect.getsource(uvicorn.Server.capture_signals)


def uvicorn_process_server(_pool: Pool) -> bool:
    """The server made for a worker is the one uvicorn's own `Process.server` hands to the worker."""
    process = multiprocess.Process(uvicorn.Config(_app), [])
    try:
        if getattr(process, "_server", "missing") is not None:
            return False
        made = uvicorn.Server(process.config)
        return uvicorn_adapter.worker_server(process, lambda: made) is made and process.server is made
    finally:
        process.parent_conn.close()
        process.child_conn.close()


def cpython_code_replace(_pool: Pool) -> bool:
    def add(a: int, b: int) -> int:
        total = a + b
        return total

    roomy = cpython_adapter.with_extra_locals(add, 1000)
    return roomy(2, 3) == 5 and roomy.__code__.co_nlocals == add.__code__.co_nlocals + 1000


CANARIES: list[tuple[Any, str, Callable[[Pool], bool]]] = [
    (sqlalchemy_adapter, "_ConnectionFairy._connection_record.starttime", sqlalchemy_connection_record),
    (sqlalchemy_adapter, "Pool._invalidate_time", sqlalchemy_invalidate_time),
    (sqlalchemy_adapter, "Pool._invalidate(..., _checkin=False)", sqlalchemy_invalidate),
    (strawberry_adapter, "Info._raw_info", strawberry_raw_info),
    (strawberry_adapter, "Schema._schema", strawberry_schema),
    (strawberry_adapter, "MaskErrors._process_result", strawberry_process_result),
    (logging_adapter, "logging._srcfile", logging_srcfile),
    (uvicorn_adapter, "Server._captured_signals", uvicorn_captured_signals),
    (uvicorn_adapter, "multiprocess.Process._server", uvicorn_process_server),
    (cpython_adapter, "function.__code__.replace(co_varnames, co_nlocals)", cpython_code_replace),
]


@pytest.mark.parametrize(("module", "attribute", "check"), CANARIES, ids=[c[1] for c in CANARIES])
def test_every_private_attribute_an_adapter_relies_on_is_still_there(
        module: Any, attribute: str, check: Callable[[Pool], bool], pool: Pool) -> None:
    assert check(pool), f"{adapter_file(module)} relies on {attribute}, which the installed version no longer " \
                        "has (or no longer uses as the adapter does): update the adapter"


def test_a_canary_fails_when_its_attribute_is_gone(monkeypatch: pytest.MonkeyPatch, pool: Pool) -> None:
    assert logging_srcfile(pool) and strawberry_process_result(pool)
    monkeypatch.delattr(logging, "_srcfile")
    monkeypatch.delattr(MaskErrors, "_process_result")
    assert not logging_srcfile(pool)
    assert not strawberry_process_result(pool)


# What app/graphql/executor.py takes from graphql-core's Executor: methods it overrides (same parameters) or
# calls, and attributes its constructor sets. Public names, but internals of the executor: not pinned by
# graphql-core's API, so a canary of their own.
OVERRIDDEN = ("execute_fields", "collect_and_execute_subfields", "complete_abstract_value", "complete_object_value")
CALLED = ("execute_field", "collect_subfields", "handle_field_error", "settle_in_background")
SET_BY_CONSTRUCTOR = ("schema", "operation", "fragment_definitions", "middleware_manager", "is_awaitable")


@pytest.mark.parametrize("name", OVERRIDDEN + CALLED + SET_BY_CONSTRUCTOR)
def test_the_executor_internals_the_fast_executor_relies_on_are_still_there(name: str) -> None:
    gone = f"app/graphql/executor.py relies on graphql-core's Executor.{name}, which the installed version no " \
           "longer has"
    if name in SET_BY_CONSTRUCTOR:
        assert name in inspect.signature(Executor.__init__).parameters, gone
        return
    found = getattr(Executor, name, None)
    assert callable(found), gone
    if name in OVERRIDDEN:
        ours = list(inspect.signature(getattr(FastExecutor, name)).parameters)
        theirs = list(inspect.signature(found).parameters)
        assert ours == theirs, f"app/graphql/executor.py overrides Executor.{name}{theirs} as {ours}"


# --- the scan: no private attribute of a library outside app/adapters/ ---

# Private names of the libraries that the generic rules below cannot tell from our own (reached through `self`
# in a subclass, or also used as a name of ours).
KNOWN_LIBRARY_PRIVATE = frozenset({
    "_raw_info", "_schema", "_strawberry_schema", "_process_result", "_process_errors", "_is_default",
    "_connection_record", "_invalidate_time", "_invalidate", "_captured_signals", "_server", "_srcfile",
})
# Underscored names that are public API: SQLAlchemy's Row._mapping, namedtuple's methods.
PUBLIC_UNDERSCORED = frozenset({"_mapping", "_make", "_asdict", "_fields", "_replace", "_field_defaults"})
# Function and code objects' internals.
FUNCTION_INTERNALS = frozenset({"__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__"})


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def own_names(sources: dict[str, str]) -> set[str]:
    """Underscored names that app/ defines: functions, methods, class attributes, `self.x`/`cls.x` targets,
    module-level names and __slots__."""
    found: set[str] = set()
    for source in sources.values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                found.add(node.value)  # __slots__ entries, dataclass field names given as strings
    return {n for n in found if _private(n)}


def _imported_modules(tree: ast.Module) -> set[str]:
    """Local names bound to a module outside app/ (`import logging`, `from sqlalchemy import pool`)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((a.asname or a.name).split(".")[0] for a in node.names if not a.name.startswith("app"))
        elif isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("app") and not node.level:
            found.update(a.asname or a.name for a in node.names)
    return found


def private_accesses(sources: dict[str, str], own: set[str]) -> list[str]:
    """`file:line: what` for every touch of a library's private attribute in `sources` (file -> text)."""
    found = []
    for file, source in sources.items():
        tree = ast.parse(source)
        modules = _imported_modules(tree)
        for node in ast.walk(tree):
            what = None
            if isinstance(node, ast.Attribute):
                name, receiver = node.attr, node.value
                if name in FUNCTION_INTERNALS:
                    what = f"{ast.unparse(receiver)}.{name}"
                elif _private(name) and name not in PUBLIC_UNDERSCORED:
                    module_attr = isinstance(receiver, ast.Name) and receiver.id in modules
                    if name in KNOWN_LIBRARY_PRIVATE or module_attr or name not in own:
                        what = f"{ast.unparse(receiver)}.{name}"
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in KNOWN_LIBRARY_PRIVATE:
                what = f"def {node.name} (overrides a library's private method)"
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
                  and _private(node.args[1].value) and node.args[1].value not in PUBLIC_UNDERSCORED):
                what = f'{node.func.id}(..., "{node.args[1].value}")'
            if what is not None:
                found.append(f"{file}:{getattr(node, 'lineno', 0)}: {what}")
    return sorted(found)


def app_sources(root: Path = APP) -> dict[str, str]:
    return {str(p.relative_to(root.parent)): p.read_text() for p in sorted(root.rglob("*.py"))
            if ADAPTERS not in p.parents}


def test_no_module_outside_the_adapters_touches_a_private_attribute_of_a_library() -> None:
    sources = app_sources()
    assert private_accesses(sources, own_names(sources)) == [], \
        "move these into the library's module of app/adapters/ (with a canary in tests/test_adapters.py)"


def test_the_scan_finds_each_kind_of_private_access_and_leaves_our_own_alone() -> None:
    sources = {"app/x.py": (
        "import logging\n"
        "from sqlalchemy import pool as sa_pool\n"
        "class Mine(Base):\n"
        "    def __init__(self):\n"
        "        self._cache = {}\n"
        "    def _own(self, row, other):\n"
        "        return self._cache, row._mapping, other._cache, self._own\n"
        "    def _process_result(self, result):\n"
        "        return self._process_errors(result)\n"
        "def f(info, ctx, fairy, fn, p):\n"
        "    logging._srcfile = None\n"
        "    sa_pool._refs.clear()\n"
        "    getattr(fairy, '_connection_record', None)\n"
        "    return info._raw_info, ctx.schema._schema, fn.__code__, p._private_thing\n")}
    assert private_accesses(sources, own_names(sources)) == [
        'app/x.py:11: logging._srcfile',
        'app/x.py:12: sa_pool._refs',
        'app/x.py:13: getattr(..., "_connection_record")',
        "app/x.py:14: ctx.schema._schema",
        "app/x.py:14: fn.__code__",
        "app/x.py:14: info._raw_info",
        "app/x.py:14: p._private_thing",
        "app/x.py:8: def _process_result (overrides a library's private method)",
        "app/x.py:9: self._process_errors",
    ]


def test_the_adapters_are_what_the_scan_would_flag() -> None:
    """The scan is not vacuous: the adapters themselves hold the accesses it forbids elsewhere."""
    adapters = {str(p.relative_to(APP.parent)): p.read_text() for p in sorted(ADAPTERS.glob("*.py"))}
    flagged = {line.split(":")[0] for line in private_accesses(adapters, own_names(app_sources()))}
    assert flagged == {f"app/adapters/{name}.py" for name in ("cpython", "logging", "sqlalchemy", "strawberry",
                                                              "uvicorn")}
