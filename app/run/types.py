"""GraphQL types of process runs: the run, its run-time tree, its events, summaries."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.types import Action, User
from app.graphql.context import Info
from app.graphql.executor import FragmentMemo
from app.graphql.lookahead import lookahead
from app.graphql.node import Node
from app.graphql.pagination import PageInfo, decode_int_cursor, encode_cursor, page_size
from app.graphql.rows import OWN_FIELD, Col, Computed, RowBacked, RowPlan
from app.graphql.scalars import utc
from app.process import limits
from app.process.dataloaders import ProcessByIdLoader
from app.process.enums import JobAction, TriggerType
from app.process.tree import job_name
from app.process.tree_types import JobArguments, arguments_from_json
from app.run.dataloaders import (
    LastCommentLoader,
    RunByIdLoader,
)
from app.run.due import is_overdue
from app.run.models import STATUSES
from app.run.trees import run_tree, status_counts

if TYPE_CHECKING:
    from app.notify.types import NotificationConnection
    from app.process.types import Process


@strawberry.enum(description="The general execution status of a run, group run or job run.")
class RunStatus(Enum):
    WAITING = strawberry.enum_value("waiting", description="Not started (seed `waiting`).")
    RUNNING = strawberry.enum_value("running", description="Started and not settled (seed `running`).")
    CANCELLING = strawberry.enum_value("cancelling", description="Being cancelled (seed `cancelling`).")
    COMPLETE = strawberry.enum_value("complete", description="Done (seed `complete`).")
    CANCELLED = strawberry.enum_value("cancelled", description="Cancelled (seed `cancelled`).")
    ERROR = strawberry.enum_value("error", description="Cannot start: a person is not an active user (seed `error`).")
    ERROR_HOLD = strawberry.enum_value("errorHold", description="Held by a job run in error below (seed `errorHold`).")


@strawberry.enum(description="What a job run's action is waiting for.")
class ActionStatus(Enum):
    WAITING = strawberry.enum_value("waiting", description="Not sent yet (seed `waiting`).")
    SENT = strawberry.enum_value("sent", description="With its assignee or signer (seed `sent`).")
    APPROVAL = strawberry.enum_value("approval", description="With its approver (seed `approval`).")
    RETURNED = strawberry.enum_value("returned", description="Returned by the approver (seed `returned`).")
    COMPLETE = strawberry.enum_value("complete", description="Done (seed `complete`).")
    SKIPPED = strawberry.enum_value("skipped", description="Skipped by the manager (seed `skipped`).")
    CANCELLED = strawberry.enum_value("cancelled", description="Cancelled (seed `cancelled`).")


@strawberry.type(description="How many job runs have one status.")
class StatusCount:
    status: RunStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many job runs below have it.")


def counts(statuses: dict[str, int]) -> list[StatusCount]:
    """All seven statuses in enum order, zeros included."""
    return [_status_count(s, statuses.get(s, 0)) for s in STATUSES]


_STATUS_COUNTS: dict[tuple[str, int], StatusCount] = {}


def _status_count(status: str, count: int) -> StatusCount:
    # Shared, never changed once made: every group run of a tree holds seven, and cached trees keep them.
    found = _STATUS_COUNTS.get((status, count))
    if found is None:
        if len(_STATUS_COUNTS) >= 100_000:
            _STATUS_COUNTS.clear()
        found = _STATUS_COUNTS[(status, count)] = StatusCount(status=status, count=count)  # type: ignore[arg-type]
    return found


@strawberry.type(description="One transition of a run, group run or job run (docs/runs.md, rule 13: every transition is recorded).")
class RunEvent:
    sequence: int = strawberry.field(description="Per-run sequence number: 1, 2, 3, ... without gaps.")
    node_id: strawberry.ID = strawberry.field(description="The run, group run or job run that changed.")
    node_kind: str = strawberry.field(description="`run`, `group` or `job`.")
    field: str = strawberry.field(description="`status` or `actionStatus`.")
    from_value: str | None = strawberry.field(description="The value before, in the seed's spelling.")
    to_value: str = strawberry.field(description="The value after, in the seed's spelling.")
    user: User | None = strawberry.field(description="Who caused it.")
    at: datetime = strawberry.field(description="When, in UTC.")
    comment: str | None = strawberry.field(description="The comment given with the action, if any.")

    @classmethod
    def from_row(cls, r: Any) -> RunEvent:
        return cls(sequence=r.seq, node_id=r.node_id, node_kind=r.node_kind, field=r.field, from_value=r.from_value,
                   to_value=r.to_value, user=None if r.user_id is None else User(id=r.user_id), at=utc(r.at),
                   comment=r.comment)


@strawberry.type(description="An edge of a run's events.")
class RunEventEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this event; pass it as `after`.")
    node: RunEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of a run's events, in sequence order.")
class RunEventConnection:
    edges: list[RunEventEdge] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")


@strawberry.type(description="The run-time state of a group.")
class GroupRun(Node, RowBacked):
    id: strawberry.ID = strawberry.field(description="The group run's id.")
    name: str = strawberry.field(description="The group's name when the run started.")
    status: RunStatus = strawberry.field(description="The group run's status.")
    parallel: bool = strawberry.field(description="Whether children run together.")
    trigger_type: TriggerType = strawberry.field(description="What starts it once eligible.")
    eligible_to_start: bool = strawberry.field(description="True while a manual group waits for the manager to start it.")
    children_eligible_to_start_count: int = strawberry.field(description="How many children wait, eligible, for the manager.")
    status_counts: list[StatusCount] = strawberry.field(description="Job runs below by status: all seven, zeros included.")
    due_date: date | None = strawberry.field(description="The due date, moved with the run when dates are relative.")
    ordinal: int = strawberry.field(description="Position within its parent group run.")
    parent_id: strawberry.ID | None = strawberry.field(description="The parent group run (or certification job run).")
    source_group_id: strawberry.ID = strawberry.field(description="The id of the definition group it was copied from.")
    revision: int = strawberry.field(description="Incremented with every change of this group run.")
    children: list[Annotated[GroupRun | JobRun, strawberry.union(
        "GroupRunChild", description="A child of a group run: a group run or a job run.")]] = strawberry.field(
        description="Children in ordinal order.")
    # On the root of a run tree in the shared cache: its answers to compiled selections (app/fast/cache.py).
    fragment_memo: strawberry.Private[FragmentMemo | None] = None


@strawberry.type(description="The run-time state of a job, with its own copy of the arguments.")
class JobRun(Node, RowBacked):
    id: strawberry.ID = strawberry.field(description="The job run's id.")
    run_id: strawberry.ID = strawberry.field(description="The id of the run this job run belongs to.")
    name: str = strawberry.field(description="The job's name (its title).")
    action: JobAction = strawberry.field(description="The job's action.")
    status: RunStatus = strawberry.field(description="The general status.")
    action_status: ActionStatus = strawberry.field(description="The action status.")
    eligible_to_start: bool = strawberry.field(description="True while a manual job waits for the manager to start it.")
    arguments: JobArguments = strawberry.field(description="The run's copy of the arguments (the manager may edit it).")
    trigger_type: TriggerType = strawberry.field(description="What starts it once eligible.")
    ordinal: int = strawberry.field(description="Position within its parent group run.")
    parent_id: strawberry.ID | None = strawberry.field(description="The parent group run; never null on a job run.")
    source_job_id: strawberry.ID | None = strawberry.field(
        description="The definition job it was copied from; null for job runs added to a running run.")
    exception: bool = strawberry.field(description="On a certification signer: whether an exception was reported.")
    comment: str | None = strawberry.field(description="The last comment given on this job run, if any.")
    revision: int = strawberry.field(description="Incremented with every change; pass it as `expectedRevision`.")
    generated: GroupRun | None = strawberry.field(description="On a certification job run: its generated group run.")
    due_date: date | None = strawberry.field(
        default=None, description="When the person it waits for is due: the approver due date (or else the due date) "
        "while in approval, the certification's due date on generated signer and approver job runs, the due date "
        "otherwise.")

    @strawberry.field(description="True when the job run is past its due date (the due date has ended in UTC) and not "
                      "settled (neither complete nor cancelled).")
    def overdue(self, info: Info) -> bool:
        status = str(getattr(self.status, "value", self.status))
        return is_overdue(self.due_date, status, info.context.settings.clock.now().date())

    @strawberry.field(description="The latest event of this job run that carries a comment (a submit, an approval, a "
                      "return, a cancellation...): the comment, who gave it and when; null while none has. What an "
                      "inbox shows beside returned or submitted work.")
    async def last_comment(self, info: Info) -> RunEvent | None:
        row = await info.context.loaders.get(LastCommentLoader).load((str(self.run_id), str(self.id)))
        return None if row is None else RunEvent.from_row(row)

    @strawberry.field(description="The run this job run belongs to, as a summary (what an inbox row shows beside the "
                      "task); null when the run is not visible.")
    async def run(self, info: Info) -> ProcessRunSummary | None:
        row = await info.context.loaders.get(RunByIdLoader).load(str(self.run_id))
        return None if row is None else ProcessRunSummary.from_row(row)


GROUP_RUN_ROWS = RowPlan(GroupRun, {
    **{name: Col(name) for name in ("id", "name", "status", "parallel", "trigger_type", "eligible_to_start",
                                    "due_date", "ordinal", "source_group_id", "revision")},
    **dict.fromkeys(("children_eligible_to_start_count", "status_counts", "parent_id", "children"), OWN_FIELD),
})
"""A group run's fields from its row; its place in the tree (parent, children, their tallies) from the builder."""

