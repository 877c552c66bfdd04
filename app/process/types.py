"""GraphQL types of a process and its summary, built from process rows."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.auth.types import ACTIONS, Action, User
from app.errors import ErrorDetail
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.executor import FragmentMemo
from app.graphql.lookahead import Needs, lookahead
from app.graphql.node import Node
from app.graphql.pagination import PageInfo, decode_int_cursor, encode_cursor, page_size
from app.graphql.rows import THE_ROW, Col, Computed, Nested, RowBacked, RowPlan
from app.graphql.scalars import utc
from app.process import limits, revisions
from app.process.dataloaders import HistoryPageLoader, PatchesUpToLoader, TreeKey, TreeLoader
from app.process.diff_types import ProcessDiff
from app.process.enums import Weekday
from app.process.tree import WHOLE, Tree, TreeRead, reads_arguments
from app.process.tree_types import (
    TREE_NESTING,
    ProcessGroup,
    ProcessTreeNode,
    ReminderData,
)
from app.process.trees import built_tree, kept_tree


def tree_read(needs: Needs) -> TreeRead:
    """What to read for a selection below `root`: the whole tree when it reaches `generated`; else as many
    levels as it nests, with the created/modified columns and the tags only when it names them (the same
    tests as the tree builder's: app/process/tree_types.py)."""
    names = needs.names
    if "generated" in names:
        return WHOLE
    return TreeRead(depth=needs.depth, stamps="created" in names or "modified" in names, tags="tags" in names,
                    arguments=reads_arguments(names))


def _dates(values: list[str] | None) -> list[date]:
    return [date.fromisoformat(v) for v in values or ()]


@strawberry.type(description="A process definition with its tree (the seed's Process).")
class Process(Node, RowBacked):
    id: strawberry.ID = strawberry.field(description="The process's id.")
    name: str = strawberry.field(description="The process's name.")
    auto_close: bool = strawberry.field(description="Whether a run closes by itself once every job is settled.")
    cert_auto_approve: bool = strawberry.field(
        description="Whether certification approvers are conditional (approve by themselves without exceptions)."
    )
    relative_dates: bool = strawberry.field(description="Whether dates move with a run's start (business-day offsets).")
    ipm_beta_enabled: bool = strawberry.field(description="The seed's patch-only flag `ipmBetaEnabled`.")
    iwm_opt_out: bool = strawberry.field(description="The seed's patch-only flag `iwmOptOut`.")
    due_date: date | None = strawberry.field(description="The process-level deadline.")
    business_start_date: date | None = strawberry.field(
        description="Start of the business calendar window; the anchor of relative dates. Given with businessEndDate."
    )
    business_end_date: date | None = strawberry.field(description="End of the business calendar window.")
    business_days_of_week: list[Weekday] | None = strawberry.field(
        description="The working days of the week; null when not set."
    )
    business_date_exclusions: list[date] = strawberry.field(description="Dates that are not business days.")
    business_date_inclusions: list[date] = strawberry.field(
        description="Dates that are business days whatever the other rules say."
    )
    calendars: list[str] = strawberry.field(description="Ids of calendars shown with the process (patch path `/calendarIds`).")
    default_cert_approver_reminders: ReminderData | None = strawberry.field(
        description="Default reminders for certification approvers."
    )
    default_cert_signer_reminders: ReminderData | None = strawberry.field(
        description="Default reminders for certification signers."
    )
    process_template: str | None = strawberry.field(description="Always null: process templates are out of scope.")
    source_process_run: str | None = strawberry.field(description="The id of the run this process was copied from.")
    revision: int = strawberry.field(description="Incremented by every definition change, trash and restore included.")
    created: Action = strawberry.field(description="Who created the process, and when.")
    modified: Action = strawberry.field(description="Who last changed the process, and when.")
    _exclude_generated: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: Any, *, exclude_generated: bool = False) -> Process:
        return PROCESS_ROWS.build(row, _exclude_generated=exclude_generated)  # type: ignore[no-any-return]

    @classmethod
    def lazy(cls, row: Any, *, exclude_generated: bool = False) -> Process:
        """A process that holds its row: compiled selections answer from the row; other reads of a field set them
        all first (`__getattr__`, app/graphql/rows.py)."""
        return PROCESS_ROWS.lazy(row, _exclude_generated=exclude_generated)  # type: ignore[no-any-return]


    # Trees come from the tree repository (app/process/trees.py): kept ones at this revision, or built from
    # the request's loader, under a key with the revision, so that the rows are read after this process row.
    def _shared(self, info: Info, read: TreeRead) -> tuple[ProcessGroup, list[Any]] | None:
        return kept_tree(info.context.loaders, str(self.id), self.revision, read, self._exclude_generated)

    def _build(self, info: Info, tree: Tree, read: TreeRead, needs: Needs | None) -> tuple[ProcessGroup, list[Any]]:
        return built_tree(info.context.loaders, tree, self.revision, read, self._exclude_generated, needs)

    async def _whole_tree(self, info: Info) -> tuple[ProcessGroup, list[Any]]:
        found = self._shared(info, WHOLE)
        if found is not None:
            return found
        tree = await info.context.loaders.get(TreeLoader).whole(str(self.id), self.revision)
        return self._build(info, tree, WHOLE, None)

    async def _root_later(self, info: Info, key: TreeKey, needs: Needs) -> ProcessGroup:
        tree = await info.context.loaders.get(TreeLoader).load(key)
        return self._build(info, tree, key[1], needs)[0]

    @strawberry.field(description="Every definition write of this process, newest first (creation included). "
                      "Page size default 100, at most 1000.")
    async def history(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many entries (default 100, at most 1000).")]
        = None,
        after: Annotated[str | None, strawberry.argument(description="Entries after this cursor.")] = None,
    ) -> ProcessHistoryConnection:
        settings = info.context.settings
        size = page_size(first, default=settings.default_page_size, maximum=settings.max_page_size)
        before = None if after is None else decode_int_cursor(after, "history")
        rows = await info.context.loaders.get(HistoryPageLoader).load((str(self.id), size, before))
        edges = [ProcessHistoryEdge(cursor=encode_cursor("history", [r.revision]), node=ProcessHistoryEntry(
            revision=r.revision, mutation=r.mutation, user=User(id=strawberry.ID(r.user_id)), at=utc(r.at),
            operations=r.operations, inverse=r.inverse)) for r in rows[:size]]
        return ProcessHistoryConnection(edges=edges, page_info=PageInfo.of(edges, has_next=len(rows) > size, after=after))

    @strawberry.field(description="What changed between two revisions, as a JSON Patch and in words (nodes added, "
                      "removed, renamed, moved and changed; process fields changed), composed from the stored "
                      "history (read in one statement). Either revision may be the later one. A revision outside "
                      "1 to the current one is refused with VALIDATION_ERROR naming the argument. Its lists are "
                      f"bounded by the tree limit; it weighs {limits.MAX_TREE_NODES} in query cost, as a tree.")
    async def diff(
        self, info: Info,
        from_revision: Annotated[int, strawberry.argument(description="The revision to start from (1 to `revision`).")],
        to_revision: Annotated[int, strawberry.argument(description="The revision to arrive at (1 to `revision`).")],
    ) -> ProcessDiff:
        errors = revisions.revision_errors(self.revision, fromRevision=from_revision, toRevision=to_revision)
        if errors:  # the first at the top, both in `details` when both are wrong (as the REST door answers)
            details = tuple(ErrorDetail(e.code, e.message, e.target, e.meta) for e in errors) if len(errors) > 1 else ()
            raise graphql_error(replace(errors[0], details=details))
        upto = max(from_revision, to_revision)
        patches = await info.context.loaders.get(PatchesUpToLoader).load((str(self.id), upto))
        return ProcessDiff.of(revisions.diff_of(patches, from_revision=from_revision, to_revision=to_revision))

    @strawberry.field(description="The root group, with the whole tree below it "
                      f"(weighs {limits.MAX_TREE_NODES} in query cost).", graphql_type=ProcessGroup)
    def root(self, info: Info) -> ProcessGroup | Awaitable[ProcessGroup]:
        # Only the levels and parts the selection reaches are read and built. A plain function: when the
        # request already holds the tree (a process list loaded its page's trees), the root is built
        # here and now, and a list of processes completes without an awaitable per process.
        needs = lookahead(info, TREE_NESTING)
        read = tree_read(needs)
        found = self._shared(info, read)
        if found is not None:
            return found[0]
        key = (str(self.id), read, self.revision)
        tree = info.context.loaders.get(TreeLoader).loaded(key)
        if tree is None:
            return self._root_later(info, key, needs)
        return self._build(info, tree, read, needs)[0]

    @strawberry.field(description="Every group and job of the tree as a flat list (root and generated nodes "
                      "included unless excluded), each with `parentId` and `ordinal`, for clients that rebuild "
                      f"the tree. At most {limits.MAX_TREE_NODES} client-written nodes plus generated ones.")
    async def nodes(self, info: Info) -> list[ProcessTreeNode]:
        return (await self._whole_tree(info))[1]


