"""What every process mutation shares: running a service call into a payload, refreshing loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from app.errors import ServiceError, not_found
from app.graphql.context import Context, Info
from app.graphql.errors import Error
from app.ids import is_id
from app.process.tree_types import ProcessGroup, ProcessJob, build_tree

ERRORS_DOC = "Why the mutation did nothing, in the seed's Error shape; empty on success."
CMID_DOC = "The `clientMutationId` sent with the input, if any."
EXPECTED_REVISION_DOC = "Refuse with CONFLICT (and write nothing) unless the process is at this revision."

T = TypeVar("T")


async def attempt(call: Callable[[], Awaitable[T]]) -> tuple[T | None, list[Error]]:
    """Run one service call; expected failures become payload errors, anything else propagates."""
    try:
        return await call(), []
    except ServiceError as exc:
        return None, [Error.from_app(e) for e in exc.errors]


def known_id(id_: str, kind: str = "process") -> str:
    """Ids that cannot exist are NOT_FOUND without a query."""
    if not is_id(id_):
        raise ServiceError(not_found(kind, id_))
    return id_


def refresh(ctx: Context, row: Any) -> None:
    """After a write, the request's loaders must not answer from what they cached before it."""
    ctx.loaders.trees.forget(row.id)
    ctx.loaders.process_by_id.clear(row.id).prime(row.id, row)


async def tree_node(info: Info, process_id: str, node_id: str) -> ProcessGroup | ProcessJob | None:
    """A node of a process as the API type, from the request's tree loader."""
    tree = await info.context.loaders.trees.whole(process_id)
    _, nodes = build_tree(tree, exclude_generated=False)
    found: ProcessGroup | ProcessJob | None = next((n for n in nodes if n.id == node_id), None)
    return found


__all__ = ["CMID_DOC", "ERRORS_DOC", "EXPECTED_REVISION_DOC", "attempt", "known_id", "refresh", "strawberry",
           "tree_node"]