JOB_RUN_ROWS = RowPlan(JobRun, {
    **{name: Col(name) for name in ("id", "run_id", "action", "status", "action_status", "eligible_to_start",
                                    "trigger_type", "ordinal", "exception", "comment", "revision", "due_date")},
    "name": Computed(lambda row: job_name(row.action, row.arguments)),
    "arguments": Computed(lambda row: arguments_from_json(row.action, row.arguments)),
    "source_job_id": Computed(lambda row: row.source_job_id or None),
    "parent_id": OWN_FIELD, "generated": OWN_FIELD,
})
"""A job run's fields from its row (the arguments decoded only when something reads them); its parent and
generated group run from the builder."""


def build_run_tree(run_id: str, root_id: str, groups: list[Any], jobs: list[Any], *, exclude_generated: bool
                   ) -> tuple[GroupRun, list[GroupRun | JobRun], dict[str, int]]:
    """API objects of a whole run tree, its flat node list and the run's status counts."""
    kids: dict[str | None, list[tuple[bool, Any]]] = {}
    gen: dict[str, Any] = {}
    for g in groups:
        if g.parent_job_run_id is not None:
            gen[g.parent_job_run_id] = g
        else:
            kids.setdefault(g.parent_group_run_id, []).append((True, g))
    for j in jobs:
        kids.setdefault(j.parent_group_run_id, []).append((False, j))
    for v in kids.values():
        v.sort(key=lambda item: item[1].ordinal)
    by_id = {g.id: g for g in groups}
    builder = _RunTreeBuilder(kids, gen, exclude_generated)
    root, total = builder.group(by_id[root_id], None)
    return root, builder.nodes, total


