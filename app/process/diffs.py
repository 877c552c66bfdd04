"""What changed between two states of a process, in words: nodes added, removed, renamed, moved and changed,
and process fields changed. Pure functions over history documents (app/process/history.py)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from app.process.history import Doc

# Document keys that are not process fields a person edits: the tree, and the root's id (it never changes).
_NOT_FIELDS = frozenset({"nodes", "rootId"})
# A node's fields that are its place or its name, reported as a move or a rename rather than as a change.
_PLACE = frozenset({"parentId", "ordinal", "name", "kind"})


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A node added or removed: its id, kind, name and parent in the state where it exists."""

    id: str
    kind: str
    name: str | None
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class Rename:
    id: str
    kind: str
    old_name: str | None
    new_name: str | None


@dataclass(frozen=True, slots=True)
class Move:
    """A node under another parent, or out of order among the siblings it kept."""

    id: str
    kind: str
    name: str | None
    old_parent_id: str | None
    new_parent_id: str | None
    old_ordinal: int
    new_ordinal: int


@dataclass(frozen=True, slots=True)
class NodeChange:
    """A node whose other fields changed (seed JSON names: triggerType, arguments, tags, readOnly, ...)."""

    id: str
    kind: str
    name: str | None
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(slots=True)
class Summary:
    added: list[NodeRef] = field(default_factory=list)
    removed: list[NodeRef] = field(default_factory=list)
    renamed: list[Rename] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    changed: list[NodeChange] = field(default_factory=list)
    process_fields: list[FieldChange] = field(default_factory=list)


def node_name(node: dict[str, Any]) -> str | None:
    """A group's name, a job's title (a job's name is the title of its arguments)."""
    if node["kind"] == "group":
        return node.get("name")
    title = (node.get("arguments") or {}).get("title")
    return title if isinstance(title, str) else None


def _comparable(node: dict[str, Any]) -> dict[str, Any]:
    """A node's fields other than its place and name (a job's arguments without the title)."""
    out = {k: v for k, v in node.items() if k not in _PLACE}
    if node["kind"] == "job":
        out["arguments"] = {k: v for k, v in (node.get("arguments") or {}).items() if k != "title"}
    return out


def _out_of_order(old_ordinals: list[int]) -> set[int]:
    """Indexes outside one longest increasing run of `old_ordinals`: the fewest siblings that moved."""
    tails: list[int] = []
    tail_index: list[int] = []
    previous = [-1] * len(old_ordinals)
    for i, value in enumerate(old_ordinals):
        at = bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[at], tail_index[at] = value, i
        previous[i] = tail_index[at - 1] if at > 0 else -1
    kept: set[int] = set()
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        kept.add(i)
        i = previous[i]
    return set(range(len(old_ordinals))) - kept


def summarize(before: Doc | None, after: Doc | None) -> Summary:
    """The readable form of the change from `before` to `after` (each list in id order)."""
    out = Summary()
    old_doc, new_doc = before or {}, after or {}
    for key in sorted((set(old_doc) | set(new_doc)) - _NOT_FIELDS):
        if old_doc.get(key) != new_doc.get(key):
            out.process_fields.append(FieldChange(key, old_doc.get(key), new_doc.get(key)))
    old_nodes: dict[str, Any] = old_doc.get("nodes", {})
    new_nodes: dict[str, Any] = new_doc.get("nodes", {})
    for node_id in sorted(set(new_nodes) - set(old_nodes)):
        node = new_nodes[node_id]
        out.added.append(NodeRef(node_id, node["kind"], node_name(node), node["parentId"]))
    for node_id in sorted(set(old_nodes) - set(new_nodes)):
        node = old_nodes[node_id]
        out.removed.append(NodeRef(node_id, node["kind"], node_name(node), node["parentId"]))
    kept = sorted(set(old_nodes) & set(new_nodes))
    moved: set[str] = {n for n in kept if old_nodes[n]["parentId"] != new_nodes[n]["parentId"]}
    stayed: dict[str | None, list[str]] = {}
    for node_id in kept:
        if node_id not in moved:
            stayed.setdefault(new_nodes[node_id]["parentId"], []).append(node_id)
    for siblings in stayed.values():
        siblings.sort(key=lambda n: new_nodes[n]["ordinal"])
        moved.update(siblings[i] for i in _out_of_order([old_nodes[n]["ordinal"] for n in siblings]))
    for node_id in kept:
        old, new = old_nodes[node_id], new_nodes[node_id]
        name = node_name(new)
        if node_name(old) != name:
            out.renamed.append(Rename(node_id, new["kind"], node_name(old), name))
        if node_id in moved:
            out.moved.append(Move(node_id, new["kind"], name, old["parentId"], new["parentId"], old["ordinal"],
                                  new["ordinal"]))
        old_fields, new_fields = _comparable(old), _comparable(new)
        fields = tuple(sorted(k for k in set(old_fields) | set(new_fields) if old_fields.get(k) != new_fields.get(k)))
        if fields:
            out.changed.append(NodeChange(node_id, new["kind"], name, fields))
    return out
