"""The typed per-request context: engine, settings, acting user, request id, loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.types import Info as StrawberryInfo
from strawberry.types.graphql import OperationType

from app.actor import Actor
from app.db import reader
from app.fast.cache import SharedCache
from app.lsn import HEADER
from app.replicas import READ_ENGINE, Replicas
from app.settings import Settings

LoaderT = TypeVar("LoaderT")


class Loaders:
    """Every loader of one request, created on first use and dropped with the request. The domains define
    their loaders (`app/*/dataloaders.py`) and ask for them by class, `info.context.loaders.get(TreeLoader)`,
    so this shared base names none of them."""

    def __init__(self, engine: AsyncEngine, actor: Actor, cache: SharedCache | None = None) -> None:
        self.engine = reader(engine)  # loaders only read
        self.actor = actor
        # The gateway's trees kept across requests (app/fast/cache.py); None when there is none or it is off.
        self.shared = cache if cache is not None and cache.enabled else None
        # API objects built from whole trees, once per request (keyed by their loader key).
        self.built: dict[Any, Any] = {}
        self._made: dict[Callable[[AsyncEngine, str], Any], Any] = {}

    def get(self, kind: Callable[[AsyncEngine, str], LoaderT]) -> LoaderT:
        """The request's loader of this kind (a class taking the read engine and the actor's workspace id),
        made on first use."""
        made = self._made.get(kind)
        if made is None:
            made = self._made[kind] = kind(self.engine, self.actor.workspace_id)
        return cast(LoaderT, made)

    def release(self) -> None:
        """Drop the loaders and what they hold once the request is answered. graphql-core's executor and its
        resolve-info helpers reference each other, and the executor holds the context: without this, every
        row and object of the request would wait for the cyclic garbage collector."""
        self.built.clear()
        self._made.clear()


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
    # Trees kept across requests by this gateway process (app/fast/cache.py); None: every read builds its own.
    cache: SharedCache | None = None
    # The standbys that may serve a query (app/replicas.py); None: every read goes to the primary.
    replicas: Replicas | None = None
    # The engine the running query read from (`read_only_engine`); None for any other operation.
    read_from: AsyncEngine | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.engine, self.actor, self.cache)


Info = StrawberryInfo[Context, None]


def _query_context(ctx: Any) -> Context | None:
    """The context of a query over HTTP; None for anything else. Not over WebSocket, where one context serves
    every operation of the connection, mutations included."""
    context = ctx.context
    if not isinstance(context, Context) or ctx.operation_type is not OperationType.QUERY:
        return None
    if getattr(getattr(context, "request", None), "scope", {}).get("type") == "websocket":
        return None
    return context


def read_only_engine(ctx: Any, chosen: AsyncEngine | None = None) -> AsyncEngine | None:
    """A query only reads: while it executes, its context's engine is `reader()` (autocommit on PostgreSQL,
    and a read whose connection is lost is retried once on a fresh one) of the primary's engine, or of
    `chosen` (a standby's: `standby_engine`), for the resolvers that open connections themselves as for the
    loaders. Swaps the engine of a query's context (an execution hook of app/api/pipeline.py) and returns the
    one to put back after execution (`put_back`); None when nothing was swapped."""
    context = _query_context(ctx)
    if context is None:
        return None
    engine = context.engine
    context.read_from = chosen or engine
    context.engine = context.loaders.engine = reader(context.read_from)
    return engine


async def standby_engine(ctx: Any) -> AsyncEngine | None:
    """The engine a query reads from when standbys are configured (app/replicas.py): a standby's when one is
    fresh enough and has replayed the LSN the request brings, else the primary's; None for anything else."""
    context = _query_context(ctx)
    if context is None or context.replicas is None:
        return None
    # Chosen already for a kept answer, or for the primary when a standby failed this query (app/main.py).
    scope = context.request.scope
    chosen: AsyncEngine | None = scope.get(READ_ENGINE)
    if chosen is None:
        chosen = scope[READ_ENGINE] = await context.replicas.engine_for(context.request.headers.get(HEADER))
    return chosen


def put_back(ctx: Any, engine: AsyncEngine) -> None:
    """After a query's execution: its context's engine as it was before `read_only_engine`."""
    context = ctx.context
    context.engine = engine
    context.loaders.engine = reader(engine)
