"""Request limits, checked before anything executes: depth, parser tokens, aliases, estimated cost;
and the token's scope for the operation type. Each refusal carries a code and the numbers.

Cost (docs/access-control.md, Limits): a connection multiplies everything below it by its `first` (default page size) and
adds that many; entering a process tree (`root`, `nodes`, `children`, `generated`, and a `diff`) adds the tree
limit (5,000) times the enclosing multiplier, once per entry; `nodes(ids)` multiplies by the ids given, and
the subgraph's `_entities(representations)` by the representations (app/api/federation.py).
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    validate,
)
from graphql.language import Lexer, Source, TokenKind
from strawberry.types.graphql import OperationType

from app.actor import READ, WRITE, scope_refusal
from app.adapters.strawberry import graphql_schema
from app.errors import LIMIT_EXCEEDED, VALIDATION_ERROR, AppError
from app.graphql.errors import error_extensions
from app.process.limits import MAX_TREE_NODES

# A diff is bounded by the tree limit like a tree (its lists name at most the nodes of two states), and costs a
# replay of the history: it weighs as a tree.
TREE_FIELDS = {("Process", "root"), ("Process", "nodes"), ("ProcessGroup", "children"), ("ProcessJob", "generated"),
               ("Process", "diff")}
LIST_FIELDS = {("Query", "nodes"): "ids", ("Query", "_entities"): "representations"}


def _refusal(code: str, message: str, **meta: Any) -> GraphQLError:
    return GraphQLError(message, extensions=error_extensions(AppError(code, message, None, meta or None)))


def count_tokens(query: str, cap: int) -> int:
    """Tokens of a document the way graphql-core's parser limit counts them, stopping at `cap`."""
    lexer = Lexer(Source(query))
    n = 0
    try:
        while n < cap and lexer.advance().kind is not TokenKind.EOF:
            n += 1
    except GraphQLError:
        pass
    return n