PROCESS_ROWS = RowPlan(Process, {
    **{name: Col(name) for name in ("id", "name", "auto_close", "cert_auto_approve", "relative_dates",
                                    "ipm_beta_enabled", "iwm_opt_out", "due_date", "business_start_date",
                                    "business_end_date", "business_days_of_week", "process_template",
                                    "source_process_run", "revision")},
    "business_date_exclusions": Computed(lambda row: _dates(row.business_date_exclusions)),
    "business_date_inclusions": Computed(lambda row: _dates(row.business_date_inclusions)),
    "calendars": Computed(lambda row: list(row.calendars or ())),
    "default_cert_approver_reminders": Computed(lambda row: ReminderData.from_json(row.default_cert_approver_reminders)),
    "default_cert_signer_reminders": Computed(lambda row: ReminderData.from_json(row.default_cert_signer_reminders)),
    "created": Nested(ACTIONS["created"]), "modified": Nested(ACTIONS["modified"]),
}, at_once=("id", "revision"))
"""A process's fields from its row (its tree's resolvers read `id` and `revision`, set at once on a lazy one)."""


@strawberry.type(description="One definition write: who, when, which mutation, and what changed as JSON Patch "
                 "operations. Paths: `/<field>` for process fields by their seed JSON name (`/name`, `/dueDate`, "
                 "`/calendarIds`, `/trashed`, ...), `/nodes/<id>` for a whole group or job, `/nodes/<id>/<field>` for "
                 "one of its fields (kind, parentId, ordinal, name, parallel, triggerType, readOnly, dueDate; action, "
                 "arguments, triggerType, tags). Values use the seed's JSON spellings. Generated certification nodes "
                 "are not recorded (they follow from the job's arguments). The creation entry replaces the whole "
                 "document (path ``).")
