"""Test helpers: run GraphQL through `schema.execute`, count SQL statements at the engine."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import strawberry
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schema import schema
from app.auth.service import READ, WRITE, Actor
from app.fast.cache import SharedCache
from app.graphql.context import Context
from app.ids import new_id
from app.main import create_app
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings

_TX_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


class SqlCounter:
    """Counts every SQL statement the engine sends (transaction control excluded), on every connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not _TX_CONTROL.match(statement):
            self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)

    def remove(self) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._on_execute)


class GraphQLError(AssertionError):
    pass


class GraphQLClient:
    """Executes operations through `schema.execute` as one acting user (default: the demo user with read and
    write), one context per call, as the HTTP layer would after authenticating a token."""

    def __init__(self, *, engine: AsyncEngine, settings: Settings, actor: Actor | None = None,
                 cache: SharedCache | None = None, schema: strawberry.Schema = schema) -> None:
        self.schema = schema  # the public schema, or the subgraph's (app/api/federation.py)
        self.engine = engine
        self.settings = settings
        self.cache = cache  # the gateway's shared tree cache (app/fast/cache.py), as the server passes it
        self.actor = actor or Actor(user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID,
                                    scopes=frozenset({READ, WRITE}))

    async def setup(self) -> None:
        return None

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        ctx = Context(engine=self.engine, settings=self.settings, actor=self.actor, request_id=new_id(),
                      cache=self.cache)
        result = await self.schema.execute(query, variable_values=variables, context_value=ctx)
        if self.cache is not None and result.data is not None:
            # What a client receives: the response as JSON (the shared cache's fragments are serialized).
            result.data = orjson.loads(orjson.dumps(result.data))
        return result

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Data of a successful operation; raises when the result has top-level errors."""
        result = await self.raw(query, variables)
        if result.errors:
            raise GraphQLError([e.formatted for e in result.errors])
        assert result.data is not None
        return dict(result.data)


@asynccontextmanager
async def asgi_client(settings: Settings, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a fresh app (lifespan running) that sends `token`."""
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
