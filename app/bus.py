"""Wake-ups for live subscriptions, within one gateway process and across several. Cross-cutting: every
domain may use it (it imports no domain).

A wake-up names a key: a run id for a run's events and summary; other domains use their own namespaced
keys (for example `user:<id>` for a person's notifications) so that keys never collide. Delivery never
depends on a wake-up's content: a woken subscriber reads what is new after its last sequence number from
the database, so a lost, late or doubled wake-up cannot lose or repeat anything. With PostgreSQL, a write
transaction calls `announce(conn, key)`, which runs `pg_notify` and so reaches every gateway process's
listener when (and only if) the transaction commits; each process LISTENs on one connection and wakes its
local subscribers. With SQLite (one process) the writer calls `bus.wake(key)` after its commit (writers do
that on PostgreSQL too, so subscribers of the same process wake without the round trip).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from app.connectivity import connect_args

log = logging.getLogger("processgraph.bus")
CHANNEL = "run_events"  # the one channel; the payload is the key


class WakeBus:
    """Per-key wake-up flags of this process's subscribers (one flag each: memory does not grow with events)."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, key: str) -> Iterator[asyncio.Event]:
        flag = asyncio.Event()
        self._watchers.setdefault(key, set()).add(flag)
        try:
            yield flag
        finally:
            watchers = self._watchers.get(key)
            if watchers is not None:
                watchers.discard(flag)
                if not watchers:
                    del self._watchers[key]

    def wake(self, key: str) -> None:
        for flag in self._watchers.get(key, ()):
            flag.set()

    @property
    def watcher_count(self) -> int:
        return sum(len(v) for v in self._watchers.values())


bus = WakeBus()


# The keys each open `announcements()` block has gathered, by connection. Not `conn.info`: reading that raises on a
# connection invalidated mid-statement (a cancellation, a lost backend), and the error would replace the real one.
_pending: weakref.WeakKeyDictionary[AsyncConnection, list[str]] = weakref.WeakKeyDictionary()


async def announce(conn: AsyncConnection, key: str, *more: str) -> None:
    """Inside a write transaction: wake the keys' subscribers on every gateway process once it commits
    (PostgreSQL; nothing on SQLite, where the writer wakes its own process's subscribers after the commit).
    Inside `announcements(conn)` (every `write_transaction`) the keys are gathered and sent in one statement
    just before the commit, however many writers of the transaction announce."""
    if conn.dialect.name != "postgresql":
        return
    pending = _pending.get(conn)
    if pending is not None:
        pending.extend((key, *more))
    else:
        await _notify(conn, [key, *more])


async def _notify(conn: AsyncConnection, keys: list[str]) -> None:
    if len(keys) == 1:
        await conn.execute(text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": keys[0]})
    else:
        await conn.execute(text("SELECT pg_notify(:channel, k) FROM unnest(CAST(:keys AS text[])) AS k"),
                           {"channel": CHANNEL, "keys": keys})


@contextlib.asynccontextmanager
async def announcements(conn: AsyncConnection) -> AsyncIterator[None]:
    """Gather the keys announced inside the block and announce them in one statement at its end (one round
    trip per write transaction instead of one per writer); nothing is announced when the block fails."""
    if conn.dialect.name != "postgresql":
        yield
        return
    pending = _pending[conn] = []
    try:
        yield
        if pending:
            await _notify(conn, list(dict.fromkeys(pending)))
    finally:
        _pending.pop(conn, None)


class PostgresListener:
    """LISTENs on the wake-up channel on one dedicated asyncpg connection and wakes local subscribers;
    reconnects when the connection drops (subscribers re-read from the database, so nothing is lost)."""

    def __init__(self, database_url: str, target: WakeBus) -> None:
        self.args = connect_args(database_url)
        self.target = target
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.target.wake(payload)

    async def _run(self) -> None:
        import asyncpg

        while True:
            try:
                conn = await asyncpg.connect(**self.args)
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _c, closed=closed: closed.set())
                try:
                    await conn.add_listener(CHANNEL, self._on_notify)
                    self.connected.set()
                    # A wake-up for every watched key covers whatever happened while (re)connecting.
                    for key in list(self.target._watchers):
                        self.target.wake(key)
                    await closed.wait()
                finally:
                    self.connected.clear()
                    with contextlib.suppress(Exception):
                        await conn.close()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database restarted or the network failed: retry
                log.warning("wake-up listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(1)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@contextlib.asynccontextmanager
async def listening(database_url: str) -> AsyncIterator[PostgresListener | None]:
    """Run a PostgreSQL listener for the lifetime of the app (nothing to do on SQLite)."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield None
        return
    listener = PostgresListener(database_url, bus)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()
