"""The fast executor's plans (see app/graphql/executor.py): which fields are plain and how each is answered,
selections of plain fields compiled into generated Python functions, and the cache that shares them between
requests of one parsed operation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from operator import methodcaller
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from strawberry.resolvers import is_default_resolver
from strawberry.types.cast import get_strawberry_type_cast

from app.graphql.rows import Col, Computed, Nested, Own

_MAX_INT, _MIN_INT = 2**31 - 1, -(2**31)
# Built-in scalars whose serialization leaves a value of this exact Python type unchanged.
_IDENTITY = {GraphQLString.name: str, GraphQLID.name: str, GraphQLBoolean.name: bool}

LEAF, LIST, OBJECT, OBJECTS, ABSTRACT = 1, 2, 3, 4, 5


class Plan:
    """How to answer one plain field of one object type: a leaf, a list of leaves, an object (or union or
    interface value), or a list of those."""

    __slots__ = ("attr", "enum_names", "exact", "is_int", "iso", "item_non_null", "item_type", "kind", "members",
                 "non_null", "object_type", "origin", "return_type", "serialize")

    def __init__(self, attr: str, kind: int, named: Any, non_null: bool, item_non_null: bool,
                 return_type: Any) -> None:
        self.attr, self.kind, self.non_null, self.item_non_null = attr, kind, non_null, item_non_null
        self.return_type = return_type
        self.serialize = getattr(named, "serialize", None)
        self.exact = _IDENTITY.get(named.name)
        self.is_int = named.name == GraphQLInt.name
        # Date and DateTime serialize with `methodcaller("isoformat")` (Strawberry's scalars): for a value of
        # exactly `date` or `datetime` that is `value.isoformat()`, which generated code calls directly.
        self.iso = _is_isoformat(self.serialize)
        self.object_type: GraphQLObjectType | None = named if isinstance(named, GraphQLObjectType) else None
        self.origin: type | None = None  # filled in by SchemaPlans for object fields
        # lists of objects: the (wrapped) item type, and the object type of each exact Python class
        self.item_type: Any = None
        self.members: dict[type, GraphQLObjectType] = {}
        # enums: the output name of each Python value (enum members and their values)
        self.enum_names: dict[Any, str] | None = None
        if isinstance(named, GraphQLEnumType):
            names: dict[Any, str] = {}
            for enum_name, enum_value in named.values.items():
                python = enum_value.value
                names[python] = enum_name
                inner = getattr(python, "value", None)
                if isinstance(inner, str | int) and not isinstance(inner, bool):
                    names.setdefault(inner, enum_name)
            # only when no two members share a value (then serialize would be ambiguous anyway)
            if len(set(names.values())) == len(named.values):
                self.enum_names = names


_ISOFORMAT = repr(methodcaller("isoformat"))


def _is_isoformat(serialize: Any) -> bool:
    return type(serialize) is methodcaller and repr(serialize) == _ISOFORMAT


def plan_of(field: Any) -> Plan | None:
    resolve = field.resolve
    definition = field.extensions.get("strawberry-definition")
    if field.args or definition is None or not is_default_resolver(resolve):
        return None
    t, non_null = field.type, False
    if isinstance(t, GraphQLNonNull):
        t, non_null = t.of_type, True
    if isinstance(t, GraphQLList):
        item, item_non_null = t.of_type, False
        if isinstance(item, GraphQLNonNull):
            item, item_non_null = item.of_type, True
        if is_leaf_type(item):
            return Plan(definition.python_name, LIST, item, non_null, item_non_null, field.type)
        if isinstance(item, GraphQLObjectType | GraphQLAbstractType):
            plan = Plan(definition.python_name, OBJECTS, item, non_null, item_non_null, field.type)
            plan.item_type = t.of_type
            return plan
        return None
    if is_leaf_type(t):
        return Plan(definition.python_name, LEAF, t, non_null, False, field.type)
    if isinstance(t, GraphQLObjectType):
        return Plan(definition.python_name, OBJECT, t, non_null, False, field.type)
    if isinstance(t, GraphQLAbstractType):
        plan = Plan(definition.python_name, ABSTRACT, t, non_null, False, field.type)
        plan.item_type = t
        return plan
    return None


class SchemaPlans:
    """Per schema: the plain leaf fields of every object type, and each abstract type's members by class."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.fields: dict[GraphQLObjectType, dict[str, Plan]] = {}
        self.origins: dict[GraphQLObjectType, type] = {}
        self.members: dict[GraphQLAbstractType, dict[type, GraphQLObjectType]] = {}
        for named in schema.type_map.values():
            if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
                plans = {name: p for name, f in named.fields.items() if (p := plan_of(f)) is not None}
                self.fields[named] = plans
                definition = named.extensions.get("strawberry-definition")
                origin = getattr(definition, "origin", None)
                if isinstance(origin, type):
                    self.origins[named] = origin
        by_origin: dict[type, list[GraphQLObjectType]] = {}
        for object_type, origin in self.origins.items():
            by_origin.setdefault(origin, []).append(object_type)
        for named in schema.type_map.values():
            if isinstance(named, GraphQLAbstractType):
                members: dict[type, GraphQLObjectType] = {}
                for possible in schema.get_possible_types(named):
                    origin = self.origins.get(possible)
                    if origin is not None and len(by_origin[origin]) == 1:
                        members[origin] = possible
                self.members[named] = members
        # Object-valued plans: the object type of each exact Python class the value may have.
        for plans in self.fields.values():
            for p in plans.values():
                if p.object_type is not None:
                    p.origin = self.origins.get(p.object_type)
                    p.members = {p.origin: p.object_type} if p.origin is not None else {}
                elif p.kind in (OBJECTS, ABSTRACT):
                    p.members = self.members.get(get_named_type(p.item_type), {})


