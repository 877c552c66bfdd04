"""`viewer` and `users`: who is asking, and who else is in their workspace."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry

from app.auth import service
from app.auth.types import User
from app.errors import VALIDATION_ERROR, AppError
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.pagination import PageInfo, decode_cursor, encode_cursor, page_size


@strawberry.enum(description="What a token may do.")
class Scope(Enum):
    READ = strawberry.enum_value("read", description="Queries, validation and subscriptions.")
    WRITE = strawberry.enum_value("write", description="Mutations.")


@strawberry.type(description="A workspace: everything its users see belongs to it.")
class Workspace:
    id: strawberry.ID = strawberry.field(description="The workspace's id.")
    name: str = strawberry.field(description="The workspace's name.")


@strawberry.type(description="The acting user, their workspace and the scopes of their token.")
class Viewer:
    user: User = strawberry.field(description="The user the request acts as.")
    workspace: Workspace = strawberry.field(description="The user's workspace.")
    scopes: list[Scope] = strawberry.field(description="The token's scopes.")


@strawberry.type(description="An edge of the users list.")
class UserEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this row; pass it as `after`.")
    node: User = strawberry.field(description="The user.")


@strawberry.type(description="A page of the workspace's users, by name.")
class UserConnection:
    edges: list[UserEdge] = strawberry.field(description="The users of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    _count: strawberry.Private[Any] = None

    @strawberry.field(description="How many users the workspace has.")
    async def total_count(self) -> int:
        return int(await self._count())


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The acting user, workspace and scopes.")
    async def viewer(self, info: Info) -> Viewer:
        ctx = info.context
        async with ctx.engine.connect() as conn:
            ws = await service.workspace(conn, workspace_id=ctx.actor.workspace_id)
        return Viewer(user=User(id=strawberry.ID(ctx.actor.user_id)), workspace=Workspace(id=ws.id, name=ws.name),
                      scopes=[Scope(s) for s in service.SCOPES if s in ctx.actor.scopes])

    @strawberry.field(description="The workspace's users (for assignee pickers), ordered by casefolded name, then "
                      "id; deactivated users included (see `active`).")
    async def users(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(
            description="How many rows: default 100, at most 1000 (more is refused with LIMIT_EXCEEDED).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Rows after this cursor.")] = None,
    ) -> UserConnection:
        ctx = info.context
        size = page_size(first, default=ctx.settings.default_page_size, maximum=ctx.settings.max_page_size)
        key = None if after is None else decode_cursor(after, "users", 2)
        if key is not None and not all(isinstance(v, str) for v in key):
            raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after"))
        rows, has_next = await service.users_page(ctx.engine, workspace_id=ctx.actor.workspace_id, first=size,
                                                  after=None if key is None else (key[0], key[1]))
        edges = [UserEdge(cursor=encode_cursor("users", [r.name_key, r.id]), node=User(id=r.id, _row=r)) for r in rows]

        async def count() -> int:
            return await service.count_users(ctx.engine, workspace_id=ctx.actor.workspace_id)

        return UserConnection(edges=edges, page_info=PageInfo.of(edges, has_next=has_next, after=after),
            _count=count)
