"""GraphQL types of the auth domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.graphql.context import Info
from app.graphql.node import Node


@strawberry.type(description="A user of the caller's workspace (the seed's User reference, with details).")
class User(Node):
    id: strawberry.ID = strawberry.field(description="The user's id.")
    _row: strawberry.Private[Any] = None

    async def _load(self, info: Info) -> Any:
        if self._row is None:
            self._row = await info.context.loaders.user_by_id.load(str(self.id))
            if self._row is None:
                # Users are only ever referenced from rows of their own workspace.
                raise LookupError(f"user {self.id} is not in the caller's workspace")
        return self._row

    @strawberry.field(description="Display name.")
    async def name(self, info: Info) -> str:
        return str((await self._load(info)).name)

    @strawberry.field(description="E-mail address.")
    async def email(self, info: Info) -> str:
        return str((await self._load(info)).email)

    @strawberry.field(description="False once the user is deactivated: a deactivated user cannot act.")
    async def active(self, info: Info) -> bool:
        return bool((await self._load(info)).active)


@strawberry.type(description="When an audited action happened and who did it (the seed's Action).")
class Action:
    date_time: datetime = strawberry.field(description="When, in UTC.")
    user: User = strawberry.field(description="Who: the acting user of the request.")
