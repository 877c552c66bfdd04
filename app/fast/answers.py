"""Answers of repeated queries given again once their statements return the same rows (issue 16).

A request whose answer depends only on its statements' rows (app/fast/recording.py: a query, one operation, no
clock, every statement through `fetch_plain`, at most `MAX_ROWS` rows, a 200 without errors) is kept: the
response's status, headers and body, with the statements' texts, parameters and rows. When the same request
comes again (the same method, query string, body, Accept and Content-Type, from the same acting user and
token), the statements run again on one connection (kept between replays, or the pool's), in the order
they ran; when each returns the rows it returned then, the kept response is sent with a new request id.
Otherwise, or when a statement fails, the request takes the whole way through Strawberry as any other.

Why the answer is right: GraphQL execution is a function of the request and of what it reads. What it
reads that could change is the database (each statement's rows, compared), the clock (a request that reads
it is not kept) and the tree cache, whose entries are keyed by versions read by those same statements and
so answer alike. Every statement of a kept request runs again before its answer is given: a write committed
through any gateway process changes a version those statements read, and the next request sees it, as the
tree cache does (app/fast/cache.py). What comes before the GraphQL view still runs for every request: the body
limit, authentication, the rate limit (app/http.py), CORS; the request is logged and counted (app/ops.py).

What it saves is the view and the executor: parsing the body, the context, validation and limits (already
kept per document), resolvers, argument coercion, serializing; about half of a kept page's CPU.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncEngine

from app import ops
from app.actor import Actor
from app.db import PlainConnection
from app.fast.cache import SharedCache
from app.fast.recording import Recording
from app.ids import new_id

REQUEST_ID = b"x-request-id"
MAX_BODY_BYTES = 1024 * 1024  # larger answers are not kept (a few would fill the budget)
MAX_REQUEST_BYTES = 64 * 1024  # nor those of larger requests (hashing a bulk mutation's body for nothing)
# Estimated memory of a kept answer, for the budget: one and a half times its body, 2 KB, and 200 bytes per
# row read. tracemalloc on the benchmark's answers measured 1.18 times the body (a run tree), 1.27 (a page of
# summaries) and 1.6 (a process tree) for what clearing them frees.
_ROW_BYTES = 200
_ANSWER_BYTES = 2048
# Connections kept out of the pool between replays, at most. Taking a pooled connection and giving it back
# (a greenlet, the pool's bookkeeping and events, the rollback on return) cost about 40 us of the 350 of an
# answer given again; taking a kept one costs nothing. They stay checked out of the pool (its size is 20).
SPARE_CONNECTIONS = 4
_CHOSEN_BY = (b"accept", b"content-type")  # the headers that choose the response's form


class AnswerKey(NamedTuple):
    """What chooses a request's answer, besides what it reads."""

    method: str
    query_string: bytes
    body: bytes
    actor: Actor  # the user, workspace, scopes and token
    headers: tuple[tuple[bytes, bytes], ...]  # Accept and Content-Type


class KeptAnswer:
    """One response and the statements whose rows it depends on."""

    __slots__ = ("body", "headers", "operation", "statements", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, recording: Recording,
                 operation: str | None) -> None:
        self.status, self.body, self.operation = status, body, operation
        self.headers = [(k, v) for k, v in headers if k.lower() != REQUEST_ID]
        self.statements = recording.statements


