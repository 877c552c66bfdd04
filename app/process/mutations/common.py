"""What the process mutations share: ids checked before a call, loaders refreshed after a write, a node of
the written tree. (What every mutation shares is in app/graphql/payloads.py.)"""

from __future__ import annotations

from typing import Any

import strawberry

from app.errors import ServiceError, not_found
from app.graphql.context import Context, Info
from app.ids import is_id
from app.process.dataloaders import ProcessByIdLoader, TreeLoader
from app.process.tree_types import ProcessGroup, ProcessJob, build_tree

EXPECTED_REVISION_DOC = "Refuse with CONFLICT (and write nothing) unless the process is at this revision."

def known_id(id_: str, kind: str = "process") -> str:
    """Ids that cannot exist are NOT_FOUND without a query."""
    if not is_id(id_):
        raise ServiceError(not_found(kind, id_))
    return id_


def refresh(ctx: Context, row: Any) -> None:
    """After a write, the request's loaders must not answer from what they cached before it."""
    ctx.loaders.get(TreeLoader).forget(row.id)
    ctx.loaders.get(ProcessByIdLoader).clear(row.id).prime(row.id, row)


async def tree_node(info: Info, process_id: str, node_id: str) -> ProcessGroup | ProcessJob | None:
    """A node of a process as the API type, from the request's tree loader."""
    tree = await info.context.loaders.get(TreeLoader).whole(process_id)
    _, nodes = build_tree(tree, exclude_generated=False)
    found: ProcessGroup | ProcessJob | None = next((n for n in nodes if n.id == node_id), None)
    return found


__all__ = ["EXPECTED_REVISION_DOC", "known_id", "refresh", "strawberry",
           "tree_node"]
