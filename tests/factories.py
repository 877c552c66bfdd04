"""Inputs for creating processes, and a reader that rebuilds a tree from `Process.nodes`."""

from __future__ import annotations

import itertools
from typing import Any

CREATE = """
mutation Create($input: ProcessCreateInput!) {
  processCreate(input: $input) {
    clientMutationId
    errors { code message target meta details { code message target } }
    process { id name revision }
  }
}
"""

NODE_FIELDS = """
  __typename
  ... on ProcessGroup { id parentId parent ordinal name parallel triggerType readOnly dueDate revision }
  ... on ProcessJob {
    id parentId parent ordinal name action triggerType readOnly revision
    tags { category value }
    arguments {
      __typename
      ... on SendTaskArgs { title instructions assignee approver dueDate approverDueDate document }
      ... on ContentRequestArgs { title instructions assignee approver document section dueDate }
      ... on CertificationArgs { title document dueDate signerSteps { mode users } approverSteps { mode users } }
      ... on GeneratedCertificationArgs { certificationStep user certificationJob }
    }
  }
"""

READ_TREE = f"""
query Read($id: ID!, $exclude: Boolean! = false) {{
  process(id: $id, excludeGeneratedJobs: $exclude) {{
    id name revision autoClose certAutoApprove relativeDates dueDate
    created {{ dateTime user {{ id }} }}
    modified {{ dateTime user {{ id }} }}
    root {{ id }}
    nodes {{ {NODE_FIELDS} }}
  }}
}}
"""

_counter = itertools.count()


def job(i: int) -> dict[str, Any]:
    """A client job; the action cycles through sendTask, contentRequest and certification."""
    kind = i % 3
    args: dict[str, Any]
    tags = [{"category": "area", "value": f"a{i % 5}"}] if i % 2 == 0 else []
    if kind == 0:
        args = {"sendTask": {"title": f"Task {i}", "instructions": "Do it", "assignee": "user-a",
                             "dueDate": "2025-01-15"}}
    elif kind == 1:
        args = {"contentRequest": {"title": f"Content {i}", "assignee": "user-b", "document": "doc-1",
                                   "section": "sec-2"}}
    else:
        args = {"certification": {"title": f"Cert {i}", "document": "letter",
                                  "signerSteps": [{"mode": "EVERYONE", "users": ["s1", "s2"]}],
                                  "approverSteps": [{"mode": "SOMEONE", "users": ["a1"]}]}}
    return {"job": {"arguments": args, "triggerType": "MANUAL" if i % 4 == 0 else "WHEN_ELIGIBLE", "tags": tags}}


def tree(nodes: int, *, fanout: int = 9, certifications: bool = True) -> dict[str, Any]:
    """A root group with exactly `nodes` groups and jobs below it, several levels deep."""
    root: dict[str, Any] = {"name": "Root", "parallel": False, "children": []}
    made = 0
    frontier = [root]
    while made < nodes:
        next_frontier: list[dict[str, Any]] = []
        for parent in frontier:
            for k in range(fanout):
                if made >= nodes:
                    break
                made += 1
                if k % 3 == 0 and made < nodes:
                    group = {"name": f"Group {made}", "parallel": made % 2 == 0, "children": []}
                    parent["children"].append({"group": group})
                    next_frontier.append(group)
                else:
                    parent["children"].append(job(made if certifications or made % 3 != 2 else made + 1))
        frontier = next_frontier or frontier
    return root


def process_input(name: str | None = None, *, nodes: int = 10, **fields: Any) -> dict[str, Any]:
    return {"name": name or f"Process {next(_counter)}", "root": tree(nodes), **fields}


def normalize_input(group: dict[str, Any]) -> dict[str, Any]:
    """The input tree with defaults filled in, comparable with `rebuild` output."""
    out = {"name": group["name"], "parallel": group.get("parallel", False),
           "triggerType": group.get("triggerType", "WHEN_ELIGIBLE"), "readOnly": group.get("readOnly", False),
           "dueDate": group.get("dueDate"), "children": []}
    for child in group.get("children", []):
        if "group" in child:
            out["children"].append({"group": normalize_input(child["group"])})
        else:
            j = child["job"]
            ((action, args),) = j["arguments"].items()
            out["children"].append({"job": {"action": action, "arguments": dict(args),
                                            "triggerType": j.get("triggerType", "WHEN_ELIGIBLE"),
                                            "tags": j.get("tags", [])}})
    return out


_ACTION_KEYS = {"SEND_TASK": "sendTask", "CONTENT_REQUEST": "contentRequest", "CERTIFICATION": "certification"}


def rebuild(nodes: list[dict[str, Any]], root_id: str) -> dict[str, Any]:
    """Rebuild the client-written tree from the flat node list (generated nodes left out)."""
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for n in nodes:
        by_parent.setdefault(n["parentId"], []).append(n)
    for kids in by_parent.values():
        kids.sort(key=lambda n: n["ordinal"])
        assert [k["ordinal"] for k in kids] == list(range(len(kids))), "ordinals are dense 0..n-1"

    def group(n: dict[str, Any]) -> dict[str, Any]:
        out = {k: n[k] for k in ("name", "parallel", "triggerType", "readOnly", "dueDate")}
        out["children"] = []
        for c in by_parent.get(n["id"], []):
            if c["__typename"] == "ProcessGroup":
                out["children"].append({"group": group(c)})
            elif c["action"] in _ACTION_KEYS:
                args = {k: v for k, v in c["arguments"].items() if v not in (None, []) and k != "__typename"}
                out["children"].append({"job": {"action": _ACTION_KEYS[c["action"]], "arguments": args,
                                                "triggerType": c["triggerType"], "tags": c["tags"]}})
        return out

    (root,) = [n for n in nodes if n["id"] == root_id]
    return group(root)
