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
  directives, shared by every request of the same parsed operation. An object that carries a
  `fragment_memo` (the root of a tree in the gateway's shared cache, app/fast/cache.py) keeps what such a shared
  function returned for it, and later requests reuse that answer.
- Elsewhere, plain fields skip the per-field machinery one by one, in the order the stock executor runs
  them.

Anything unusual, such as a null in a non-null field, a value the scalar refuses, an attribute that raises
or a Strawberry type cast, goes to the stock code, which reports it as it always does (same errors, paths
and nulls); compiled functions only read attributes, so nothing runs twice. The module leans on
graphql-core internals (`execute_fields`, `collect_and_execute_subfields`, `complete_abstract_value`,
`complete_object_value` of its `Executor` in 3.3): the lock file pins graphql-core,
tests/test_adapters.py checks those methods are still there with the same parameters, and
tests/test_executor.py compares this executor's results with the stock executor's.

This module is the runtime (the executor class); app/graphql/executor_plans.py holds the plans and the compiler
of generated functions.
"""
from __future__ import annotations

from typing import Any, Protocol
from weakref import WeakMethod

from graphql import (
    GraphQLAbstractType,
    GraphQLObjectType,
    GraphQLResolveInfoHelpers,
    Undefined,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.cast import get_strawberry_type_cast

from app.graphql.executor_plans import (
    ABSTRACT,
    BELOW_LIST,
    BELOW_ONE,
    LEAF,
    LIST,
    MISSING,
    NESTED,
    OBJECT,
    OBJECTS,
    TYPENAME,
    Fallback,
    Plan,
    generate,
    generate_placed,
    generate_row,
    leaf,
    plans_for,
    shared_plans,
)
from app.graphql.rows import Nested, Own, RowPlan


class FragmentMemo(Protocol):
    """What an API object may carry as `fragment_memo`: the answers compiled selections gave for it, kept by
    the fast path (app/fast/cache.py implements it). Types name this, never the cache."""

    def get(self, selection: Any) -> Any: ...

    def put(self, selection: Any, answer: Any) -> None: ...


def memoized(run: Any) -> Any:
    """`run` for objects that may carry a `fragment_memo`: their kept answer to it when there is one, else
    `run`'s answer, then kept. Such a function reads only plain attributes of an object that is never changed
    once built (app/fast/cache.py), so the kept answer is what `run` would return."""
    def call(src: Any) -> Any:
        memo = src.fragment_memo
        if memo is None:
            return run(src)
        found = memo.get(run)
        if found is None:
            found = run(src)
            memo.put(run, found)
        return found
    return call


def _weakly(method: Any) -> Any:
    """`method` called through a weak reference to its object (alive while the execution that calls it runs)."""
    ref = WeakMethod(method)

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = ref()
        assert bound is not None, "an execution's helper called after the execution"
        return bound(*args, **kwargs)
    return call


class FastExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with compiled selections for subtrees of plain fields, and a per-field fast path
    for plain fields elsewhere."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers are bound methods of the executor, held by the executor: a reference cycle
        # that kept every request's executor, context and loaders alive until the cyclic collector ran. With
        # the young generation's threshold at 200,000 (app/serve.py settle_heap) that collection came every
        # few thousand requests and freed them all at once: one pause of 235 ms under (d) at concurrency 16
        # (bench/pauses.py, issue 29). Held weakly, they go with the request, by reference counting.
        self.async_helpers = GraphQLResolveInfoHelpers(gather=_weakly(self.gather_async_work),
                                                       track=_weakly(self.track_async_work))
        self._plans = plans_for(self.schema)
        self._compiled: dict[tuple[Any, ...], Any] = {}
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
        # An object that holds its row (app/graphql/rows.py): a field that follows from the row is read from it,
        # and the object's other fields are never set.
        row = getattr(source_value, "lazy_row", None)
        if row is not None:
            own, from_row = source_value.__dict__, type(source_value).row_plan.from_row
        for response_name, field_details_list in grouped_field_set.items():
            name = field_details_list[0].node.name.value
            plan = plans.get(name)
            fast = True
            try:
                if plan is None:
                    if name == "__typename":
                        results[response_name] = parent_type.name
                        continue
                    raise Fallback
                if row is not None and plan.attr not in own and plan.attr in from_row:
                    value = from_row[plan.attr].value(row)
                else:
                    value = getattr(source_value, plan.attr)
                kind = plan.kind
                if kind == LEAF:
                    results[response_name] = leaf(plan, value, plan.non_null)
                    continue
                if value is None:
                    if plan.non_null:
                        raise Fallback
                    results[response_name] = None
                    continue
                if kind == LIST:
                    if type(value) is not list and type(value) is not tuple:
                        raise Fallback  # graphql-core refuses a str, and iterates other iterables itself
                    results[response_name] = [leaf(plan, v, plan.item_non_null) for v in value]
                    continue
                if field_details_list[0].node.directives:  # @stream, or anything else: the stock path
                    raise Fallback
                if kind == OBJECTS:
                    members = plan.members
                    # Every item of a known exact class (no nulls, no casts), or the stock path for all.
                    if type(value) is not list or not all(
                            type(v) in members and get_strawberry_type_cast(v) is None for v in value):
                        raise Fallback
                elif kind == ABSTRACT:
                    runtime = plan.members.get(type(value))
                    if runtime is None or get_strawberry_type_cast(value) is not None:
                        raise Fallback
                elif type(value) is not plan.origin or get_strawberry_type_cast(value) is not None:
                    raise Fallback
            except Exception:  # Fallback, or an attribute that raised: the stock path reports it
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
                elif kind == OBJECTS:
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

    def _complete_object(self, plan: Plan, field_details_list: Any, field_path: Path, value: Any,
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

    def _complete_objects(self, plan: Plan, field_details_list: Any, field_path: Path, items: list[Any],
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
        """The selection of `field_details_list` on `object_type` as a generated function (see `generate`)
        when every field below is plain (no resolver, no arguments, no directive, no @defer); None otherwise."""
        return self._memo((object_type,), field_details_list,
                          lambda: self._compile_fresh(object_type, field_details_list))

    def _compile_row(self, object_type: GraphQLObjectType, field_details_list: Any, row_plan: RowPlan) -> Any:
        """The selection of `field_details_list` on `object_type` compiled over the row its objects are built
        from (app/graphql/rows.py, `generate_row`), when every selected field has a source in `row_plan` and
        everything below is compilable; None otherwise (objects are then answered by their attributes)."""
        return self._memo(("row", object_type, id(row_plan)), field_details_list,
                          lambda: self._compile_fresh(object_type, field_details_list, row_plan))

    def _compile_placed(self, object_type: GraphQLObjectType, field_details_list: Any, row_plan: RowPlan) -> Any:
        """The selection compiled over the row and place of a tree's node (app/graphql/rows.py `Placer`,
        `generate_placed`), when every selected field has a source in `row_plan`, the nodes below are of types
        with row plans, and everything is compilable; None otherwise."""
        return self._memo(("placed", object_type, id(row_plan)), field_details_list,
                          lambda: self._compile_fresh(object_type, field_details_list, row_plan, placed=True))

    def _memo(self, kind: tuple[Any, ...], field_details_list: Any, compile_fresh: Any) -> Any:
        """A compiled selection memoized per request like graphql-core's collect_subfields, and shared across
        requests when the operation has no directives. While it compiles (and for good, if it is not
        compilable) the request's memo holds None."""
        key = (*kind, id(field_details_list))
        found = self._compiled.get(key, MISSING)
        if found is not MISSING:
            return found
        shared = self._shared
        shared_key = (*kind, *(id(f.node) for f in field_details_list))
        if shared is not None:
            found = shared.get(shared_key, MISSING)
            if found is not MISSING:
                self._compiled[key] = found
                return found
        self._compiled[key] = None
        found = self._compiled[key] = compile_fresh()
        if shared is not None:
            shared[shared_key] = found
        return found

    def _members(self, plan: Plan, sub_fields: Any) -> dict[type, Any] | None:
        """For an object-valued field, the compiled selection of each class its value may have; None when one
        is not compilable. Objects that may carry a fragment memo (kept across requests, app/fast/cache.py) are
        asked for their answer first, when the function is shared by every request of the operation."""
        if not plan.members:
            return None
        sub: dict[type, Any] = {}
        for cls, member_type in plan.members.items():
            compiled = self._compile(member_type, sub_fields)
            if compiled is None:
                return None
            sub[cls] = memoized(compiled) if self._shared is not None and hasattr(cls, "fragment_memo") else compiled
        return sub

    def _compile_fresh(self, object_type: GraphQLObjectType, field_details_list: Any,
                       row_plan: RowPlan | None = None, placed: bool = False) -> Any:
        """The compiled selection: over the objects' attributes (`generate`, with the same selection over rows,
        and over rows and places, when the type has a row plan), or, given `row_plan`, over their rows
        (`generate_row`: every selected field needs a source in it), or with `placed` over their rows and
        places in a tree (`generate_placed`)."""
        grouped, new_defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        plans = self._plans.fields.get(object_type)
        if new_defer_usages or forbidden or not plans:
            return None
        entries: list[tuple[str, int, Any, Any, Any]] = []
        for response_name, sub_fields in grouped.items():
            node = sub_fields[0].node
            name = node.name.value
            if name == "__typename":
                entries.append((response_name, TYPENAME, object_type.name, None, None))
                continue
            plan = plans.get(name)
            if plan is None or node.directives:
                return None
            source = None if row_plan is None else row_plan.sources.get(plan.attr)
            if isinstance(source, Nested):
                member = plan.members.get(source.plan.cls) if plan.kind == OBJECT else None
                nested = None if member is None else self._compile_row(member, sub_fields, source.plan)
                if nested is None:
                    return None
                entries.append((response_name, NESTED, plan, nested, source))
                continue
            if row_plan is not None and source is None:
                return None
            if placed and isinstance(source, Own) and source.below:
                below = self._below(plan, sub_fields)
                if below is None:
                    return None
                entries.append((response_name, BELOW_LIST if plan.kind == OBJECTS else BELOW_ONE, plan, below, source))
                continue
            sub: dict[type, Any] | None = None
            if plan.kind in (OBJECT, OBJECTS, ABSTRACT) and (sub := self._members(plan, sub_fields)) is None:
                return None
            entries.append((response_name, plan.kind, plan, sub, source))
        if placed:
            return generate_placed(entries)
        if row_plan is not None:
            return generate_row(entries)
        own_plan = getattr(self._plans.origins.get(object_type), "row_plan", None)
        if own_plan is None:
            return generate(entries)
        row_run = self._compile_row(object_type, field_details_list, own_plan)
        placed_run = None  # only nodes of a tree a builder answers (run trees' nodes hold their own places)
        if row_run is not None and any(isinstance(s, Own) and s.below for s in own_plan.sources.values()):
            placed_run = self._compile_placed(object_type, field_details_list, own_plan)
        return generate(entries, row_run, placed_run)

    def _below(self, plan: Plan, sub_fields: Any) -> dict[type, Any] | None:
        """For a `below` field of a tree's node, the placed selection of each class its nodes may have; None
        when a class has no row plan or its selection does not compile."""
        if plan.kind not in (OBJECT, OBJECTS, ABSTRACT) or not plan.members:
            return None
        below: dict[type, Any] = {}
        for cls, member_type in plan.members.items():
            member_plan = getattr(cls, "row_plan", None)
            compiled = None if member_plan is None else self._compile_placed(member_type, sub_fields, member_plan)
            if compiled is None:
                return None
            below[cls] = compiled
        return below

    def collect_and_execute_subfields(self, return_type: GraphQLObjectType, field_details_list: Any, path: Path,
                                      result: Any, position_context: Any) -> Any:
        if self._fast:
            run = self._compile(return_type, field_details_list)
            if run is not None:
                # An object of a cached tree keeps its answers to selections shared across requests
                # (app/fast/cache.py FragmentMemo): the same function on the same unchanging object.
                memo = getattr(result, "fragment_memo", None) if self._shared is not None else None
                if memo is not None:
                    found = memo.get(run)
                    if found is not None:
                        return found
                try:
                    completed = run(result)
                except Exception:  # anything unusual: the stock path below reports it (nothing ran twice)
                    pass
                else:
                    if memo is not None:
                        memo.put(run, completed)
                    return completed
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
