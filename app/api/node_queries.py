"""`node(id)` and `nodes(ids)`: fetch any object by id, within the caller's workspace only."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from app.auth.dataloaders import UserByIdLoader
from app.auth.types import User
from app.errors import LIMIT_EXCEEDED, AppError
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.node import Node
from app.ids import is_id
from app.process.dataloaders import NodeLocationLoader, ProcessByIdLoader, TreeLoader
from app.process.tree_types import ProcessGroup, ProcessJob, build_tree
from app.process.types import Process
from app.run.dataloaders import RunNodeLocationLoader
from app.run.fields import resolve_run_node

MAX_NODE_IDS = 100


async def resolve_node(info: Info, id_: str) -> Node | None:
    """The object with this id, or None when it is unknown or not visible to the caller."""
    if not is_id(id_):
        return None
    loaders = info.context.loaders
    location, user, run_location = await asyncio.gather(
        loaders.get(NodeLocationLoader).load(id_), loaders.get(UserByIdLoader).load(id_),
        loaders.get(RunNodeLocationLoader).load(id_))
    if user is not None:
        return User(id=strawberry.ID(id_), _row=user)
    if run_location is not None:
        return await resolve_run_node(info, id_)
    return None if location is None else await _process_node(info, id_, *location)


async def _process_node(info: Info, id_: str, kind: str, process_id: str) -> Process | ProcessGroup | ProcessJob | None:
    """The process, group or job with this id, found in its process (`kind` is "process" for the process)."""
    if kind == "process":
        row = await info.context.loaders.get(ProcessByIdLoader).load(process_id)
        return None if row is None else Process.from_row(row)
    tree = await info.context.loaders.get(TreeLoader).whole(process_id)
    _, nodes = build_tree(tree, exclude_generated=False)
    found: ProcessGroup | ProcessJob | None = next((n for n in nodes if n.id == id_), None)
    return found


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by id (Process, ProcessGroup, ProcessJob, ProcessRun, GroupRun, JobRun, "
                      "User); null when unknown "
                      "or not visible to the caller.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The object's id.")],
    ) -> Node | None:
        return await resolve_node(info, str(id))

    @strawberry.field(description=f"Objects by id, in the order asked (at most {MAX_NODE_IDS} ids); null for each "
                      "unknown or invisible id.")
    async def nodes(
        self, info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description=f"The ids, at most {MAX_NODE_IDS}.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODE_IDS:
            raise graphql_error(AppError(LIMIT_EXCEEDED, f"`ids` holds at most {MAX_NODE_IDS} ids; got {len(ids)}.",
                                         "ids", {"limit": MAX_NODE_IDS, "actual": len(ids)}))
        return list(await asyncio.gather(*(resolve_node(info, str(i)) for i in ids)))
