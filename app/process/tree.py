"""A whole process tree, loaded in one batch and assembled in memory (docs/conventions.md, habit 4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class TreeRead(NamedTuple):
    """What one tree read loads. `depth` None: the whole tree (every group, job, tag and generated node,
    every column). Otherwise the client groups from the root (level 0) down to `depth` and the jobs of the
    groups above it, with the created/modified columns only when `stamps`, the tags only when `tags`, and
    the jobs' arguments only when `arguments`: decoding two timestamps and two user ids per row was a sixth of
    the CPU of a 50-tree page that reads neither (issue 7), and decoding the arguments' JSON a twelfth
    (issue 29)."""

    depth: int | None = None
    stamps: bool = True
    tags: bool = True
    arguments: bool = True


def reads_arguments(names: frozenset[str]) -> bool:
    """Whether a tree selection that names `names` (app/graphql/lookahead.py: a job's fields are named as
    `ProcessJob.<field>`, since jobs are only selected in fragments on ProcessJob) needs the jobs' arguments:
    to answer them, or a job's name (the title among them)."""
    return JOB_ARGUMENTS in names or "ProcessJob.name" in names


JOB_ARGUMENTS = "ProcessJob.arguments"


WHOLE = TreeRead()


@dataclass(slots=True)
class TagRow:
    id: str
    category: str
    value: str


@dataclass(slots=True)
class Tree:
    """Rows of one process's groups and jobs, with children ordered by ordinal."""

    process_id: str
    root_id: str | None = None
    groups: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, list[TagRow]] = field(default_factory=dict)
    # group id -> [(is_group, row)] in ordinal order
    children: dict[str, list[tuple[bool, Any]]] = field(default_factory=dict)
    # certification job id -> its generated group row
    generated: dict[str, Any] = field(default_factory=dict)
    # API objects built from this tree, keyed by the caller (built once per request)
    built: dict[Any, Any] = field(default_factory=dict)


def assemble(process_id: str, group_rows: list[Any], job_rows: list[Any], tag_rows: dict[str, list[TagRow]]) -> Tree:
    """Index rows into a Tree; sorting in Python is cheaper than ORDER BY for whole trees."""
    tree = Tree(process_id=process_id, tags=tag_rows)
    children = tree.children
    for g in group_rows:
        tree.groups[g.id] = g
        children.setdefault(g.id, [])
    for g in group_rows:
        if g.parent_group_id is not None:
            children[g.parent_group_id].append((True, g))
        elif g.parent_job_id is not None:
            tree.generated[g.parent_job_id] = g
        else:
            tree.root_id = g.id
    for j in job_rows:
        tree.jobs[j.id] = j
        children[j.parent_group_id].append((False, j))
    for kids in children.values():
        if len(kids) > 1:
            kids.sort(key=_ordinal)
    return tree


def _ordinal(item: tuple[bool, Any]) -> int:
    return int(item[1].ordinal)


GENERATED_LABELS = {
    "certificationSignerGenerated": "Signer",
    "certificationApproverGenerated": "Approver",
    "certificationConditionalApproverGenerated": "Conditional approver",
}


def job_name(action: str, args: dict[str, Any]) -> str:
    """A job's display name: its title, or for a generated certification job what it was generated for."""
    title = args.get("title")
    if title is not None:
        return str(title)
    if action in GENERATED_LABELS:
        return f"{GENERATED_LABELS[action]}: {args.get('user')}"
    return "Phase finalizer" if action == "certificationPhaseFinalizerGenerated" else ""
