"""GraphQL types of the auth domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.graphql.context import Info
from app.graphql.node import Node


@strawberry.type(description="Reference to a platform user (the seed's User), with their details when visible.")
class User(Node):
    id: strawberry.ID = strawberry.field(description="The user's id.")
    _row: strawberry.Private[Any] = None

    async def _load(self, info: Info) -> Any:
        if self._row is None:
            self._row = await info.context.loaders.user_by_id.load(str(self.id))
        return self._row

    @strawberry.field(description="Display name; null when the user is not in the caller's workspace.")
    async def name(self, info: Info) -> str | None:
        row = await self._load(info)
        return None if row is None else str(row.name)

    @strawberry.field(description="E-mail address; null when the user is not in the caller's workspace.")
    async def email(self, info: Info) -> str | None:
        row = await self._load(info)
        return None if row is None else str(row.email)

    @strawberry.field(description="False once the user is deactivated; null when not in the caller's workspace.")
    async def active(self, info: Info) -> bool | None:
        row = await self._load(info)
        return None if row is None else bool(row.active)


@strawberry.type(description="When an audited action happened and who did it (the seed's Action).")
class Action:
    date_time: datetime = strawberry.field(description="When, in UTC.")
    user: User = strawberry.field(description="Who: the acting user of the request.")
