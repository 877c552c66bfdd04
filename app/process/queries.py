"""Root query fields of the process domain."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import strawberry

from app.auth.dataloaders import UserByIdLoader
from app.db import reader
from app.errors import LIMIT_EXCEEDED, VALIDATION_ERROR, AppError
from app.graphql.context import Info
from app.graphql.errors import Error, graphql_error
from app.graphql.lookahead import lookahead, lookahead_at
from app.graphql.pagination import decode_cursor, page_size
from app.ids import is_id
from app.process import health, limits, listing
from app.process.dataloaders import ProcessByIdLoader, TreeLoader
from app.process.enums import OrderDirection, ProcessOrderField
from app.process.pages import PageScope, kept_page, page_layer, summary_page
from app.process.tree_types import TREE_NESTING
from app.process.trees import kept_tree
from app.process.types import Process, ProcessSummaryConnection, tree_read


@strawberry.input(description="Filters of a process list.")
class ProcessFilter:
    name_contains: str | None = strawberry.field(
        default=None, description="Keep processes whose name contains this text, compared casefolded."
    )


@strawberry.input(description="The order of a process list.")
class ProcessOrder:
    field: ProcessOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Which way.")


def _order(order: ProcessOrder | None) -> listing.Order:
    if order is None:
        return listing.DEFAULT_ORDER
    return listing.Order(field=str(order.field.value), descending=order.direction is OrderDirection.DESC)


def _after_key(after: str | None, order: listing.Order, kind: str) -> list[Any] | None:
    """The keyset position of an `after` cursor, or VALIDATION_ERROR when this API did not make it."""
    if after is None:
        return None
    after_key = decode_cursor(after, kind, len(listing.keys_for(order)))
    try:
        listing.parse_key(order, after_key)
    except ValueError as exc:
        raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after")) from exc
    return after_key


def _name_contains(filter: ProcessFilter | None) -> str | None:
    name = filter.name_contains if filter else None
    if name is not None and len(name) > limits.MAX_NAME_LENGTH:
        raise graphql_error(AppError(LIMIT_EXCEEDED, f"`nameContains` is at most {limits.MAX_NAME_LENGTH} characters "
                                     f"(no name is longer); got {len(name)}.", "filter.nameContains",
                                     {"limit": limits.MAX_NAME_LENGTH, "actual": len(name)}))
    return name


async def _load_trees(info: Info, rows: list[Any], summary_only: bool) -> None:
    """The page's trees in one batch now, when the selection reaches their roots: each `root` is then built
    without waiting (Process.root), rather than as one awaitable per process. Nothing to load for a page of
    summaries alone (`summary_only`)."""
    if summary_only:
        return
    needs = lookahead_at(info, ("edges", "node", "process", "root"), TREE_NESTING)
    if needs is None:
        return
    read, loaders = tree_read(needs), info.context.loaders
    # (not the trees the tree repository keeps at the rows' revisions: app/process/trees.py)
    wanted = [(str(row.id), read, row.revision) for row in rows if row.trashed_at is None
              and kept_tree(loaders, str(row.id), row.revision, read, False) is None]
    if wanted:
        await info.context.loaders.get(TreeLoader).load_many(wanted)


async def process_connection(
    info: Info, *, trashed: bool, first: int | None, after: str | None,
    filter: ProcessFilter | None, order_by: ProcessOrder | None,
) -> ProcessSummaryConnection:
    order, name, settings = _order(order_by), _name_contains(filter), info.context.settings
    size = page_size(first, default=settings.default_page_size, maximum=settings.max_page_size)
    kind = f"{'trash' if trashed else 'process'}:{order.field}:{'desc' if order.descending else 'asc'}"
    engine, workspace_id = reader(info.context.engine), info.context.actor.workspace_id
    summary_only = "process" not in lookahead(info, frozenset()).names  # full rows only when `process` is selected
    scope, pages = PageScope(workspace_id, name, size, summary_only), page_layer(info.context.loaders, settings.page_cache)
    where: dict[str, Any] = {"workspace_id": workspace_id, "trashed": trashed, "first": size, "order": order,
                             "name_contains": name, "after": _after_key(after, order, kind)}
    if (kept := await kept_page(engine, pages, kind=kind, scope=scope, after=after, where=where)) is not None:
        return kept
    result = await listing.page(engine, **where, summary_only=summary_only)
    await _load_trees(info, result.rows, summary_only)
    count = partial(listing.count, engine, workspace_id=workspace_id, trashed=trashed, name_contains=name)
    return summary_page(result.rows, pages, kind=kind, order=order, has_next=result.has_next, after=after,
                        count=count, scope=scope)


_HEALTH_DOC = "; ".join(f"`{code}`: {text}" for code, text in health.HEALTH_CODES.items())
_FIRST_DOC = "How many rows to return: default 100, at most 1000 (more is refused with LIMIT_EXCEEDED)."
_AFTER_DOC = "Return rows after this cursor (from `edges.cursor` or `pageInfo.endCursor` of the same list and order)."
_ORDER_DOC = "The order; default: newest run first, then name, then id."

First = Annotated[int | None, strawberry.argument(description=_FIRST_DOC)]
After = Annotated[str | None, strawberry.argument(description=_AFTER_DOC)]
Filter = Annotated[ProcessFilter | None, strawberry.argument(description="Which processes to keep.")]
OrderBy = Annotated[ProcessOrder | None, strawberry.argument(description=_ORDER_DOC)]


@strawberry.type(description="Validation results of a process (the seed's ProcessValidationResults).")
class ProcessValidationResults:
    errors: list[Error] = strawberry.field(
        description="Every problem found, in the seed's Error shape; `target` and `meta` name the job or group id "
        f"and the field. Empty when the process can run. Codes: {_HEALTH_DOC}")


@strawberry.type
class ProcessQuery:
    @strawberry.field(description="One live process with its whole tree; null when no such process is visible.")
    async def process(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The process's id.")],
        exclude_generated_jobs: Annotated[bool, strawberry.argument(
            description="Hide the groups and jobs generated for certification jobs.")] = False,
    ) -> Process | None:
        if not is_id(id):
            return None
        row = await info.context.loaders.get(ProcessByIdLoader).load(str(id))
        return None if row is None else Process.lazy(row, exclude_generated=exclude_generated_jobs)

    @strawberry.field(description="Check a process for everything a run would refuse (the seed's POST "
                      "/processes/{id}/validation). An invalid process is a normal answer with errors; null when "
                      "no such process is visible.")
    async def process_validation(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The process's id.")],
    ) -> ProcessValidationResults | None:
        if not is_id(id):
            return None
        loaders = info.context.loaders
        row = await loaders.get(ProcessByIdLoader).load(str(id))
        if row is None:
            return None
        tree = await loaders.get(TreeLoader).whole(row.id)
        wanted = sorted(health.referenced_users(tree))
        users = await loaders.get(UserByIdLoader).load_many(wanted) if wanted else []
        active = {u.id for u in users if u is not None and u.active}
        return ProcessValidationResults(errors=[Error.from_app(e) for e in health.check(row, tree, active)])

    @strawberry.field(description="Live processes as summaries, newest run first unless ordered otherwise "
                      "(the seed's GET /processes). Keyset cursors stay stable while rows are added or removed.")
    async def processes(
        self, info: Info, first: First = None, after: After = None, filter: Filter = None, order_by: OrderBy = None,
    ) -> ProcessSummaryConnection:
        return await process_connection(info, trashed=False, first=first, after=after, filter=filter,
                                         order_by=order_by)

    @strawberry.field(description="Processes in the trash, as summaries; restore or purge them by id.")
    async def trashed_processes(
        self, info: Info, first: First = None, after: After = None, filter: Filter = None, order_by: OrderBy = None,
    ) -> ProcessSummaryConnection:
        return await process_connection(info, trashed=True, first=first, after=after, filter=filter,
                                         order_by=order_by)
