"""Root mutation fields of the run domain: start, act on job runs, cancel, close, reopen, add job runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.errors import LIMIT_EXCEEDED, NOT_FOUND, REQUIRED, AppError, ServiceError
from app.graphql.context import Context, Info
from app.graphql.errors import Error
from app.graphql.payloads import CMID_DOC, ERRORS_DOC, attempt
from app.ids import is_id
from app.process import limits
from app.process.dataloaders import ProcessByIdLoader
from app.process.mutations.inputs import ProcessJobInput
from app.run import actions, service
from app.run.dataloaders import RunByIdLoader, RunStatusCountsLoader, RunTreeLoader
from app.run.engine import RunState
from app.run.types import GroupRun, JobRun, ProcessRun

if TYPE_CHECKING:
    from app.process.types import Process

_REV = "Refuse with CONFLICT (writing nothing) unless the node (run, group run or job run) is at this revision."


@strawberry.type(description="The result of a run mutation: the run after it, or the errors.")
class RunPayload:
    run: ProcessRun | None = strawberry.field(description="The run after the change; null when errors are given.")
    errors: list[Error] = strawberry.field(description=ERRORS_DOC)
    client_mutation_id: str | None = strawberry.field(description=CMID_DOC)
    _node_id: strawberry.Private[str | None] = None
    _added: strawberry.Private[list[str]] = strawberry.field(default_factory=list)

    async def _nodes(self, info: Info) -> dict[str, Any]:
        if self.run is None:
            return {}
        _, nodes, _ = await self.run._tree(info)
        return {str(n.id): n for n in nodes}

    @strawberry.field(description="The group run or job run acted on; null for run-level actions or on errors.")
    async def node(self, info: Info) -> Annotated[GroupRun | JobRun, strawberry.union("RunTreeNode")] | None:
        return None if self._node_id is None else (await self._nodes(info)).get(self._node_id)

    @strawberry.field(description="The job runs added by runJobRunsAdd, in order.")
    async def added_job_runs(self, info: Info) -> list[JobRun]:
        nodes = await self._nodes(info)
        return [nodes[i] for i in self._added if i in nodes]


@strawberry.input(description="Start a run of a process.")
class RunStartInput:
    process_id: strawberry.ID = strawberry.field(description="The process to run; it must pass its health check.")
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)


@strawberry.input(description="An action on a run, group run or job run.")
class RunActionInput:
    id: strawberry.ID = strawberry.field(description="The run, group run or job run.")
    comment: str | None = strawberry.field(default=None, description="A comment, recorded on the events (required to return).")
    expected_revision: int | None = strawberry.field(default=None, description=_REV)
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)


@strawberry.input(description="A certification signer's signature.")
class JobRunSignInput:
    id: strawberry.ID = strawberry.field(description="The signer job run.")
    exception: bool = strawberry.field(default=False, description="Report an exception (a comment is then required).")
    comment: str | None = strawberry.field(default=None, description="The comment.")
    expected_revision: int | None = strawberry.field(default=None, description=_REV)
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)


@strawberry.input(description="The manager's changes to a job run's copy of its arguments; null clears a field.")
class JobRunEditInput:
    id: strawberry.ID = strawberry.field(description="The job run.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="A new title.")
    instructions: str | None = strawberry.field(default=strawberry.UNSET, description="New instructions.")
    assignee: str | None = strawberry.field(default=strawberry.UNSET, description="A new assignee (user id).")
    approver: str | None = strawberry.field(default=strawberry.UNSET, description="A new approver (user id).")
    due_date: date | None = strawberry.field(default=strawberry.UNSET, description="A new due date.")
    approver_due_date: date | None = strawberry.field(default=strawberry.UNSET, description="A new approval due date.")
    document: str | None = strawberry.field(default=strawberry.UNSET, description="A new document id.")
    section: str | None = strawberry.field(default=strawberry.UNSET, description="A new section id.")
    expected_revision: int | None = strawberry.field(default=None, description=_REV)
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)

    def changes(self) -> dict[str, Any]:
        names = {"title": "title", "instructions": "instructions", "assignee": "assignee", "approver": "approver",
                 "due_date": "dueDate", "approver_due_date": "approverDueDate", "document": "document",
                 "section": "section"}
        out: dict[str, Any] = {}
        for attr, key in names.items():
            value = getattr(self, attr)
            if value is not strawberry.UNSET:
                out[key] = value.isoformat() if isinstance(value, date) else value
        return out


@strawberry.input(description="Jobs to add to a running run (rule 10).")
class RunJobRunsAddInput:
    run_id: strawberry.ID = strawberry.field(description="The run.")
    jobs: list[ProcessJobInput] = strawberry.field(description="The jobs, in order (at most 100; more is refused).")
    parent_group_run_id: strawberry.ID | None = strawberry.field(
        default=None, description="The parent group run; default the root group run (REST: parentGroupId).")
    relative_sibling_id: strawberry.ID | None = strawberry.field(
        default=None, description="A child of the parent to place the jobs next to; default: appended.")
    before: bool | None = strawberry.field(default=None, description="Before the sibling (default true) or after it.")
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)


def check_edit(changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            continue
        limit = limits.MAX_TEXT_LENGTH if key == "instructions" else (
            limits.MAX_NAME_LENGTH if key == "title" else limits.MAX_SHORT_TEXT_LENGTH)
        if not str(value).strip():
            raise ServiceError(AppError(REQUIRED, f"{key} must not be empty (pass null to clear it).", key))
        if len(str(value)) > limit:
            raise ServiceError(AppError(LIMIT_EXCEEDED, f"{key} is at most {limit} characters.", key,
                                        {"limit": limit, "actual": len(str(value))}))


async def _act_on(ctx: Context, node_id: str, expected_revision: int | None, change: Callable[[RunState], Any],
                  added: list[str]) -> Any:
    """One run action through the service; the ids of jobs it adds (a list the change returns) go to `added`."""
    if not is_id(node_id):
        raise ServiceError(AppError(NOT_FOUND, f"No run, group run or job run with id '{node_id}' exists.", "id",
                                    {"id": node_id}))

    def apply(state: RunState) -> None:
        result = change(state)
        if isinstance(result, list):
            added.extend(result)
    row, _ = await service.act(engine=ctx.engine, actor=ctx.actor, node_id=node_id, expected_revision=expected_revision,
                               change=apply, clock=ctx.settings.clock, email=ctx.settings.smtp_url is not None,
                               notifications=ctx.settings.notifications)
    return row


def _forget_run(ctx: Context, row: Any) -> None:
    """The request's loaders drop what they held of the run a mutation just changed."""
    ctx.loaders.get(RunTreeLoader).forget(row.id)
    ctx.loaders.get(RunStatusCountsLoader).clear(row.id)
    ctx.loaders.get(RunByIdLoader).clear(row.id).prime(row.id, row)
    for key in [k for k in ctx.loaders.built if k[:2] == ("run_tree", row.id)]:
        del ctx.loaders.built[key]


