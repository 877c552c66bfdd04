"""Live lists over graphql-transport-ws: the viewer's inbox (`inboxChanges`) and the workspace's runs
(`runChanges`), each replayed after a cursor and then live, read by the workspace's change number from the
database (app/run/changes.py): no gap, no duplicate, and a reconnect with the last cursor loses nothing. Woken by
`inbox:<user id>` and `runs:<workspace id>` from any gateway process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from app.errors import VALIDATION_ERROR
from app.graphql.context import Context, Info, Loaders
from app.graphql.live import (
    STALL_CLOSE_CODE,
    STALL_CLOSE_REASON,
    refuse,
    require_read,
    sequenced,
)
from app.graphql.pagination import decode_int_cursor, encode_cursor
from app.graphql.scalars import utc
from app.run import changes, service
from app.run.types import ActionStatus, JobRun, ProcessRunSummary, RunStatus, job_run_from_row

CURSOR_KIND = "live"
_AFTER = ("Replay changes after this cursor (from `liveCursor` or a change you received), then stream new ones; "
          "omitted: only changes from now on.")


@strawberry.enum(description="How a job run changed in your inbox.")
class InboxChangeKind(Enum):
    ENTERED = strawberry.enum_value("entered", description="It now waits for you.")
    LEFT = strawberry.enum_value("left", description="It no longer waits for you (done, returned, cancelled, "
                                 "reassigned).")
    UPDATED = strawberry.enum_value("updated", description="It still waits for you and changed (for example its "
                                    "arguments or due date).")


@strawberry.enum(description="How a run changed in the workspace's run list.")
class RunChangeKind(Enum):
    STARTED = strawberry.enum_value("started", description="The run was started.")
    STATUS_CHANGED = strawberry.enum_value("status", description="The run's status changed.")


@strawberry.type(description="A job run that entered, left or changed in your inbox (`Viewer.jobRuns`).")
class InboxChange:
    cursor: str = strawberry.field(description="Pass it as `afterCursor` to resume after this change.")
    kind: InboxChangeKind = strawberry.field(description="Entered, left or updated.")
    job_run_id: strawberry.ID = strawberry.field(description="The job run.")
    action_status: ActionStatus = strawberry.field(description="The job run's action status right after the change.")
    previous_action_status: ActionStatus | None = strawberry.field(
        description="Its action status right before (null when the job run was just created).")
    at: datetime = strawberry.field(description="When the change was made, in UTC.")
    job_run: JobRun | None = strawberry.field(
        description="The job run as it is when this message is sent (a replayed change shows today's state).")
    run: ProcessRunSummary | None = strawberry.field(description="Its run, as it is when this message is sent.")


@strawberry.type(description="A run that was started or changed status in your workspace.")
class RunChange:
    cursor: str = strawberry.field(description="Pass it as `afterCursor` to resume after this change.")
    kind: RunChangeKind = strawberry.field(description="Started or status changed.")
    run_id: strawberry.ID = strawberry.field(description="The run.")
    status: RunStatus = strawberry.field(description="The run's status right after the change.")
    previous_status: RunStatus | None = strawberry.field(description="Its status right before (null when started).")
    at: datetime = strawberry.field(description="When the change was made, in UTC.")
    run: ProcessRunSummary | None = strawberry.field(description="The run as it is when this message is sent.")


def _after(after_cursor: str | None) -> int | None:
    if after_cursor is None:
        return None
    try:
        return decode_int_cursor(after_cursor, CURSOR_KIND)
    except GraphQLError as exc:
        raise refuse(VALIDATION_ERROR, "`afterCursor` is not a live-list cursor this API made.",
                     "afterCursor") from exc


@dataclass(frozen=True, slots=True)
class _Change:
    seq: int
    row: Any
    job: Any  # the job run as it is now (inbox changes)
    run: Any  # the run as it is now


def _changes(ctx: Context, *, user_id: str | None, status: str | None, after: int | None
             ) -> AsyncGenerator[_Change, None]:
    """Change rows after `after` (None: after the newest), each with its job run and run as they are now
    (three statements a page, whatever its size); then live, with the bounds of `runEvents`."""
    workspace_id = ctx.actor.workspace_id
    key = changes.inbox_key(user_id) if user_id is not None else changes.runs_key(workspace_id)
    filters: dict[str, Any] = {"workspace_id": workspace_id, "user_id": user_id, "status": status}

    async def read(after_seq: int, first: int) -> list[_Change]:
        async with ctx.engine.connect() as conn:
            rows = await changes.changes_after(conn, **filters, after_seq=after_seq, first=first)
            jobs = await changes.job_runs_of(conn, workspace_id=workspace_id,
                                             ids=sorted({r.job_run_id for r in rows if r.job_run_id}))
            runs = await service.runs_by_ids(conn, workspace_id=workspace_id, ids=sorted({r.run_id for r in rows}))
        # A long-lived stream: each page resolves through fresh loaders, never a cache of an earlier page.
        ctx.loaders = Loaders(ctx.engine, ctx.actor, ctx.cache)
        return [_Change(r.seq, r, jobs.get(r.job_run_id), runs.get(r.run_id)) for r in rows]

    async def latest(delivered: int) -> int:
        async with ctx.engine.connect() as conn:
            return delivered + await changes.count_after(conn, **filters, after_seq=delivered,
                                                         cap=ctx.settings.subscription_buffer_events)

    async def newest() -> int:
        async with ctx.engine.connect() as conn:
            return await changes.latest_seq(conn, workspace_id=workspace_id)

    return sequenced(ctx, key=key, after=after, read=read, latest=latest, unit="changes", newest=newest)


def _summary(row: Any) -> ProcessRunSummary | None:
    return None if row is None else ProcessRunSummary.from_row(row)


_BOUNDS = (f"A subscriber that stops reading is closed with code {STALL_CLOSE_CODE} ({STALL_CLOSE_REASON}); "
           "it counts against the token's subscription cap.")


@strawberry.type
class LiveQuery:
    @strawberry.field(description="The position of the newest change of your workspace's live lists "
                      "(`inboxChanges`, `runChanges`). Read it before loading the inbox or a run list, then "
                      "subscribe with it as `afterCursor`: nothing that happens in between is missed (a change the "
                      "list already shows may be delivered once more).")
    async def live_cursor(self, info: Info) -> str:
        async with info.context.engine.connect() as conn:
            seq = await changes.latest_seq(conn, workspace_id=info.context.actor.workspace_id)
        return encode_cursor(CURSOR_KIND, [seq])


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="Your inbox as it changes: a job run enters it, leaves it, or changes while "
                             "in it (the rule of `Viewer.jobRuns`), with the job run. First the changes after "
                             "`afterCursor`, then new ones as they are made on any gateway process, in order, without "
                             "gap or duplicate; reconnect with the last cursor you saw to resume. " + _BOUNDS)
    async def inbox_changes(
        self, info: Info,
        after_cursor: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> AsyncGenerator[InboxChange, None]:
        ctx = info.context
        require_read(ctx, "afterCursor")
        stream = _changes(ctx, user_id=ctx.actor.user_id, status=None, after=_after(after_cursor))
        async with contextlib.aclosing(stream) as items:
            async for c in items:
                yield InboxChange(cursor=encode_cursor(CURSOR_KIND, [c.seq]), kind=c.row.change,
                                  job_run_id=c.row.job_run_id, action_status=c.row.status,
                                  previous_action_status=c.row.previous_status, at=utc(c.row.at),
                                  job_run=None if c.job is None else job_run_from_row(c.job), run=_summary(c.run))

    @strawberry.subscription(description="The workspace's runs as they change: a run is started or changes status. "
                             "With `status`, only changes where a run's status becomes or stops being it (what a list "
                             "filtered by that status needs to add and remove rows). First the changes after "
                             "`afterCursor`, then new ones as they are made on any gateway process, in order, without "
                             "gap or duplicate; reconnect with the last cursor you saw to resume. " + _BOUNDS)
    async def run_changes(
        self, info: Info,
        after_cursor: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
        status: Annotated[RunStatus | None, strawberry.argument(
            description="Keep changes where a run's status becomes or stops being this one.")] = None,
    ) -> AsyncGenerator[RunChange, None]:
        ctx = info.context
        require_read(ctx, "afterCursor")
        stream = _changes(ctx, user_id=None, status=None if status is None else str(status.value),
                          after=_after(after_cursor))
        async with contextlib.aclosing(stream) as items:
            async for c in items:
                yield RunChange(cursor=encode_cursor(CURSOR_KIND, [c.seq]), kind=c.row.change, run_id=c.row.run_id,
                                status=c.row.status, previous_status=c.row.previous_status, at=utc(c.row.at),
                                run=_summary(c.run))
