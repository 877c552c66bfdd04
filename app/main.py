"""The ASGI application: Starlette, with the GraphQL endpoint at /graphql."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from app.auth.service import ActorResolver
from app.db import create_engine
from app.graphql.context import Context
from app.graphql.schema import schema
from app.ids import new_id
from app.settings import Settings

log = logging.getLogger("processgraph")


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context: engine, settings, acting user, request id."""

    def __init__(self, *, settings: Settings, resolver_holder: dict[str, Any]) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings
        self.holder = resolver_holder

    async def get_context(self, request: Any, response: Any) -> Context:
        request_id = new_id()
        if response is not None:
            response.headers["X-Request-Id"] = request_id
        resolver: ActorResolver = self.holder["actors"]
        actor = await resolver.resolve(authorization=request.headers.get("authorization"))
        return Context(engine=self.holder["engine"], settings=self.settings, actor=actor, request_id=request_id,
                       request=request, response=response)


def create_app(settings: Settings) -> Starlette:
    """Build the application; the lifespan owns the database engine."""
    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        holder["engine"] = engine
        holder["actors"] = ActorResolver(engine=engine, settings=settings)
        try:
            yield
        finally:
            await engine.dispose()

    graphql_app = GraphQLApp(settings=settings, resolver_holder=holder)

    async def index(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    app = Starlette(
        routes=[Route("/", index), Route("/graphql", graphql_app, methods=["GET", "POST"])],
        lifespan=lifespan,
    )
    return app