async def _run_action(info: Info, *, node_id: str, expected_revision: int | None, client_mutation_id: str | None,
                      change: Callable[[RunState], Any]) -> RunPayload:
    added: list[str] = []
    row, errors = await attempt(lambda: _act_on(info.context, node_id, expected_revision, change, added))
    if row is None:
        return RunPayload(run=None, errors=errors, client_mutation_id=client_mutation_id)
    _forget_run(info.context, row)
    return RunPayload(run=ProcessRun.from_row(row), errors=[], client_mutation_id=client_mutation_id,
                      _node_id=None if node_id == row.id else node_id, _added=added)


def _act(fn: Callable[[RunState, str, str | None], None], description: str) -> Any:
    async def resolver(self: Any, info: Info, input: Annotated[RunActionInput, strawberry.argument(
            description="Which node, with an optional comment and expected revision.")]) -> RunPayload:
        return await _run_action(info, node_id=str(input.id), expected_revision=input.expected_revision,
                                 client_mutation_id=input.client_mutation_id,
                                 change=lambda s: fn(s, str(input.id), input.comment))
    return strawberry.mutation(resolver=resolver, description=description)


@strawberry.input(description="Create a process from a run's tree (its job runs' current arguments).")
class ProcessCreateFromRunInput:
    run_id: strawberry.ID = strawberry.field(description="The run to copy.")
    name: str | None = strawberry.field(default=None, description="The new process's name; default the run's name.")
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)


@strawberry.type(description="The result of processCreateFromRun.")
class ProcessCreateFromRunPayload:
    process: Annotated[Process, strawberry.lazy("app.process.types")] | None = strawberry.field(
        description="The new process (its `sourceProcessRun` names the run); null when errors are given.")
    errors: list[Error] = strawberry.field(description=ERRORS_DOC)
    client_mutation_id: str | None = strawberry.field(description=CMID_DOC)