class Measure:
    """Walks one operation with its fragments: deepest field nesting, aliases, estimated cost."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], default_page: int) -> None:
        self.schema, self.fragments, self.variables, self.default_page = schema, fragments, variables, default_page
        self.depth = 0
        self.aliases = 0
        self.cost = 0
        self._seen_fragments: set[str] = set()
        self.read_variables: set[str] = set()  # the variables the numbers depend on

    def _arg(self, node: FieldNode, name: str) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                value = arg.value
                if value.kind == "variable":
                    self.read_variables.add(value.name.value)  # type: ignore[attr-defined]
                    return self.variables.get(value.name.value)  # type: ignore[attr-defined]
                if value.kind == "int_value":
                    return int(value.value)  # type: ignore[attr-defined]
                if value.kind == "list_value":
                    return list(value.values)  # type: ignore[attr-defined]
        return None

    def walk(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, depth: int,
             multiplier: int, in_tree: bool, stack: tuple[str, ...] = ()) -> None:
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                self._field(sel, parent, depth, multiplier, in_tree, stack)
            elif isinstance(sel, InlineFragmentNode):
                cond = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                self.walk(sel.selection_set, cond, depth, multiplier, in_tree, stack)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in stack:
                    continue  # unknown or cyclic: validation reports it
                cond = self.schema.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, cond, depth, multiplier, in_tree, (*stack, name))

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, depth: int, multiplier: int,
               in_tree: bool, stack: tuple[str, ...]) -> None:
        if node.alias is not None:
            self.aliases += 1
        if node.name.value.startswith("__"):
            return
        depth += 1
        self.depth = max(self.depth, depth)
        field_type: GraphQLNamedType | None = None
        parent_name = getattr(parent, "name", "")
        fields = getattr(parent, "fields", None)
        if fields is not None:
            definition = fields.get(node.name.value)
            field_type = get_named_type(definition.type) if definition is not None else None
        if node.selection_set is None:
            return
        key = (parent_name, node.name.value)
        if field_type is not None and field_type.name.endswith("Connection"):
            first = self._arg(node, "first")
            multiplier = min(multiplier * (first if isinstance(first, int) and first > 0 else self.default_page),
                             10**12)
            self.cost += multiplier
        elif key in TREE_FIELDS and not in_tree:
            # A process tree is bounded as a whole: entering it weighs the tree limit once.
            in_tree = True
            self.cost += multiplier * MAX_TREE_NODES
        elif key in LIST_FIELDS:
            ids = self._arg(node, LIST_FIELDS[key])
            multiplier *= max(1, len(ids)) if isinstance(ids, list) else 1
            self.cost += multiplier
        self.walk(node.selection_set, field_type, depth, multiplier, in_tree, stack)


def measure(schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any],
            default_page: int) -> Measure:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    m = Measure(schema, fragments, variables or {}, default_page)
    for op in chosen[:1]:
        root = schema.get_root_type(op.operation)
        m.walk(op.selection_set, root, 0, 1, False)
    return m


_CACHE_DOCUMENTS = 512
_CACHE_VALUES = 64
# (id of a parsed document, operation name, default page) -> (the document, the variables its numbers
# depend on, {those variables' values: (depth, aliases, cost)}). Parsed documents come from the parser cache,
# so the same text gives the same object; the entry keeps its document to tell a reused id apart.
_measured: dict[tuple[int, str | None, int], tuple[Any, frozenset[str], dict[str, tuple[int, int, int]]]] = {}


def measure_cached(schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any],
                   default_page: int) -> tuple[int, int, int]:
    """(depth, aliases, cost) of an operation, walked once per document and per value of the variables
    that the numbers depend on (`first` and `ids` arguments given as variables)."""
    key = (id(document), operation_name, default_page)
    entry = _measured.get(key)
    variables = variables or {}
    if entry is not None and entry[0] is document:
        values = repr(sorted((name, variables.get(name)) for name in entry[1]))
        found = entry[2].get(values)
        if found is not None:
            return found
    m = measure(schema, document, operation_name, variables, default_page)
    numbers = (m.depth, m.aliases, m.cost)
    if entry is None or entry[0] is not document:
        if len(_measured) >= _CACHE_DOCUMENTS:
            _measured.clear()
        entry = (document, frozenset(m.read_variables), {})
        _measured[key] = entry
    if len(entry[2]) >= _CACHE_VALUES:
        entry[2].clear()
    entry[2][repr(sorted((name, variables.get(name)) for name in entry[1]))] = numbers
    return numbers


def _is_websocket(context: Any) -> bool:
    request = getattr(context, "request", None)
    return request is None or getattr(request, "scope", {}).get("type") == "websocket"


def refuse_long_documents(ctx: Any) -> None:
    """Refuses documents with more parser tokens than allowed, before the (cached) parser runs (a parsing
    hook of app/api/pipeline.py)."""
    limit = ctx.context.settings.max_query_tokens
    query = ctx.query or ""
    # Every token is at least one character: short documents cannot be over the limit.
    if len(query) > limit:
        actual = count_tokens(query, limit * 10)
        if actual > limit:
            shown = actual if actual < limit * 10 else f"at least {actual}"
            raise _refusal(LIMIT_EXCEEDED, f"The document has {shown} parser tokens; the limit is {limit}.",
                           limit=limit, actual=actual, limitName="tokens")


def refuse_over_limit(ctx: Any) -> None:
    """Refuses a valid document over the depth, alias or cost limit, before execution (a validation hook of
    app/api/pipeline.py, after the document's validation)."""
    if ctx.pre_execution_errors is None and ctx.graphql_document is not None:
        ctx.pre_execution_errors = validate(graphql_schema(ctx.schema), ctx.graphql_document, ctx.validation_rules)
    if not ctx.pre_execution_errors and ctx.graphql_document is not None:
        settings = ctx.context.settings
        depth, aliases, cost = measure_cached(graphql_schema(ctx.schema), ctx.graphql_document, ctx.operation_name,
                                             ctx.variables or {}, settings.default_page_size)
        refusals = []
        for name, actual, limit in (("depth", depth, settings.max_query_depth),
                                    ("aliases", aliases, settings.max_query_aliases),
                                    ("cost", cost, settings.max_query_cost)):
            if actual > limit:
                refusals.append(_refusal(LIMIT_EXCEEDED, f"The query's {name} is {actual}; the limit is {limit}.",
                                         limit=limit, actual=actual, limitName=name))
        if refusals:
            ctx.pre_execution_errors = refusals


def refuse_out_of_scope(ctx: Any) -> None:
    """Answers, in place of executing, a subscription over HTTP or an operation outside the token's scopes (an
    execution hook of app/api/pipeline.py)."""
    if ctx.operation_type is OperationType.SUBSCRIPTION and not _is_websocket(ctx.context):
        ctx.result = GraphQLExecutionResult(data=None, errors=[_refusal(
            VALIDATION_ERROR, "Subscriptions run over WebSocket (graphql-transport-ws) at /graphql, not over HTTP.")])
        return
    needed = WRITE if ctx.operation_type is OperationType.MUTATION else READ
    refusal = scope_refusal(ctx.context.actor, needed, f"a {ctx.operation_type.value}")
    if refusal is not None:
        ctx.result = GraphQLExecutionResult(data=None, errors=[
            GraphQLError(refusal.message, extensions=error_extensions(refusal))])
