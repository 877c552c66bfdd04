"""Run fields on other domains' types: a process's runs, a summary's latest run, a notification's run and job
run, the viewer's inbox. The run domain may use the process, notify and auth domains, never the reverse, so
these fields are declared here and added to those types with `extend_type` (the composition root imports
this module before it builds the schema)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.auth.queries import Viewer
from app.graphql.context import Info
from app.graphql.extend import extend_type
from app.ids import is_id
from app.notify.types import Notification
from app.process.types import Process, ProcessSummary
from app.run import service
from app.run.dataloaders import RunByIdLoader, RunNodeLocationLoader
from app.run.queries import ProcessRunSummaryConnection, run_connection
from app.run.types import (
    ActionStatus,
    GroupRun,
    JobRun,
    ProcessRun,
    ProcessRunSummary,
    job_run_from_row,
)

MAX_INBOX = 1000


async def resolve_run_node(info: Info, id_: str) -> ProcessRun | GroupRun | JobRun | None:
    """The run, group run or job run with this id; None when it is unknown or not in the caller's workspace."""
    if not is_id(id_):
        return None
    location = await info.context.loaders.get(RunNodeLocationLoader).load(id_)
    if location is None:
        return None
    run_kind, run_id = location
    row = await info.context.loaders.get(RunByIdLoader).load(run_id)
    if row is None:
        return None
    run = ProcessRun.from_row(row)
    if run_kind == "run":
        return run
    _, run_nodes, _ = await run._tree(info)
    found: GroupRun | JobRun | None = next((n for n in run_nodes if n.id == id_), None)
    return found


@strawberry.type(description="Run fields of Process.")
class ProcessRunFields:
    @strawberry.field(description="The process's runs, newest first (default 100, at most 1000 per page).")
    @staticmethod
    async def runs(
        root: strawberry.Parent[Process], info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many rows (default 100, at most 1000).")]
        = None,
        after: Annotated[str | None, strawberry.argument(description="Rows after this cursor.")] = None,
    ) -> ProcessRunSummaryConnection:
        return await run_connection(info, process_id=str(root.id), status=None, first=first, after=after)


@strawberry.type(description="Run fields of ProcessSummary.")
class ProcessSummaryRunFields:
    @strawberry.field(description="The latest run's summary (the seed's ProcessRunSummary); null until the process "
                      "has run.")
    @staticmethod
    async def run(root: strawberry.Parent[ProcessSummary], info: Info) -> ProcessRunSummary | None:
        if root._row.latest_run_id is None:
            return None
        row = await info.context.loaders.get(RunByIdLoader).load(root._row.latest_run_id)
        return None if row is None else ProcessRunSummary.from_row(row)


@strawberry.type(description="Run fields of Notification.")
class NotificationRunFields:
    @strawberry.field(description="The run it concerns; null when it concerns none or the run is not visible.")
    @staticmethod
    async def run(root: strawberry.Parent[Notification], info: Info) -> ProcessRun | None:
        found = None if root._run_id is None else await resolve_run_node(info, root._run_id)
        return found if isinstance(found, ProcessRun) else None

    @strawberry.field(description="The job run it concerns; null when it concerns none or it is not visible.")
    @staticmethod
    async def job_run(root: strawberry.Parent[Notification], info: Info) -> JobRun | None:
        found = None if root._job_run_id is None else await resolve_run_node(info, root._job_run_id)
        return found if isinstance(found, JobRun) else None


@strawberry.type(description="Run fields of Viewer.")
class ViewerRunFields:
    @strawberry.field(description="The user's inbox: job runs waiting for them as assignee (sent, returned), approver "
                      f"(approval), signer or certification approver (sent); at most {MAX_INBOX}.")
    @staticmethod
    async def job_runs(
        info: Info,
        status: Annotated[ActionStatus | None, strawberry.argument(
            description="Keep job runs with this action status.")] = None,
        overdue: Annotated[bool | None, strawberry.argument(
            description="True: keep overdue job runs (past their due date in UTC); false: keep those that are "
            "not.")] = None,
    ) -> list[JobRun]:
        rows = await service.inbox(info.context.engine, actor=info.context.actor,
                                   action_status=None if status is None else str(status.value),
                                   overdue=overdue, overdue_on=info.context.settings.clock.now().date())
        return [job_run_from_row(r) for r in rows[:MAX_INBOX]]


extend_type(Process, ProcessRunFields)
extend_type(ProcessSummary, ProcessSummaryRunFields)
extend_type(Notification, NotificationRunFields)
extend_type(Viewer, ViewerRunFields)
