"""Lost connections and an unreachable database (PostgreSQL): which errors mean it, the pool's closed
connections dropped at checkout, and reads retried once on a fresh connection.

A gateway outlives its database's hiccups: a restart, a failover, `pg_terminate_backend`, an idle timeout
in a pooler. Reads are retried once on a fresh connection when their connection is lost before any row
arrives (every read is buffered, so the caller has seen nothing); only reads in autocommit (the `reader()`
engine, where each statement is its own transaction) are retried, so no retry ever happens inside a write
transaction. Writes are never retried: they fail, roll back (PostgreSQL drops an unfinished transaction
with its connection) and the client gets `UNAVAILABLE`, which it may retry (app/graphql/errors.py, app/http.py).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util.concurrency import greenlet_spawn

from app.adapters.sqlalchemy import forget_generation
from app.errors import UNAVAILABLE, AppError

log = logging.getLogger("processgraph.db")

RETRY_AFTER_SECONDS = 1  # what an UNAVAILABLE answer tells the client to wait

# InternalClientError: asyncpg's protocol is in a state it cannot go on from, typically a connection whose
# backend the server ended while it sat idle (the server's last message arrived, the close not yet).
_LOST = (ConnectionError, socket.gaierror, TimeoutError, asyncpg.PostgresConnectionError,
         asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
         asyncpg.TooManyConnectionsError, asyncpg.InternalClientError, sa_exc.TimeoutError)


# What asyncpg.connect takes from a URL: one server, or several with target_session_attrs (failover).
_CONNECT_KEYS = ("host", "port", "user", "password", "database", "target_session_attrs")


def connect_args(url: str) -> dict[str, Any]:
    """asyncpg.connect's arguments for a PostgreSQL URL, as SQLAlchemy's asyncpg dialect derives them for the
    engine: several hosts (`?host=a:5432&host=b:5432`) become asyncpg's lists of hosts and ports, tried in
    order, and `target_session_attrs=read-write` makes asyncpg skip a server in recovery (a standby), so the
    listener and the probes follow a failover as the engine's pool does."""
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    _, args = parsed.get_dialect()().create_connect_args(parsed)
    return {key: args[key] for key in _CONNECT_KEYS if args.get(key) is not None}


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached, or the connection was lost (a retryable UNAVAILABLE for the
    client), as opposed to a problem with the statement or the data. Looks through SQLAlchemy's wrapping
    and the exception's causes."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _LOST):
            return True
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return True
        if type(current) is OSError and "Connect call failed" in str(current):  # asyncpg, several addresses
            return True
        stack += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return False


def unavailable_error() -> AppError:
    """The client's answer to a database fault: retryable, with how long to wait."""
    return AppError(UNAVAILABLE, "The database is unavailable (unreachable, or the connection was lost); "
                    f"retry in {RETRY_AFTER_SECONDS} s.", None, {"retryAfterSeconds": RETRY_AFTER_SECONDS})


def watch_connections(engine: AsyncEngine) -> None:
    """A pooled connection whose socket the server already closed (it ended the backend while the connection
    sat idle) is replaced by a new one when it is checked out: a local flag, no round trip (unlike
    `pool_pre_ping`). And every error that means the connection is lost counts as a disconnect for SQLAlchemy
    (which then invalidates the connection and the pool's older ones), not only those it recognizes itself."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():
            raise sa_exc.DisconnectionError("the server closed this pooled connection")

    @event.listens_for(engine.sync_engine, "handle_error")
    def _handle_error(context: Any) -> None:
        if not context.is_disconnect and context.original_exception is not None \
                and is_unavailable(context.original_exception):
            context.is_disconnect = True


async def abandon(conn: AsyncConnection, error: BaseException) -> None:
    """What SQLAlchemy does when it detects a disconnect itself (fetch_plain's direct reads bypass it): neither
    this connection nor any pooled one opened before now is handed out again, since whatever ended one backend
    (a restart, a terminate of all) most likely ended the others too."""
    sync = conn.sync_connection
    if sync is None or sync.invalidated:
        return
    _forget_generation(sync.engine.pool, sync.connection, error)
    await conn.invalidate(error)


async def abandon_pooled(pool: Any, fairy: Any, error: BaseException) -> None:
    """`abandon` for a pooled connection taken without an AsyncConnection (app/db.py PlainConnection): its
    socket is closed and its slot given back to the pool."""
    _forget_generation(pool, fairy, error)
    await greenlet_spawn(fairy.invalidate, error)


def _forget_generation(pool: Any, fairy: Any, error: BaseException) -> None:
    log.info("connection lost (%s: %s); the pool opens fresh ones", type(error).__name__, str(error)[:200])
    forget_generation(pool, fairy, error)


class ReadConnection(AsyncConnection):
    """A connection of the `reader()` engine (autocommit): a SELECT whose connection is lost is run once more
    on a fresh connection from the pool."""

    async def execute(self, statement: Any, parameters: Any = None, *,
                      execution_options: Any = None) -> Any:
        try:
            return await super().execute(statement, parameters, execution_options=execution_options)
        except sa_exc.DBAPIError as exc:
            if not (getattr(statement, "is_select", False) and is_unavailable(exc)):
                raise
            log.info("read retried on a fresh connection after a lost one: %s", type(exc.orig).__name__)
            await abandon(self, exc)
        await reconnect(self)
        return await super().execute(statement, parameters, execution_options=execution_options)


async def reconnect(conn: AsyncConnection) -> None:
    """After a lost connection was invalidated: take a fresh one from the pool, in the engine's isolation
    level (autocommit for `reader()`; SQLAlchemy sets it when a connection is opened, not when it reconnects).
    The bookkeeping transaction SQLAlchemy keeps even in autocommit is forgotten first."""
    if conn.in_transaction():
        await conn.rollback()
    level = conn.sync_engine.get_execution_options().get("isolation_level")
    if level is not None:
        await conn.execution_options(isolation_level=level)
    else:
        await conn.get_raw_connection()


class ReadEngine(AsyncEngine):
    """An engine whose connections are ReadConnections (the `reader()` engine on PostgreSQL)."""

    __slots__ = ()
    _connection_cls = ReadConnection


def read_engine(sync_engine: Engine) -> AsyncEngine:
    return ReadEngine(sync_engine)
