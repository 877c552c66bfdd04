"""A faster graphql-core executor for the common case, with the stock path for everything else.

Most of a large response is fields read straight off objects built in memory (a process tree's ids, names,
ordinals, flags, children). graphql-core resolves each through the whole field machinery: a path, a
resolve info, the resolver, the awaitable checks, value completion. This executor (Strawberry's public
`execution_context_class` hook) answers plain fields directly: fields whose resolver is Strawberry's
default (an attribute; no permission classes or field extensions), that take no arguments and carry no
directive, of scalar, enum, object, union or interface type or a list of them. Union and interface values
resolve by their exact Python class.

- A selection made only of plain fields (on an object type, and below it) is compiled into a generated
  Python function per object type and selection, memoized per request and, for operations without
  directives, shared by every request of the same parsed operation.
- Elsewhere, plain fields skip the per-field machinery one by one, in the order the stock executor runs
  them.

Anything unusual, such as a null in a non-null field, a value the scalar refuses, an attribute that raises
or a Strawberry type cast, goes to the stock code, which reports it as it always does (same errors, paths
and nulls); compiled functions only read attributes, so nothing runs twice. The module leans on
graphql-core internals (`execute_fields`, `collect_and_execute_subfields`, `complete_abstract_value`,
`complete_object_value` of its `Executor` in 3.3): the lock file pins graphql-core, and
tests/test_executor.py compares this executor's results with the stock executor's.
"""
from __future__ import annotations

from collections.abc import Callable
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
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.cast import get_strawberry_type_cast

_MAX_INT, _MIN_INT = 2**31 - 1, -(2**31)
# Built-in scalars whose serialization leaves a value of this exact Python type unchanged.
_IDENTITY = {GraphQLString.name: str, GraphQLID.name: str, GraphQLBoolean.name: bool}

_LEAF, _LIST, _OBJECT, _OBJECTS, _ABSTRACT = 1, 2, 3, 4, 5


class _Plan:
    """How to answer one plain field of one object type: a leaf, a list of leaves, an object (or union or
    interface value), or a list of those."""

    __slots__ = ("attr", "enum_names", "exact", "is_int", "item_non_null", "item_type", "kind", "members",
                 "non_null", "object_type", "origin", "return_type", "serialize")

    def __init__(self, attr: str, kind: int, named: Any, non_null: bool, item_non_null: bool,
                 return_type: Any) -> None:
        self.attr, self.kind, self.non_null, self.item_non_null = attr, kind, non_null, item_non_null
        self.return_type = return_type
        self.serialize = getattr(named, "serialize", None)
        self.exact = _IDENTITY.get(named.name)
        self.is_int = named.name == GraphQLInt.name
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


def _plan(field: Any) -> _Plan | None:
    resolve = field.resolve
    definition = field.extensions.get("strawberry-definition")
    if field.args or definition is None or not getattr(resolve, "_is_default", False):
        return None
    t, non_null = field.type, False
    if isinstance(t, GraphQLNonNull):
        t, non_null = t.of_type, True
    if isinstance(t, GraphQLList):
        item, item_non_null = t.of_type, False
        if isinstance(item, GraphQLNonNull):
            item, item_non_null = item.of_type, True
        if is_leaf_type(item):
            return _Plan(definition.python_name, _LIST, item, non_null, item_non_null, field.type)
        if isinstance(item, GraphQLObjectType | GraphQLAbstractType):
            plan = _Plan(definition.python_name, _OBJECTS, item, non_null, item_non_null, field.type)
            plan.item_type = t.of_type
            return plan
        return None
    if is_leaf_type(t):
        return _Plan(definition.python_name, _LEAF, t, non_null, False, field.type)
    if isinstance(t, GraphQLObjectType):
        return _Plan(definition.python_name, _OBJECT, t, non_null, False, field.type)
    if isinstance(t, GraphQLAbstractType):
        plan = _Plan(definition.python_name, _ABSTRACT, t, non_null, False, field.type)
        plan.item_type = t
        return plan
    return None


