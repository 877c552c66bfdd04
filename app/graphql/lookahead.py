"""Look-ahead into a field's selection: which field names it asks for below, and how deeply it nests.

Whole trees are loaded in one batch, but building an API object for every node costs time that a query
reading two levels of a 170-node tree does not need. A tree resolver asks `lookahead(info, nesting)` once
per request and field and builds only the levels and the optional parts the selection can reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from app.adapters.strawberry import resolve_info


@dataclass(frozen=True, slots=True)
class Needs:
    """`depth`: how many nested `nesting` fields any path of the selection holds; `names`: every field name
    selected anywhere below (fragments followed), a superset of what will be read, and, for a field selected
    directly in a fragment on a type, also `Type.field` (e.g. `ProcessJob.name`: the only way to select a
    field of a member of a union)."""

    depth: int
    names: frozenset[str]


def _walk(selection_set: SelectionSetNode | None, fragments: dict[str, Any], nesting: frozenset[str],
          names: set[str], memo: dict[str, int], on: str | None = None) -> int:
    """`on`: the type condition of the fragment `selection_set` is directly in, if any."""
    if selection_set is None:
        return 0
    deepest = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            name = sel.name.value
            names.add(name)
            if on is not None:
                names.add(f"{on}.{name}")
            below = _walk(sel.selection_set, fragments, nesting, names, memo)
            deepest = max(deepest, below + 1 if name in nesting else below)
        elif isinstance(sel, InlineFragmentNode):
            condition = sel.type_condition.name.value if sel.type_condition is not None else on
            deepest = max(deepest, _walk(sel.selection_set, fragments, nesting, names, memo, condition))
        elif isinstance(sel, FragmentSpreadNode):
            key = sel.name.value
            if key not in memo:
                memo[key] = 0  # validation rejects cycles; this only guards the walk
                fragment = fragments.get(key)
                memo[key] = _walk(fragment.selection_set if fragment else None, fragments, nesting, names, memo,
                                  fragment.type_condition.name.value if fragment else None)
            deepest = max(deepest, memo[key])
    return deepest


def _needs(nodes: list[FieldNode], fragments: dict[str, Any], nesting: frozenset[str]) -> Needs:
    names: set[str] = set()
    memo: dict[str, int] = {}
    depth = 0
    for node in nodes:
        depth = max(depth, _walk(node.selection_set, fragments, nesting, names, memo))
    return Needs(depth=depth, names=frozenset(names))


def lookahead(info: Any, nesting: frozenset[str]) -> Needs:
    """What the current field's selection needs, cached per request and field node."""
    raw = resolve_info(info)
    cache = info.context.loaders.built
    key = ("lookahead", id(raw.field_nodes[0]), nesting)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _needs(raw.field_nodes, raw.fragments, nesting)
    return found  # type: ignore[no-any-return]


def _fields_named(selection_set: SelectionSetNode | None, fragments: dict[str, Any], name: str,
                  found: list[FieldNode], seen: set[str]) -> None:
    """The fields called `name` directly in `selection_set` (aliases included, fragments followed)."""
    if selection_set is None:
        return
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            if sel.name.value == name:
                found.append(sel)
        elif isinstance(sel, InlineFragmentNode):
            _fields_named(sel.selection_set, fragments, name, found, seen)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
            seen.add(sel.name.value)
            fragment = fragments.get(sel.name.value)
            _fields_named(fragment.selection_set if fragment else None, fragments, name, found, seen)


def lookahead_at(info: Any, path: tuple[str, ...], nesting: frozenset[str]) -> Needs | None:
    """What the selection needs at `path` below the current field (field names, e.g. `("edges", "node",
    "process", "root")`; every alias of each is followed, and @skip/@include are not evaluated), or None
    when nothing is selected there. A list resolver uses it to load, in one batch, what its items' fields
    will ask for; the answer is a superset, so it may load more than is read, never less."""
    raw = resolve_info(info)
    cache = info.context.loaders.built
    key = ("lookahead_at", id(raw.field_nodes[0]), path, nesting)
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        below: list[FieldNode] = []
        for node in nodes:
            _fields_named(node.selection_set, raw.fragments, name, below, set())
        nodes = below
    found = cache[key] = _needs(nodes, raw.fragments, nesting) if nodes else None
    return found
