"""History of definition writes as JSON Patch operations over a document of the whole process.

Path scheme (documented in the README):
  /<field>                      a process field, by its seed JSON name (`/name`, `/dueDate`,
                                `/calendarIds`, `/defaultCertSignerReminders`, `/trashed`, ...)
  /nodes/<id>                   a whole client-written group or job (add / remove)
  /nodes/<id>/<field>           one field of a node: kind, parentId, ordinal, name, parallel,
                                triggerType, readOnly, dueDate (groups); action, arguments,
                                triggerType, tags (jobs)
Generated certification nodes are not part of the document: they are derived
from their job's arguments and the process's certAutoApprove.
"""

from __future__ import annotations

import copy
from typing import Any

Doc = dict[str, Any]
PatchOperation = dict[str, Any]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def diff(before: Doc | None, after: Doc | None) -> list[PatchOperation]:
    """Operations that turn `before` into `after` (whole document when either side is None)."""
    if before is None or after is None:
        return [] if before == after else [{"op": "replace", "path": "", "value": copy.deepcopy(after)}]
    ops: list[PatchOperation] = []
    for key in sorted(set(before) | set(after)):
        if key == "nodes":
            continue
        if key not in after:
            ops.append({"op": "remove", "path": f"/{_escape(key)}"})
        elif key not in before:
            ops.append({"op": "add", "path": f"/{_escape(key)}", "value": copy.deepcopy(after[key])})
        elif before[key] != after[key]:
            ops.append({"op": "replace", "path": f"/{_escape(key)}", "value": copy.deepcopy(after[key])})
    old_nodes: dict[str, Any] = before.get("nodes", {})
    new_nodes: dict[str, Any] = after.get("nodes", {})
    for node_id in sorted(set(old_nodes) - set(new_nodes)):
        ops.append({"op": "remove", "path": f"/nodes/{node_id}"})
    for node_id in sorted(set(new_nodes) - set(old_nodes)):
        ops.append({"op": "add", "path": f"/nodes/{node_id}", "value": copy.deepcopy(new_nodes[node_id])})
    for node_id in sorted(set(old_nodes) & set(new_nodes)):
        old, new = old_nodes[node_id], new_nodes[node_id]
        for field in sorted(set(old) | set(new)):
            if old.get(field) != new.get(field) or (field in old) != (field in new):
                if field not in new:
                    ops.append({"op": "remove", "path": f"/nodes/{node_id}/{_escape(field)}"})
                else:
                    op = "replace" if field in old else "add"
                    ops.append({"op": op, "path": f"/nodes/{node_id}/{_escape(field)}",
                                "value": copy.deepcopy(new[field])})
    return ops


def apply(doc: Doc | None, ops: list[PatchOperation]) -> Doc | None:
    """Apply operations of this scheme (add, remove, replace on objects) to a copy of `doc`."""
    return apply_in_place(copy.deepcopy(doc), ops)


def replay(patches: list[list[PatchOperation]], doc: Doc | None = None) -> Doc | None:
    """The document after applying each patch in turn to `doc` (copied once, not once per patch)."""
    result = copy.deepcopy(doc)
    for ops in patches:
        result = apply_in_place(result, ops)
    return result


def apply_in_place(doc: Doc | None, ops: list[PatchOperation]) -> Doc | None:
    """Apply operations to `doc` itself (values are copied in); the result (a new object for path ``)."""
    result = doc
    for op in ops:
        path = op["path"]
        if path == "":
            result = copy.deepcopy(op.get("value"))
            continue
        if result is None:
            raise ValueError(f"cannot apply {op['op']} {path} to an empty document")
        *parents, last = [_unescape(t) for t in path.split("/")[1:]]
        target: Any = result
        for token in parents:
            target = target[token]
        if op["op"] == "remove":
            del target[last]
        elif op["op"] in ("add", "replace"):
            if op["op"] == "replace" and last not in target:
                raise ValueError(f"replace of missing {path}")
            target[last] = copy.deepcopy(op["value"])
        else:
            raise ValueError(f"unsupported op {op['op']}")
    return result