class _RunTreeBuilder:
    """Builds one run tree's API objects (a class: nested recursive functions would form a reference cycle
    that keeps the request's rows alive until the cyclic collector runs)."""

    __slots__ = ("exclude_generated", "gen", "kids", "nodes")

    def __init__(self, kids: dict[str | None, list[tuple[bool, Any]]], gen: dict[str, Any],
                 exclude_generated: bool) -> None:
        self.kids, self.gen, self.exclude_generated = kids, gen, exclude_generated
        self.nodes: list[GroupRun | JobRun] = []

    def group(self, row: Any, parent_id: str | None) -> tuple[GroupRun, dict[str, int]]:
        # Holding its row: a compiled selection answers from the row (app/graphql/rows.py).
        children: list[GroupRun | JobRun] = []
        obj: GroupRun = GROUP_RUN_ROWS.lazy(row, children_eligible_to_start_count=0, status_counts=[],
                                            parent_id=None if parent_id is None else strawberry.ID(parent_id),
                                            children=children)
        self.nodes.append(obj)
        tally: dict[str, int] = {}
        eligible = 0
        for is_group, child in self.kids.get(row.id, []):
            sub: dict[str, int]
            if is_group:
                c, sub = self.group(child, row.id)
                children.append(c)
            else:
                cj, sub = self.job(child, row.id)
                children.append(cj)
            eligible += int(child.eligible_to_start)
            for k, v in sub.items():
                tally[k] = tally.get(k, 0) + v
        obj.children_eligible_to_start_count = eligible
        obj.status_counts = counts(tally)
        return obj, tally

    def job(self, row: Any, parent_id: str) -> tuple[JobRun, dict[str, int]]:
        obj: JobRun = JOB_RUN_ROWS.lazy(row, parent_id=strawberry.ID(parent_id), generated=None)
        self.nodes.append(obj)
        tally = {row.status: 1}
        g = self.gen.get(row.id)
        if g is not None:
            if self.exclude_generated:
                sub = self.tally_only(g)
            else:
                obj.generated, sub = self.group(g, row.id)
            for k, v in sub.items():
                tally[k] = tally.get(k, 0) + v
        return obj, tally

    def tally_only(self, row: Any) -> dict[str, int]:
        """Statuses of the job runs under a hidden generated group: counts include them all the same."""
        tally: dict[str, int] = {}
        for is_group, child in self.kids.get(row.id, []):
            for k, v in (self.tally_only(child) if is_group else {child.status: 1}).items():
                tally[k] = tally.get(k, 0) + v
        return tally


