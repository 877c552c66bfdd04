"""The typed per-request context: engine, settings, acting user, request id, loaders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo
from strawberry.types.graphql import OperationType

from app.auth.dataloaders import UserByIdLoader
from app.auth.service import Actor
from app.db import reader
from app.process.dataloaders import (
    HistoryPageLoader,
    NodeLocationLoader,
    ProcessByIdLoader,
    TreeLoader,
)
from app.run.dataloaders import (
    LastCommentLoader,
    RunByIdLoader,
    RunNodeLocationLoader,
    RunStatusCountsLoader,
    RunTreeLoader,
)
from app.settings import Settings


class Loaders:
    """Every loader of one request, created on first use and dropped with the request."""

    def __init__(self, engine: AsyncEngine, actor: Actor) -> None:
        self.engine = reader(engine)  # loaders only read
        self.actor = actor
        # API objects built from whole trees, once per request (keyed by their loader key).
        self.built: dict[Any, Any] = {}

    def release(self) -> None:
        """Drop the loaders and what they hold once the request is answered. graphql-core's executor and its
        resolve-info helpers reference each other, and the executor holds the context: without this, every
        row and object of the request would wait for the cyclic garbage collector."""
        self.built.clear()
        for name in [k for k, v in vars(self).items() if isinstance(v, DataLoader)]:
            del self.__dict__[name]

    @cached_property
    def run_by_id(self) -> RunByIdLoader:
        return RunByIdLoader(self.engine, self.actor.workspace_id)

    @cached_property
    def run_tree(self) -> RunTreeLoader:
        return RunTreeLoader(self.engine)

    @cached_property
    def run_status_counts(self) -> RunStatusCountsLoader:
        return RunStatusCountsLoader(self.engine)

    @cached_property
    def last_comment(self) -> LastCommentLoader:
        return LastCommentLoader(self.engine)

    @cached_property
    def run_node_location(self) -> RunNodeLocationLoader:
        return RunNodeLocationLoader(self.engine, self.actor.workspace_id)

    @cached_property
    def process_by_id(self) -> ProcessByIdLoader:
        return ProcessByIdLoader(self.engine, self.actor.workspace_id)

    @cached_property
    def trees(self) -> TreeLoader:
        return TreeLoader(self.engine)

    @cached_property
    def node_location(self) -> NodeLocationLoader:
        return NodeLocationLoader(self.engine, self.actor.workspace_id)

    @cached_property
    def history_page(self) -> HistoryPageLoader:
        return HistoryPageLoader(self.engine)

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader(self.engine, self.actor.workspace_id)


@dataclass(slots=True, eq=False)
class Context:
    engine: AsyncEngine
    settings: Settings
    actor: Actor
    request_id: str
    request: Any = None
    response: Any = None
    # graphql-transport-ws: the connection_init payload (the token travels there).
    connection_params: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.engine, self.actor)


Info = StrawberryInfo[Context, None]


class QueriesRead(SchemaExtension):
    """A query only reads: while it executes, its context's engine is `reader()` (autocommit on PostgreSQL,
    and a read whose connection is lost is retried once on a fresh one), for the resolvers that open
    connections themselves as for the loaders. Not over WebSocket, where one context serves every operation
    of the connection, mutations included."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        context = ctx.context
        request = getattr(context, "request", None)
        swap = (isinstance(context, Context) and ctx.operation_type is OperationType.QUERY
                and getattr(request, "scope", {}).get("type") != "websocket")
        if not swap:
            yield
            return
        engine = context.engine
        context.engine = reader(engine)
        try:
            yield
        finally:
            context.engine = engine