class ProcessHistoryEntry:
    revision: int = strawberry.field(description="The process's revision after this write.")
    mutation: str = strawberry.field(description="The mutation that made the write, e.g. `processPatch`.")
    user: User = strawberry.field(description="Who made the write.")
    at: datetime = strawberry.field(description="When, in UTC.")
    operations: JSON = strawberry.field(description="JSON Patch operations from the state before to the state after.")
    inverse: JSON = strawberry.field(description="JSON Patch operations from the state after back to the state before.")


@strawberry.type(description="An edge of a process's history.")
class ProcessHistoryEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this entry; pass it as `after`.")
    node: ProcessHistoryEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of a process's history, newest first.")
class ProcessHistoryConnection:
    edges: list[ProcessHistoryEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the history.")


@strawberry.type(description="A lightweight view of a process and its latest run (the seed's ProcessSummary); not a Node.")
class ProcessSummary(RowBacked):
    id: strawberry.ID = strawberry.field(description="The process's id.")
    name: str = strawberry.field(description="The process's name.")
    auto_close: bool = strawberry.field(description="Whether a run closes by itself once every job is settled.")
    cert_auto_approve: bool = strawberry.field(description="Whether certification approvers are conditional.")
    relative_dates: bool = strawberry.field(description="Whether dates move with a run's start.")
    due_date: date | None = strawberry.field(description="The process-level deadline.")
    process_template: str | None = strawberry.field(description="Always null: process templates are out of scope.")
    source_process_run: str | None = strawberry.field(description="The id of the run this process was copied from.")
    revision: int = strawberry.field(description="The process's revision.")
    created: Action = strawberry.field(description="Who created the process, and when.")
    modified: Action = strawberry.field(description="Who last changed the process, and when.")
    trashed: Action | None = strawberry.field(description="Who moved the process to the trash, and when; null when live.")
    _row: strawberry.Private[Any] = None
    # What compiled selections answered for this process at this revision, kept across requests (app/fast/cache.py).
    fragment_memo: strawberry.Private[FragmentMemo | None] = None

    @classmethod
    def from_row(cls, row: Any) -> ProcessSummary:
        return SUMMARY_ROWS.build(row)  # type: ignore[no-any-return]

    @classmethod
    def lazy(cls, row: Any) -> ProcessSummary:
        """A summary that holds only its row: compiled selections answer from the row; any other read of a
        field sets them all first (`__getattr__`)."""
        return SUMMARY_ROWS.lazy(row)  # type: ignore[no-any-return]


    @strawberry.field(description="The full process with its tree; null while the process is in the trash.")
    def process(
        self, exclude_generated_jobs: Annotated[bool, strawberry.argument(
            description="Hide generated certification groups and jobs.")] = False,
    ) -> Process | None:
        if self._row.trashed_at is not None:
            return None
        return Process.lazy(self._row, exclude_generated=exclude_generated_jobs)


SUMMARY_ROWS = RowPlan(ProcessSummary, {
    **{name: Col(name) for name in ("id", "name", "auto_close", "cert_auto_approve", "relative_dates", "due_date",
                                    "process_template", "source_process_run", "revision")},
    "created": Nested(ACTIONS["created"]), "modified": Nested(ACTIONS["modified"]),
    "trashed": Nested(ACTIONS["trashed"], null_when_null="trashed_at"),
}, extra={"_row": THE_ROW})
"""A summary's fields from its process row (app/graphql/rows.py): `from_row`, and compiled selections over rows."""


@strawberry.type(description="An edge of a process summary list.")
class ProcessSummaryEdge:
    cursor: str = strawberry.field(description="Opaque keyset cursor of this row; pass it as `after`.")
    node: ProcessSummary = strawberry.field(description="The process summary.")


@strawberry.type(description="A page of process summaries.")
class ProcessSummaryConnection:
    edges: list[ProcessSummaryEdge] = strawberry.field(description="The rows of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    _count: strawberry.Private[Any] = None
    # A page kept across requests (summary_page) keeps what compiled selections answered for it (app/fast/cache.py).
    fragment_memo: strawberry.Private[FragmentMemo | None] = None

    @strawberry.field(description="How many rows the whole list has (filter applied); costs one counting query.")
    async def total_count(self) -> int:
        return int(await self._count())
