"""`node(id)` and `nodes(ids)`: fetch any object by id, within the caller's workspace only."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from app.auth.types import User
from app.errors import LIMIT_EXCEEDED, AppError
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.node import Node
from app.ids import is_id
from app.process.tree_types import ProcessGroup, ProcessJob, build_tree
from app.process.types import Process
from app.run.types import GroupRun, JobRun, ProcessRun

MAX_NODE_IDS = 100


async def resolve_node(info: Info, id_: str) -> Node | None:
    """The object with this id, or None when it is unknown or not visible to the caller."""
    if not is_id(id_):
        return None
    loaders = info.context.loaders
    location, user, run_location = await asyncio.gather(
        loaders.node_location.load(id_), loaders.user_by_id.load(id_), loaders.run_node_location.load(id_))
    if user is not None:
        return User(id=strawberry.ID(id_), _row=user)
    if run_location is not None:
        run_kind, run_id = run_location
        run = await loaders.run_by_id.load(run_id)
        if run is None:
            return None
        obj = ProcessRun.from_row(run)
        if run_kind == "run":
            return obj
        _, run_nodes, _ = await obj._tree(info)
        found_run: GroupRun | JobRun | None = next((n for n in run_nodes if n.id == id_), None)
        return found_run
    if location is None:
        return None
    kind, process_id = location
    if kind == "process":
        row = await loaders.process_by_id.load(process_id)
        return None if row is None else Process.from_row(row)
    tree = await loaders.trees.whole(process_id)
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