_PLANS: dict[int, tuple[GraphQLSchema, SchemaPlans]] = {}


def plans_for(schema: GraphQLSchema) -> SchemaPlans:
    cached = _PLANS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, SchemaPlans(schema))
        _PLANS[id(schema)] = cached
    return cached[1]


class Fallback(Exception):
    """This field needs the stock path."""


def leaf(plan: Plan, value: Any, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise Fallback
        return None
    exact = plan.exact
    if exact is not None and type(value) is exact:
        return value
    names = plan.enum_names
    if names is not None:
        try:
            found = names.get(value)
        except TypeError:  # unhashable: let serialize say what is wrong
            found = None
        if found is not None:
            return found
    if plan.is_int and type(value) is int and _MIN_INT <= value <= _MAX_INT:
        return value
    try:
        out = plan.serialize(value)  # type: ignore[misc]
    except Exception as exc:
        raise Fallback from exc
    if out is None or out is Undefined:
        raise Fallback
    return out


TYPENAME = 0
MISSING: Any = object()


def generate(entries: list[tuple[str, int, Any, Any, Any]], row_run: Callable[[Any], Any] | None = None,
             placed_run: Callable[[Any], Any] | None = None) -> Callable[[Any], dict[str, Any]]:
    """One object of a compiled selection as a generated Python function: attributes read and serialized,
    sub-objects by their own generated functions, the result dict built in one expression. Raises (Fallback,
    or whatever an attribute raised) at anything the stock path must see. Only attribute names (Python
    identifiers from the Strawberry definitions) and constants passed through the namespace go into the
    source; response names enter as string literals (repr).

    With `row_run` (the same selection compiled over the object's row, `generate_row`), an object that holds
    only its row (app/graphql/rows.py `RowPlan.lazy`) is answered from the row; with `placed_run` too (the
    selection compiled over row and place, `generate_placed`), one made with a place in a tree is answered by
    it, with its builder."""
    ns = _namespace()
    lines = ["def run(src):"]
    if row_run is not None:
        ns["ROW"] = row_run
        lines += ["    row = src.lazy_row", "    if row is not None:"]
        if placed_run is not None:
            ns["PLACED"] = placed_run
            lines += ["        place = src.lazy_place", "        if place is not None:",
                      "            return PLACED(place[0], row, place[1])"]
        lines += ["        return ROW(src, row)"]
    reads = [None if kind == TYPENAME else _attribute(plan.attr) for _name, kind, plan, _sub, _source in entries]
    return _function(entries, reads, lines, ns)


def _attribute(attr: str) -> str:
    """The expression that reads attribute `attr` of `src`."""
    return f"src.{attr}" if attr.isidentifier() and not attr.startswith("__") else f"getattr(src, {attr!r})"


NESTED = 6
"""In `generate_row`'s entries: an object built from the same row (rows.Nested), its selection a row function."""
BELOW_LIST, BELOW_ONE = 7, 8
"""In `generate_placed`'s entries: a `below` field of a tree's node (a list of nodes, or one node or null), each
node answered by the placed function of its class (a dict of them in `sub`)."""


def generate_row(entries: list[tuple[str, int, Any, Any, Any]]) -> Callable[[Any], dict[str, Any]]:
    """A selection compiled over the row an object is built from, as `run(src, row)`: each entry's source
    (app/graphql/rows.py) is a column (`Col`, converted), a function of the row (`Computed`), an object built
    from the same row (`Nested`, kind NESTED, its own row function in `sub`), or the object's own attribute
    (`Own`); the value is then answered as `generate` answers an attribute. The object's fields that follow
    from its row are never set, and no nested object is built."""
    ns = _namespace()
    lines = ["def run(src, row):"]
    reads: list[str | None] = []
    for i, (_name, kind, plan, sub, source) in enumerate(entries):
        if kind == TYPENAME:
            reads.append(None)
        elif isinstance(source, Own):
            reads.append(_attribute(plan.attr))
        else:
            reads.append(_row_read(ns, i, source, sub, "src"))
    return _function(entries, reads, lines, ns)


def generate_placed(entries: list[tuple[str, int, Any, Any, Any]]) -> Callable[[Any, Any, Any], dict[str, Any]]:
    """A selection compiled over the row and the place of a tree's node, as `run(builder, row, place)` (see
    app/graphql/rows.py `Placer`): the fields that follow from the row as in `generate_row`, the node's `Own`
    fields answered by its builder, and the nodes below it (BELOW_LIST, BELOW_ONE) by their own placed
    functions, so that no object is made for any node of the selection."""
    ns = _namespace()
    lines = ["def run(b, row, place):"]
    reads: list[str | None] = []
    for i, (_name, kind, plan, sub, source) in enumerate(entries):
        if kind == TYPENAME:
            reads.append(None)
        elif kind in (BELOW_LIST, BELOW_ONE):
            reads.append(f"b.below({plan.attr!r}, row, place)")
        elif isinstance(source, Own):
            reads.append(f"b.answer({plan.attr!r}, row, place)")
        else:
            reads.append(_row_read(ns, i, source, sub, "None"))
    return _function(entries, reads, lines, ns)


def _row_read(ns: dict[str, Any], i: int, source: Any, sub: Any, src: str) -> str:
    """The expression of a field that follows from `row` (a column, a function of it, or an object built from
    it), for entry `i` of a generated function."""
    if isinstance(source, Nested):
        ns[f"N{i}"] = sub
        call = f"N{i}({src}, row)"
        return call if source.null_when_null is None else f"None if row.{source.null_when_null} is None else {call}"
    if isinstance(source, Col):
        if source.convert is None:
            return f"row.{source.column}"
        ns[f"C{i}"] = source.convert
        return f"C{i}(row.{source.column})"
    assert isinstance(source, Computed)
    ns[f"C{i}"] = source.function
    return f"C{i}(row)"


def _namespace() -> dict[str, Any]:
    return {"Fallback": Fallback, "leaf": leaf, "_cast": get_strawberry_type_cast, "_MIN": _MIN_INT,
            "_MAX": _MAX_INT, "_date": date, "_datetime": datetime}


def _function(entries: list[tuple[str, int, Any, Any, Any]], reads: list[str | None], lines: list[str],
              ns: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """The body shared by `generate`, `generate_row` and `generate_placed`: each entry's value (`reads[i]`, an expression) answered
    by its kind, then the result dict."""
    results = []
    for i, (response_name, kind, plan, sub, _source) in enumerate(entries):
        r = f"r{i}"
        results.append(f"{response_name!r}: {r}")
        if kind == TYPENAME:
            ns[f"T{i}"] = plan
            lines.append(f"    {r} = T{i}")
            continue
        ns[f"P{i}"] = plan
        if kind == BELOW_LIST:  # nodes of the same tree: (class, row, place) each
            ns[f"S{i}"] = sub
            lines.append(f"    {r} = []")
            lines.append(f"    for c, x, p in {reads[i]}:")
            lines.append(f"        f = S{i}.get(c)")
            lines.append("        if f is None:")
            lines.append("            raise Fallback")
            lines.append(f"        {r}.append(f(b, x, p))")
            continue
        if kind == BELOW_ONE:
            ns[f"S{i}"] = sub
            lines.append(f"    v = {reads[i]}")
            lines.append("    if v is None:")
            lines.append(f"        if P{i}.non_null:")
            lines.append("            raise Fallback")
            lines.append(f"        {r} = None")
            lines.append("    else:")
            lines.append(f"        f = S{i}.get(v[0])")
            lines.append("        if f is None:")
            lines.append("            raise Fallback")
            lines.append(f"        {r} = f(b, v[1], v[2])")
            continue
        if kind == NESTED:  # a row function: it answers the object, or raises for the stock path
            lines.append(f"    {r} = {reads[i]}")
            if plan.non_null:
                lines.append(f"    if {r} is None:")
                lines.append("        raise Fallback")
            continue
        lines.append(f"    v = {reads[i]}")
        if kind == LEAF:
            # The common exact types inline, each giving what `leaf` gives for it; anything else through `leaf`.
            slow = f"leaf(P{i}, v, P{i}.non_null)"
            if plan.exact is not None:
                lines.append(f"    {r} = v if type(v) is {plan.exact.__name__} else {slow}")
            elif plan.is_int:
                lines.append(f"    {r} = v if type(v) is int and _MIN <= v <= _MAX else {slow}")
            elif plan.enum_names is not None:
                ns[f"E{i}"] = plan.enum_names
                ns[f"E{i}_types"] = frozenset(type(k) for k in plan.enum_names)
                lines.append(f"    {r} = E{i}.get(v) if type(v) in E{i}_types else None")
                lines.append(f"    if {r} is None:")
                lines.append(f"        {r} = {slow}")
            elif plan.iso:
                lines.append(f"    {r} = v.isoformat() if type(v) is _datetime or type(v) is _date else {slow}")
            else:
                lines.append(f"    {r} = {slow}")
            continue
        lines.append("    if v is None:")
        lines.append(f"        if P{i}.non_null:")
        lines.append("            raise Fallback")
        lines.append(f"        {r} = None")
        lines.append("    else:")
        if kind == LIST:
            lines.append("        if type(v) is not list and type(v) is not tuple:")
            lines.append("            raise Fallback")
            lines.append(f"        {r} = [leaf(P{i}, x, P{i}.item_non_null) for x in v]")
            continue
        ns[f"S{i}"] = sub
        if kind == OBJECTS:
            lines.append("        if type(v) is not list:")
            lines.append("            raise Fallback")
            lines.append(f"        {r} = []")
            lines.append("        for x in v:")
            lines.append(f"            f = S{i}.get(type(x))")
            lines.append("            if f is None or _cast(x) is not None:")
            lines.append("                raise Fallback")
            lines.append(f"            {r}.append(f(x))")
        else:  # OBJECT, ABSTRACT
            lines.append(f"        f = S{i}.get(type(v))")
            lines.append("        if f is None or _cast(v) is not None:")
            lines.append("            raise Fallback")
            lines.append(f"        {r} = f(v)")
    lines.append("    return {" + ", ".join(results) + "}")
    exec(compile("\n".join(lines), "<processgraph compiled selection>", "exec"), ns)
    return ns["run"]  # type: ignore[no-any-return]


_SHARED_OPERATIONS = 256
# Compiled selections shared by every request of one parsed operation (the parser cache hands back the same
# operation node for the same text), when nothing in it depends on variables: no directive anywhere.
_shared: dict[int, tuple[Any, dict[Any, Any]]] = {}


def _without_directives(selection_set: Any, fragments: dict[str, Any], seen: set[str]) -> bool:
    for sel in selection_set.selections if selection_set is not None else ():
        if sel.directives:
            return False
        kind = sel.kind
        if kind == "fragment_spread":
            name = sel.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or fragment.directives or getattr(fragment, "variable_definitions", None) \
                    or not _without_directives(fragment.selection_set, fragments, seen):
                return False
        elif not _without_directives(sel.selection_set, fragments, seen):
            return False
    return True


def shared_plans(operation: Any, fragments: dict[str, Any]) -> dict[Any, Any] | None:
    """The cross-request cache of compiled selections for `operation`, or None when it has directives."""
    entry = _shared.get(id(operation))
    if entry is not None and entry[0] is operation:
        return entry[1]
    if operation.directives or not _without_directives(operation.selection_set, fragments, set()):
        return None
    if len(_shared) >= _SHARED_OPERATIONS:
        _shared.clear()
    plans: dict[Any, Any] = {}
    _shared[id(operation)] = (operation, plans)
    return plans