class SchemaPlans:
    """Per schema: the plain leaf fields of every object type, and each abstract type's members by class."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.fields: dict[GraphQLObjectType, dict[str, _Plan]] = {}
        self.origins: dict[GraphQLObjectType, type] = {}
        self.members: dict[GraphQLAbstractType, dict[type, GraphQLObjectType]] = {}
        for named in schema.type_map.values():
            if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
                plans = {name: p for name, f in named.fields.items() if (p := _plan(f)) is not None}
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
                elif p.kind in (_OBJECTS, _ABSTRACT):
                    p.members = self.members.get(get_named_type(p.item_type), {})


_PLANS: dict[int, tuple[GraphQLSchema, SchemaPlans]] = {}


def plans_for(schema: GraphQLSchema) -> SchemaPlans:
    cached = _PLANS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, SchemaPlans(schema))
        _PLANS[id(schema)] = cached
    return cached[1]


class _Fallback(Exception):
    """This field needs the stock path."""


def _leaf(plan: _Plan, value: Any, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise _Fallback
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
        raise _Fallback from exc
    if out is None or out is Undefined:
        raise _Fallback
    return out


_TYPENAME = 0
_MISSING: Any = object()


def _generate(entries: list[tuple[str, int, Any, Any]]) -> Callable[[Any], dict[str, Any]]:
    """One object of a compiled selection as a generated Python function: attributes read and serialized,
    sub-objects by their own generated functions, the result dict built in one expression. Raises (_Fallback,
    or whatever an attribute raised) at anything the stock path must see. Only attribute names (Python
    identifiers from the Strawberry definitions) and constants passed through the namespace go into the
    source; response names enter as string literals (repr)."""
    ns: dict[str, Any] = {"_Fallback": _Fallback, "_leaf": _leaf, "_cast": get_strawberry_type_cast,
                          "_MIN": _MIN_INT, "_MAX": _MAX_INT}
    lines = ["def run(src):"]
    results = []
    for i, (response_name, kind, plan, sub) in enumerate(entries):
        r = f"r{i}"
        results.append(f"{response_name!r}: {r}")
        if kind == _TYPENAME:
            ns[f"T{i}"] = plan
            lines.append(f"    {r} = T{i}")
            continue
        ns[f"P{i}"] = plan
        attr = plan.attr
        read = f"src.{attr}" if attr.isidentifier() and not attr.startswith("__") else f"getattr(src, {attr!r})"
        lines.append(f"    v = {read}")
        if kind == _LEAF:
            if plan.exact is str:
                lines.append(f"    {r} = v if type(v) is str else _leaf(P{i}, v, P{i}.non_null)")
            elif plan.is_int:
                lines.append(f"    {r} = v if type(v) is int and _MIN <= v <= _MAX else _leaf(P{i}, v, P{i}.non_null)")
            else:
                lines.append(f"    {r} = _leaf(P{i}, v, P{i}.non_null)")
            continue
        lines.append("    if v is None:")
        lines.append(f"        if P{i}.non_null:")
        lines.append("            raise _Fallback")
        lines.append(f"        {r} = None")
        lines.append("    else:")
        if kind == _LIST:
            lines.append("        if type(v) is not list and type(v) is not tuple:")
            lines.append("            raise _Fallback")
            lines.append(f"        {r} = [_leaf(P{i}, x, P{i}.item_non_null) for x in v]")
            continue
        ns[f"S{i}"] = sub
        if kind == _OBJECTS:
            lines.append("        if type(v) is not list:")
            lines.append("            raise _Fallback")
            lines.append(f"        {r} = []")
            lines.append("        for x in v:")
            lines.append(f"            f = S{i}.get(type(x))")
            lines.append("            if f is None or _cast(x) is not None:")
            lines.append("                raise _Fallback")
            lines.append(f"            {r}.append(f(x))")
        else:  # _OBJECT, _ABSTRACT
            lines.append(f"        f = S{i}.get(type(v))")
            lines.append("        if f is None or _cast(v) is not None:")
            lines.append("            raise _Fallback")
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


class FastExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with compiled selections for subtrees of plain fields, and a per-field fast path
    for plain fields elsewhere."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans = plans_for(self.schema)
        self._compiled: dict[tuple[Any, int], Any] = {}
        # Field middleware (an extension's `resolve` hook) must see every field: no fast path then.
        self._fast = not getattr(self.middleware_manager, "middlewares", None)
        self._shared = shared_plans(self.operation, self.fragment_definitions) if self._fast else None

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None,
                       grouped_field_set: Any, position_context: Any) -> Any:
        if not self._fast:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plans = self._plans.fields.get(parent_type)
        if not plans:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        pending: list[str] | None = None
        is_awaitable = self.is_awaitable
        for response_name, field_details_list in grouped_field_set.items():
            name = field_details_list[0].node.name.value
            plan = plans.get(name)
            fast = True
            try:
                if plan is None:
                    if name == "__typename":
                        results[response_name] = parent_type.name
                        continue
                    raise _Fallback
                value = getattr(source_value, plan.attr)
                kind = plan.kind
                if kind == _LEAF:
                    results[response_name] = _leaf(plan, value, plan.non_null)
                    continue
                if value is None:
                    if plan.non_null:
                        raise _Fallback
                    results[response_name] = None
                    continue
                if kind == _LIST:
                    if type(value) is not list and type(value) is not tuple:
                        raise _Fallback  # graphql-core refuses a str, and iterates other iterables itself
                    results[response_name] = [_leaf(plan, v, plan.item_non_null) for v in value]
                    continue
                if field_details_list[0].node.directives:  # @stream, or anything else: the stock path
                    raise _Fallback
                if kind == _OBJECTS:
                    members = plan.members
                    # Every item of a known exact class (no nulls, no casts), or the stock path for all.
                    if type(value) is not list or not all(
                            type(v) in members and get_strawberry_type_cast(v) is None for v in value):
                        raise _Fallback
                elif kind == _ABSTRACT:
                    runtime = plan.members.get(type(value))
                    if runtime is None or get_strawberry_type_cast(value) is not None:
                        raise _Fallback
                elif type(value) is not plan.origin or get_strawberry_type_cast(value) is not None:
                    raise _Fallback
            except Exception:  # _Fallback, or an attribute that raised: the stock path reports it
                fast = False
            # In order, as the stock executor would: an object field (its sub-selection, with the stock
            # executor's error handling), or the stock path itself.
            try:
                field_path = Path(path, response_name, parent_type.name)
                if not fast:
                    completed = self.execute_field(parent_type, source_value, field_details_list, field_path,
                                                   position_context)
                    if completed is Undefined:
                        continue
                elif kind == _OBJECTS:
                    assert plan is not None
                    completed = self._complete_objects(plan, field_details_list, field_path, value, position_context)
                else:
                    assert plan is not None
                    completed = self._complete_object(plan, field_details_list, field_path, value, position_context)
            except Exception:  # a non-null field failed: its parent is null; settle what already started
                if pending:
                    self.settle_in_background([results[f] for f in pending])
                raise
            results[response_name] = completed
            if type(completed) is not dict and is_awaitable(completed):
                if pending is None:
                    pending = []
                pending.append(response_name)
        if pending is None:
            return results

        async def get_results() -> dict[str, Any]:
            awaited = await gather_with_cancel(*(results[f] for f in pending))
            results.update(zip(pending, awaited, strict=True))
            return results

        return get_results()

    def _complete_object(self, plan: _Plan, field_details_list: Any, field_path: Path, value: Any,
                         position_context: Any) -> Any:
        object_type = plan.members[type(value)]
        try:
            completed = self.collect_and_execute_subfields(object_type, field_details_list, field_path, value,
                                                           position_context)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None
        if type(completed) is dict or not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
                return None

        return await_completed()

    def _complete_objects(self, plan: _Plan, field_details_list: Any, field_path: Path, items: list[Any],
                          position_context: Any) -> Any:
        """A plain list of objects, as `complete_iterable_value` and `complete_list_item_value` would."""
        members, item_type, is_awaitable = plan.members, plan.item_type, self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = field_path.add_key(index, None)
                try:
                    done = self.collect_and_execute_subfields(members[type(item)], field_details_list, item_path,
                                                              item, position_context)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    done = None
                if type(done) is not dict and is_awaitable(done):
                    done = self._await_item(done, item_type, field_details_list, item_path)
                    awaitable_indices.append(index)
                completed.append(done)
        except Exception as raw_error:
            if awaitable_indices:
                self.settle_in_background([completed[i] for i in awaitable_indices])
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None
        if not awaitable_indices:
            return completed

        async def get_completed() -> Any:
            try:
                awaited = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
            except Exception as raw_error:
                self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
                return None
            for i, value in zip(awaitable_indices, awaited, strict=True):
                completed[i] = value
            return completed

        return get_completed()

    async def _await_item(self, done: Any, item_type: Any, field_details_list: Any, item_path: Path) -> Any:
        try:
            return await done
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            return None

    def _compile(self, object_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """The selection of `field_details_list` on `object_type` as a generated function (see `_generate`)
        when every field below is plain (no resolver, no arguments, no directive, no @defer); None otherwise.
        Memoized per request like graphql-core's collect_subfields, and shared across requests when the
        operation has no directives."""
        key = (object_type, id(field_details_list))
        found = self._compiled.get(key, _MISSING)
        if found is not _MISSING:
            return found
        shared = self._shared
        if shared is not None:
            shared_key = (object_type, *(id(f.node) for f in field_details_list))
            found = shared.get(shared_key, _MISSING)
            if found is not _MISSING:
                self._compiled[key] = found
                return found
        found = self._compile_fresh(object_type, field_details_list, key)
        if shared is not None:
            shared[shared_key] = found
        return found

    def _compile_fresh(self, object_type: GraphQLObjectType, field_details_list: Any, key: Any) -> Any:
        self._compiled[key] = None  # while compiling (and for good, if not compilable)
        grouped, new_defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        plans = self._plans.fields.get(object_type)
        if new_defer_usages or forbidden or not plans:
            return None
        entries: list[tuple[str, int, Any, Any]] = []
        for response_name, sub_fields in grouped.items():
            node = sub_fields[0].node
            name = node.name.value
            if name == "__typename":
                entries.append((response_name, _TYPENAME, object_type.name, None))
                continue
            plan = plans.get(name)
            if plan is None or node.directives:
                return None
            sub: dict[type, Any] | None = None
            if plan.kind in (_OBJECT, _OBJECTS, _ABSTRACT):
                if not plan.members:
                    return None
                sub = {}
                for cls, member_type in plan.members.items():
                    compiled = self._compile(member_type, sub_fields)
                    if compiled is None:
                        return None
                    sub[cls] = compiled
            entries.append((response_name, plan.kind, plan, sub))
        run = _generate(entries)
        self._compiled[key] = run
        return run

    def collect_and_execute_subfields(self, return_type: GraphQLObjectType, field_details_list: Any, path: Path,
                                      result: Any, position_context: Any) -> Any:
        if self._fast:
            run = self._compile(return_type, field_details_list)
            if run is not None:
                try:
                    return run(result)
                except Exception:  # anything unusual: the stock path below reports it (nothing ran twice)
                    pass
        return super().collect_and_execute_subfields(return_type, field_details_list, path, result,
                                                     position_context)

    def complete_abstract_value(self, return_type: GraphQLAbstractType, field_details_list: Any, info: Any,
                                path: Path, result: Any, position_context: Any) -> Any:
        runtime_type = self._plans.members.get(return_type, {}).get(type(result))
        if runtime_type is None or get_strawberry_type_cast(result) is not None:
            return super().complete_abstract_value(return_type, field_details_list, info, path, result,
                                                   position_context)
        return self.collect_and_execute_subfields(runtime_type, field_details_list, path, result, position_context)

    def complete_object_value(self, return_type: GraphQLObjectType, field_details_list: Any, info: Any,
                              path: Path, result: Any, position_context: Any) -> Any:
        if (return_type.is_type_of is not None and type(result) is self._plans.origins.get(return_type)
                and get_strawberry_type_cast(result) is None):
            return self.collect_and_execute_subfields(return_type, field_details_list, path, result,
                                                      position_context)
        return super().complete_object_value(return_type, field_details_list, info, path, result,
                                             position_context)
