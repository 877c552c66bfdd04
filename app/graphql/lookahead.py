"""Look-ahead into a field's selection: which field names it asks for below, and how deeply it nests.

Whole trees are loaded in one batch, but building an API object for every node costs time that a query
reading two levels of a 170-node tree does not need. A tree resolver asks `lookahead(info, nesting)` once
per request and field and builds only the levels and the optional parts the selection can reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


@dataclass(frozen=True, slots=True)
class Needs:
    """`depth`: how many nested `nesting` fields any path of the selection holds; `names`: every field name
    selected anywhere below (fragments followed), a superset of what will be read."""

    depth: int
    names: frozenset[str]


def _walk(selection_set: SelectionSetNode | None, fragments: dict[str, Any], nesting: frozenset[str],
          names: set[str], memo: dict[str, int]) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            name = sel.name.value
            names.add(name)
            below = _walk(sel.selection_set, fragments, nesting, names, memo)
            deepest = max(deepest, below + 1 if name in nesting else below)
        elif isinstance(sel, InlineFragmentNode):
            deepest = max(deepest, _walk(sel.selection_set, fragments, nesting, names, memo))
        elif isinstance(sel, FragmentSpreadNode):
            key = sel.name.value
            if key not in memo:
                memo[key] = 0  # validation rejects cycles; this only guards the walk
                fragment = fragments.get(key)
                memo[key] = _walk(fragment.selection_set if fragment else None, fragments, nesting, names, memo)
            deepest = max(deepest, memo[key])
    return deepest


def lookahead(info: Any, nesting: frozenset[str]) -> Needs:
    """What the current field's selection needs, cached per request and field node."""
    raw = info._raw_info
    cache = info.context.loaders.built
    key = ("lookahead", id(raw.field_nodes[0]), nesting)
    found = cache.get(key)
    if found is None:
        names: set[str] = set()
        memo: dict[str, int] = {}
        depth = 0
        for node in raw.field_nodes:
            depth = max(depth, _walk(node.selection_set, raw.fragments, nesting, names, memo))
        found = cache[key] = Needs(depth=depth, names=frozenset(names))
    return found  # type: ignore[no-any-return]