RUN_NESTING = frozenset({"children", "generated"})


async def status_counts_of(info: Info, row: Any, *, from_tree: bool = False) -> list[StatusCount]:
    return counts(await status_counts(info.context.loaders, row, from_tree=from_tree))


_FIRST = "How many rows: default 100, at most 1000 (more is refused with LIMIT_EXCEEDED)."


@strawberry.type(description="A run of a process, with its run-time tree.")
class ProcessRun(Node):
    id: strawberry.ID = strawberry.field(description="The run's id.")
    name: str = strawberry.field(description="The process's name when the run started.")
    process: str = strawberry.field(description="The id of the process that was started (stays after trash or purge).")
    manager_user: str = strawberry.field(description="The user id of the manager (who started it).")
    manager: User = strawberry.field(description="The manager.")
    status: RunStatus = strawberry.field(description="The run's status.")
    due_date: date | None = strawberry.field(description="The process due date, moved with the run when relative.")
    completed_date: datetime | None = strawberry.field(description="When the run completed (closed).")
    revision: int = strawberry.field(description="Incremented with every change of the run itself.")
    created: Action = strawberry.field(description="Who started the run, and when.")
    modified: Action = strawberry.field(description="Who last changed the run, and when.")
    _row: strawberry.Private[Any] = None
    _exclude_generated: strawberry.Private[bool] = False
    # Set by a resolver whose selection also reads the run tree (`root` or `nodes`): see `status_counts`.
    _reads_tree: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: Any, *, exclude_generated: bool = False) -> ProcessRun:
        return cls(id=row.id, name=row.name, process=row.process_id, manager_user=row.manager_user_id,
                   manager=User(id=row.manager_user_id), status=row.status, due_date=row.due_date,
                   completed_date=None if row.completed_date is None else utc(row.completed_date),
                   revision=row.revision,
                   created=Action(date_time=utc(row.created_at), user=User(id=row.created_by)),
                   modified=Action(date_time=utc(row.modified_at), user=User(id=row.modified_by)),
                   _row=row, _exclude_generated=exclude_generated)

    async def _tree(self, info: Info, *, generated: bool = True
                    ) -> tuple[GroupRun, list[GroupRun | JobRun], dict[str, int]]:
        """The run tree's API objects; without the generated nodes' objects when not `generated` (a selection
        that never reaches them: the same answers for a third fewer objects on certification-heavy trees)."""
        run_id, root_id = str(self.id), self._row.root_group_run_id
        exclude = self._exclude_generated or not generated
        return await run_tree(info.context.loaders, self._row, exclude, lambda groups, jobs: build_run_tree(
            run_id, root_id, groups, jobs, exclude_generated=exclude))

    @strawberry.field(description=f"The root group run with the whole run tree (weighs {limits.MAX_TREE_NODES} in cost).")
    async def root(self, info: Info) -> GroupRun:
        return (await self._tree(info, generated="generated" in lookahead(info, RUN_NESTING).names))[0]

    @strawberry.field(description="Every group run and job run as a flat list, each with `parentId` and `ordinal`.")
    async def nodes(self, info: Info) -> list[Annotated[GroupRun | JobRun, strawberry.union(
            "RunTreeNode", description="A node of a run tree.")]]:
        return (await self._tree(info))[1]

    @strawberry.field(description="Job runs by status: all seven statuses in enum order, zeros included.")
    async def status_counts(self, info: Info) -> list[StatusCount]:
        return await status_counts_of(info, self._row, from_tree=self._reads_tree)

    @strawberry.field(description="The definition this run was started from; null once it is trashed or purged.")
    async def definition(self, info: Info) -> Annotated[Process, strawberry.lazy("app.process.types")] | None:
        from app.process.types import Process

        row = await info.context.loaders.get(ProcessByIdLoader).load(self._row.process_id)
        return None if row is None else Process.from_row(row)

    @strawberry.field(description="The run's events in sequence order (default 100, at most 1000 per page).")
    async def events(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description="Events after this cursor.")] = None,
    ) -> RunEventConnection:
        from app.run import service

        settings = info.context.settings
        size = page_size(first, default=settings.default_page_size, maximum=settings.max_page_size)
        after_seq = 0 if after is None else decode_int_cursor(after, "events")
        async with info.context.engine.connect() as conn:
            rows = await service.events_page(conn, run_id=str(self.id), first=size, after_seq=after_seq)
        edges = [RunEventEdge(cursor=encode_cursor("events", [r.seq]), node=RunEvent.from_row(r)) for r in rows[:size]]
        return RunEventConnection(edges=edges, page_info=PageInfo.of(edges, has_next=len(rows) > size, after=after))

    @strawberry.field(description="Every notification about this run (all recipients), newest first, each with its "
                      "e-mail delivery state (default 100, at most 1000 per page). Only the run's manager reads them; "
                      "for anyone else the list is empty.")
    async def notifications(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description="Notifications after this cursor.")] = None,
    ) -> Annotated[NotificationConnection, strawberry.lazy("app.notify.types")]:
        from app.notify import queries as notify_queries

        return await notify_queries.of_run(info, run=self._row, first=first, after=after)