@strawberry.type
class RunMutation:
    @strawberry.mutation(description="Create a process from a run: the run's client-written tree with its current "
                         "arguments, `sourceProcessRun` set to the run.")
    async def process_create_from_run(self, info: Info, input: Annotated[ProcessCreateFromRunInput, strawberry.argument(
            description="The run to copy.")]) -> ProcessCreateFromRunPayload:
        from app.process.types import Process

        ctx = info.context

        async def call() -> Any:
            if not is_id(input.run_id):
                raise ServiceError(AppError(NOT_FOUND, f"No run with id '{input.run_id}' exists.", "runId",
                                            {"id": input.run_id}))
            return await service.create_process_from_run(engine=ctx.engine, actor=ctx.actor, run_id=str(input.run_id),
                                                         name=input.name)
        row, errors = await attempt(call)
        return ProcessCreateFromRunPayload(process=None if row is None else Process.from_row(row), errors=errors,
                                           client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Start a run of a process (the seed's POST /processes/{id}/run): the definition "
                         "is copied into a run-time tree and started; refused with the health check's errors.")
    async def run_start(self, info: Info, input: Annotated[RunStartInput, strawberry.argument(
            description="The process to run.")]) -> RunPayload:
        ctx = info.context

        async def call() -> Any:
            if not is_id(input.process_id):
                raise ServiceError(AppError(NOT_FOUND, f"No process with id '{input.process_id}' exists.",
                                            "processId", {"id": input.process_id}))
            return await service.start_run(engine=ctx.engine, actor=ctx.actor, process_id=str(input.process_id),
                                           clock=ctx.settings.clock, email=ctx.settings.smtp_url is not None,
                                           notifications=ctx.settings.notifications)
        row, errors = await attempt(call)
        if row is not None:
            ctx.loaders.get(RunByIdLoader).prime(row.id, row)
            ctx.loaders.get(ProcessByIdLoader).clear(str(input.process_id))
        return RunPayload(run=None if row is None else ProcessRun.from_row(row), errors=errors,
                          client_mutation_id=input.client_mutation_id)

    job_run_submit = _act(actions.submit, "The assignee hands in the work: to approval when the job has an approver, "
                          "else complete.")
    job_run_approve = _act(actions.approve, "The approver (or certification approver) approves.")
    job_run_return = _act(actions.return_, "The approver returns the work with a comment (required); a certification "
                          "approver sends every signer back.")
    job_run_skip = _act(actions.skip, "The manager completes a job run as skipped.")
    job_run_restart = _act(actions.restart, "The manager starts a job run again (after an error, or to resend it).")
    job_run_start = _act(lambda s, i, c: actions.start_node(s, i, "job run"),
                         "The manager starts an eligible manual job run.")
    group_run_start = _act(lambda s, i, c: actions.start_node(s, i, "group run"),
                           "The manager starts an eligible manual group run.")
    job_run_cancel = _act(lambda s, i, c: actions.cancel(s, i, c, "job run"), "The manager cancels a job run.")
    group_run_cancel = _act(lambda s, i, c: actions.cancel(s, i, c, "group run"),
                            "The manager cancels a group run and every job run below it.")
    run_cancel = _act(lambda s, i, c: actions.cancel(s, i, c, "run"),
                      "The manager cancels a run: cancelling, every job run cancelled, then cancelled.")
    run_close = _act(lambda s, i, c: actions.close(s, i), "The manager closes a run whose job runs are all settled.")
    run_reopen = _act(lambda s, i, c: actions.reopen(s, i), "The manager reopens a closed run.")

    @strawberry.mutation(description="A certification signer signs, optionally reporting an exception (comment required).")
    async def job_run_sign(self, info: Info, input: Annotated[JobRunSignInput, strawberry.argument(
            description="The signature.")]) -> RunPayload:
        return await _run_action(info, node_id=str(input.id), expected_revision=input.expected_revision,
                                 client_mutation_id=input.client_mutation_id,
                                 change=lambda s: actions.sign(s, str(input.id), input.exception, input.comment))

    @strawberry.mutation(description="The manager edits a job run's copy of its arguments before it settles.")
    async def job_run_edit(self, info: Info, input: Annotated[JobRunEditInput, strawberry.argument(
            description="The changes.")]) -> RunPayload:
        changes = input.changes()

        def change(state: RunState) -> None:
            check_edit(changes)
            actions.edit(state, str(input.id), changes)
        return await _run_action(info, node_id=str(input.id), expected_revision=input.expected_revision,
                                 client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="The manager adds jobs to a run (the seed's POST /processRuns/{id}/jobRuns), "
                         "under a group run, before or after a sibling, or appended; a completed group reopens.")
    async def run_job_runs_add(self, info: Info, input: Annotated[RunJobRunsAddInput, strawberry.argument(
            description="Where and what.")]) -> RunPayload:
        specs = [j.to_spec() for j in input.jobs]

        def change(state: RunState) -> list[str]:
            service.check_added_jobs(specs)
            parent = str(input.parent_group_run_id or state.run["root_group_run_id"])
            return actions.add_jobs(state, parent_id=parent, specs=specs, before=input.before,
                                    sibling_id=None if input.relative_sibling_id is None else str(input.relative_sibling_id))
        return await _run_action(info, node_id=str(input.run_id), expected_revision=None,
                                 client_mutation_id=input.client_mutation_id, change=change)
