"""GraphQL types of the auth domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.auth.dataloaders import UserByIdLoader
from app.graphql.context import Info
from app.graphql.node import Node
from app.graphql.rows import Col, Nested, RowPlan
from app.graphql.scalars import utc


@strawberry.type(description="A user of the caller's workspace (the seed's User reference, with details).")
class User(Node):
    id: strawberry.ID = strawberry.field(description="The user's id.")
    _row: strawberry.Private[Any] = None

    async def _load(self, info: Info) -> Any:
        if self._row is None:
            self._row = await info.context.loaders.get(UserByIdLoader).load(str(self.id))
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


async def user_or_none(info: Info, user_id: str | None) -> User | None:
    """The User an id field names, through the request's users loader; None when the id is unset or names no
    user of the caller's workspace (never an error, never another workspace's user)."""
    if not user_id:
        return None
    row = await info.context.loaders.get(UserByIdLoader).load(user_id)
    return None if row is None else User(id=strawberry.ID(row.id), _row=row)


async def users_or_none(info: Info, user_ids: list[str]) -> list[User | None]:
    """`user_or_none` for a list of ids, in order, in the same loader batch."""
    rows = await info.context.loaders.get(UserByIdLoader).load_many(user_ids) if user_ids else []
    return [None if row is None else User(id=strawberry.ID(row.id), _row=row) for row in rows]


@strawberry.type(description="When an audited action happened and who did it (the seed's Action).")
class Action:
    date_time: datetime = strawberry.field(description="When, in UTC.")
    user: User = strawberry.field(description="Who: the acting user of the request.")


def action_plan(stamp: str) -> RowPlan:
    """An Action from a row's `<stamp>_at` and `<stamp>_by` columns (e.g. `created`): the time in UTC, the user
    by id."""
    return RowPlan(Action, {"date_time": Col(f"{stamp}_at", utc),
                            "user": Nested(RowPlan(User, {"id": Col(f"{stamp}_by")}))})


ACTIONS = {stamp: action_plan(stamp) for stamp in ("created", "modified", "trashed")}
"""The audited actions rows carry, by stamp."""