@strawberry.type(description="A lightweight view of a process run (the seed's ProcessRunSummary).")
class ProcessRunSummary:
    id: strawberry.ID = strawberry.field(description="The run's id.")
    name: str = strawberry.field(description="The run's name: the process's name when it started.")
    process: str = strawberry.field(description="The id of the process that was started.")
    manager_user: str = strawberry.field(description="The user id of the run's manager (who started it).")
    manager: User = strawberry.field(description="The manager.")
    status: RunStatus = strawberry.field(description="The run's status.")
    due_date: date | None = strawberry.field(description="When the run is due.")
    completed_date: datetime | None = strawberry.field(description="When the run completed.")
    created: Action = strawberry.field(description="Who started the run, and when.")
    modified: Action = strawberry.field(description="Who last changed the run, and when.")
    _row: strawberry.Private[Any] = None
    _counts: strawberry.Private[list[StatusCount] | None] = None

    @classmethod
    def from_row(cls, row: Any) -> ProcessRunSummary:
        return cls(id=row.id, name=row.name, process=row.process_id, manager_user=row.manager_user_id,
                   manager=User(id=row.manager_user_id), status=row.status, due_date=row.due_date,
                   completed_date=None if row.completed_date is None else utc(row.completed_date),
                   created=Action(date_time=utc(row.created_at), user=User(id=row.created_by)),
                   modified=Action(date_time=utc(row.modified_at), user=User(id=row.modified_by)), _row=row)

    @strawberry.field(description="Job runs below by status: all seven statuses in enum order, zeros included.")
    async def status_counts(self, info: Info) -> list[StatusCount]:
        if self._counts is not None:
            return self._counts
        return await status_counts_of(info, self._row)

    @strawberry.field(description="The full run with its tree.")
    def run(self) -> ProcessRun:
        return ProcessRun.from_row(self._row)


def job_run_from_row(row: Any) -> JobRun:
    """A job run on its own (inbox), without its subtree."""
    return JOB_RUN_ROWS.build(row, parent_id=strawberry.ID(row.parent_group_run_id),  # type: ignore[no-any-return]
                              generated=None)