class Captured:
    """The messages of one response, passed on as they are sent."""

    __slots__ = ("body", "send", "start", "whole")

    def __init__(self, send: Callable[[Any], Awaitable[None]]) -> None:
        self.send = send
        self.start: dict[str, Any] | None = None
        self.body: list[bytes] = []
        self.whole = False

    async def __call__(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            # A copy: the middleware outside (CORS) adds its headers to the message it is sent, in place, and
            # those belong to this request's origin, not to the requests this answer is given again to.
            self.start = {**message, "headers": list(message.get("headers", ()))}
        elif message["type"] == "http.response.body":
            self.body.append(message.get("body", b""))
            self.whole = not message.get("more_body", False) and len(self.body) == 1
        await self.send(message)


class Answers:
    """The kept answers of one gateway process, within their own byte budget (ANSWER_CACHE_MB). PostgreSQL
    only: on SQLite no statement goes past SQLAlchemy's execution (app/db.py fetch_plain), so none is
    noted and nothing would be kept."""

    def __init__(self, budget_bytes: int, engine: Callable[[], AsyncEngine], metrics: ops.Metrics,
                 timeout_seconds: float) -> None:
        self.kept = SharedCache(budget_bytes)
        self.engine = engine
        self.metrics = metrics
        self.timeout = timeout_seconds
        # Connections kept between replays (SPARE_CONNECTIONS), taken back to the pool by close()
        self.spares: list[PlainConnection] = []
        self.closed = False
        self.given = 0  # kept answers sent
        self.changed = 0  # kept answers whose statements returned other rows (or failed)

    def key(self, scope: Any) -> AnswerKey | None:
        """What chooses the answer, besides what it reads; None for a request that is never kept (no
        authenticated user: the GraphiQL page). The acting user and the body are those GatewayMiddleware
        resolved and read (app/http.py)."""
        state = scope.get("state", {})
        actor, body = state.get("actor"), state.get("body")
        if not isinstance(actor, Actor) or not actor.scopes or not isinstance(body, bytes) \
                or len(body) > MAX_REQUEST_BYTES:
            return None
        headers = [(k.lower(), v) for k, v in scope["headers"] if k.lower() in _CHOSEN_BY]
        return AnswerKey(scope["method"], scope.get("query_string", b""), body, actor, tuple(sorted(headers)))

    def holds(self, key: AnswerKey) -> bool:
        """Whether an answer is kept for `key` (so the request is a query: only those are kept)."""
        return self.kept.holds(key)

    async def give(self, key: AnswerKey, send: Callable[[Any], Awaitable[None]],
                   engine: AsyncEngine | None = None) -> bool:
        """Send the kept answer for `key` if its statements return the rows they returned; False otherwise.
        The statements run on `engine` (a standby's, app/replicas.py), by default the primary's."""
        found: KeptAnswer | None = self.kept.get(key)
        if found is None:
            return False
        started = time.perf_counter()
        conn = None
        try:
            async with asyncio.timeout(self.timeout):
                conn = await self._connection(engine)
                same = await self._same_rows(conn, found)
        except BaseException as exc:  # a fault or a timeout: the whole way answers it as it answers any request
            if conn is not None:
                await conn.release()
            if not isinstance(exc, Exception):
                raise  # cancelled
            self.changed += 1
            return False
        if len(self.spares) < SPARE_CONNECTIONS and not self.closed and conn.engine is self.engine():
            self.spares.append(conn)
        else:
            await conn.release()
        if not same:
            self.changed += 1
            self.kept.discard(key)  # out of date: not run again before the next is kept
            return False
        self.given += 1
        request_id = new_id()
        await send({"type": "http.response.start", "status": found.status,
                    "headers": [*found.headers, (REQUEST_ID, request_id.encode())]})
        await send({"type": "http.response.body", "body": found.body})
        ops.record(self.metrics, operation=found.operation, started=started, result=None, request_id=request_id,
                   user_id=key.actor.user_id or None, codes=[])
        return True

    async def _connection(self, engine: AsyncEngine | None) -> PlainConnection:
        """A spare connection that the pool would still hand out, or one from the pool. A spare opened before
        the pool last met a fault, or whose socket is closed, goes back to the pool, which replaces it. Spares
        are the primary's: a standby's connection comes from its pool."""
        if engine is not None and engine is not self.engine():
            return PlainConnection(engine, await engine.raw_connection())
        while self.spares:
            conn = self.spares.pop()
            if conn.current():
                return conn
            await conn.release()
        engine = self.engine()
        return PlainConnection(engine, await engine.raw_connection())

    @staticmethod
    async def _same_rows(conn: PlainConnection, found: KeptAnswer) -> bool:
        for sql, args, rows in found.statements:
            # asyncpg's records compare as the tuples of their values, named tuples included
            if await conn.fetch_sql(sql, args, True) != rows:
                return False
        return True

    async def close(self) -> None:
        """Give the spare connections back to the pool (before the engine is disposed of)."""
        self.closed = True
        while self.spares:
            await self.spares.pop().release()

    def keep(self, key: AnswerKey, recording: Recording, captured: Captured) -> None:
        """Keep a whole 200 response of a request whose answer depends only on its statements' rows."""
        start = captured.start
        if start is None or start["status"] != 200 or not captured.whole or not recording.replayable:
            return
        body = captured.body[0]
        if len(body) > MAX_BODY_BYTES:
            return
        answer = KeptAnswer(200, list(start.get("headers", ())), body, recording, recording.operation)
        self.kept.put(key, answer, family=None,
                      size=len(body) * 3 // 2 + _ANSWER_BYTES + _ROW_BYTES * recording.rows)
