"""Who is acting. Until token auth exists, every request acts as the configured development user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.models import User
from app.db import table
from app.ids import new_id
from app.settings import Settings

READ = "read"
WRITE = "write"


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting user of one request: the only source of workspace and authorship."""

    user_id: str
    workspace_id: str
    scopes: frozenset[str]


class ActorResolver:
    """Decides who acts for a request: the one place identity comes from.

    For now every request acts as the configured development user (looked up
    once per gateway process); the access-control work replaces this with a
    bearer-token lookup and a short-lived per-process cache.
    """

    def __init__(self, *, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._dev_actor: Actor | None = None

    async def resolve(self, *, authorization: str | None) -> Actor:
        del authorization  # tokens are not checked yet
        if self._dev_actor is None:
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(table(User).c.workspace_id).where(
                    table(User).c.id == self.settings.dev_user_id))).first()
            if row is None:
                raise RuntimeError(f"development user {self.settings.dev_user_id} is missing; run the migrations")
            self._dev_actor = Actor(user_id=self.settings.dev_user_id, workspace_id=row.workspace_id,
                                    scopes=frozenset({READ, WRITE}))
        return self._dev_actor


async def users_by_ids(conn: AsyncConnection, *, workspace_id: str, ids: list[str]) -> dict[str, Any]:
    """Users of one workspace by id (unknown ids and other workspaces' users are absent)."""
    t = table(User)
    rows = (await conn.execute(select(t).where(t.c.id.in_(ids), t.c.workspace_id == workspace_id))).all()
    return {r.id: r for r in rows}


async def create_user(engine: AsyncEngine, *, workspace_id: str, name: str, email: str) -> str:
    """Add an active user to a workspace; returns the new user's id."""
    user_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(table(User).insert().values(id=user_id, workspace_id=workspace_id, name=name, email=email,
                                                        active=True, created_at=datetime.now(UTC)))
    return user_id


async def set_user_active(engine: AsyncEngine, *, user_id: str, active: bool) -> None:
    """Deactivate (or reactivate) a user; a deactivated user keeps their history but cannot act."""
    async with engine.begin() as conn:
        await conn.execute(table(User).update().where(table(User).c.id == user_id).values(active=active))
