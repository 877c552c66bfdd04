"""Standbys that serve reads (issue 30): PostgreSQL streaming replicas named by READ_DATABASE_URLS.

Queries and REST GETs read from a standby (`Replicas.engine_for`, asked once per request, so that every
statement of a request goes to one server); writes, LISTEN/NOTIFY, the outbox, the scheduler, subscriptions
and token lookups stay on the primary, since they never ask here.

Which standby may serve a read:
- one the probe reached last round, still in recovery (a promoted standby is no longer a copy of the
  primary), and whose replay is at most MAX_REPLICA_LAG seconds behind: every PROBE_SECONDS the probe reads
  the primary's WAL position, then each standby's replayed position, and a standby is as fresh as the
  newest primary position it has replayed (so an idle primary does not make a standby look late);
- for a read that brings a write's LSN (app/lsn.py), one that has replayed that LSN: the request waits up to
  REPLICA_WAIT_SECONDS, probing without pause, then goes to the primary.

A standby that cannot be reached serves nothing and fails nothing: each standby's engine makes its
connections through `_connect`, which, once the standby refused one, connects to the primary instead for
the rest of that engine's life. A read whose standby connection is lost is retried once on a fresh
connection (app/connectivity.py, app/db.py fetch_plain), so it runs again on the primary. The primary is
always at least as new as any standby, so a request that starts on a standby and ends on the primary still
reads rows as new as the versions it read first, which is what the caches' keys rest on (app/fast/cache.py).
Once the probe reaches the standby again, a new engine (a new generation) connects to it; requests that
hold the old one keep reading from the primary.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.sqlalchemy import forget_generation
from app.connectivity import connect_args, is_unavailable
from app.db import create_engine
from app.lsn import parse_lsn
from app.settings import Settings

log = logging.getLogger("processgraph.replicas")

PROBE_SECONDS = 0.5  # at most; a quarter of MAX_REPLICA_LAG when that is shorter
CONNECT_SECONDS = 2.0  # a standby that does not answer a connection in this time is taken as down
HISTORY = 64  # primary positions remembered, newest first (over HISTORY probe rounds)
HURRIED_GAP_SECONDS = 0.002  # between probe rounds while reads wait for an LSN
RETIRED = 4  # engines of a standby's earlier generations disposed of once more later (Standby._retire)
# Where a GraphQL request keeps the engine chosen for it (its ASGI scope): all its operations, and a kept
# answer's statements, read the same server.
READ_ENGINE = "processgraph_read_engine"


class _Probe:
    """One asyncpg connection of the probe's own, opened again after any failure."""

    def __init__(self, url: str) -> None:
        self.args = connect_args(url)  # the primary's may name several hosts (a failover's, app/connectivity.py)
        self.conn: Any = None

    async def row(self, sql: str) -> Any:
        """The statement's one row; None when the server could not answer it (whatever the reason: a probe
        never raises, it finds the server unusable)."""
        try:
            if self.conn is None or self.conn.is_closed():
                self.conn = await asyncpg.connect(**self.args, timeout=CONNECT_SECONDS, statement_cache_size=0)
            return await self.conn.fetchrow(sql, timeout=CONNECT_SECONDS)
        except Exception as exc:
            log.debug("probe of %s:%s failed: %s: %s", self.args.get("host"), self.args.get("port"), type(exc).__name__, exc)
            await self.close()
            return None

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.terminate()


class _Generation:
    """One engine's connections: to the standby while `alive`, to the primary once one was refused."""

    __slots__ = ("alive",)

    def __init__(self) -> None:
        self.alive = True


class Standby:
    """One standby: its engine for reads, and what the last probe found."""

    def __init__(self, url: str, settings: Settings, primary: dict[str, Any],
                 instrument: Callable[[AsyncEngine], None]) -> None:
        self.url, self.settings, self.primary, self.instrument = url, settings, primary, instrument
        self.where = make_url(url).render_as_string(hide_password=True).split("@")[-1]
        self.probe = _Probe(url)
        self.up = False
        self.replay_lsn = 0
        self.fresh_at = float("-inf")  # the monotonic time of the newest primary position it has replayed
        self.retired: list[AsyncEngine] = []
        self.generation = _Generation()
        self.engine = self._engine(self.generation)

    def _engine(self, generation: _Generation) -> AsyncEngine:
        async def connect(*args: Any, **kwargs: Any) -> Any:
            if generation.alive:
                try:
                    return await asyncpg.connect(*args, **{"timeout": CONNECT_SECONDS, **kwargs})
                except Exception as exc:
                    if not is_unavailable(exc):
                        raise
                    generation.alive, self.up = False, False
                    # Its pooled connections to the standby are not handed out again either: from now on a
                    # request on this engine reads the primary only, never the standby after the primary.
                    forget_generation(engine.sync_engine.pool, None, exc)
                    log.warning("standby %s unreachable (%s: %s); its reads go to the primary", self.where,
                                type(exc).__name__, str(exc)[:200])
            return await asyncpg.connect(**{**kwargs, **self.primary})

        engine = create_engine(self.settings, url=self.url, connect_args={"async_creator_fn": connect})
        self.instrument(engine)
        return engine

    async def look(self, history: deque[tuple[float, int]]) -> None:
        """One probe: reachable, still a standby, and how far it has replayed."""
        row = await self.probe.row("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
        if row is None or not row[0]:
            if self.up:
                log.warning("standby %s %s; its reads go to the primary", self.where,
                            "unreachable" if row is None else "is no longer in recovery")
            self.up = False
            return
        self.replay_lsn = parse_lsn(row[1] or "") or 0
        for at, position in history:
            if position <= self.replay_lsn:
                self.fresh_at = max(self.fresh_at, at)
                break
        if not self.generation.alive:  # back: a new engine connects to it again
            await self._retire(self.engine)
            self.generation = _Generation()
            self.engine = self._engine(self.generation)
            log.info("standby %s reachable again", self.where)
        self.up = True

    async def _retire(self, engine: AsyncEngine) -> None:
        """An engine no new request is given. Disposing of it closes the connections in its pool and gives it an
        empty one: requests that still hold it go on, on new connections (to the primary: its generation is
        over), which the next disposal closes. The last RETIRED are kept to be disposed of once more."""
        await engine.dispose()
        self.retired.append(engine)
        if len(self.retired) > RETIRED:
            await self.retired.pop(0).dispose()

    async def close(self) -> None:
        await self.probe.close()
        for engine in (*self.retired, self.engine):
            await engine.dispose()


class Replicas:
    """The standbys of one gateway process and their probe; `engine_for` picks a request's engine."""

    def __init__(self, settings: Settings, primary: AsyncEngine, instrument: Callable[[AsyncEngine], None]) -> None:
        self.primary = primary
        primary_args = connect_args(settings.database_url)
        self.standbys = [Standby(url, settings, primary_args, instrument)
                         for url in settings.read_database_urls]
        self.primary_probe = _Probe(settings.database_url)
        self.max_lag = settings.max_replica_lag
        self.wait = settings.replica_wait_seconds
        self.interval = min(PROBE_SECONDS, self.max_lag / 4)
        self.history: deque[tuple[float, int]] = deque(maxlen=HISTORY)
        self.turn = 0
        self.to_standby = self.to_primary = 0  # requests given each (/metrics)
        self.retried = 0  # requests a standby failed, run again on the primary (/metrics)
        self.hurry = asyncio.Event()
        self.round = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Probe once (so the first requests may use the standbys), then every PROBE_SECONDS."""
        await self.look()
        self.task = asyncio.create_task(self._probing(), name="processgraph-replica-probe")

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.wait([self.task])
        await self.primary_probe.close()
        for standby in self.standbys:
            await standby.close()

    async def _probing(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.hurry.wait(), self.interval)
                await asyncio.sleep(HURRIED_GAP_SECONDS)
            except TimeoutError:
                pass
            self.hurry.clear()
            try:
                await self.look()
            except Exception:  # never ends the loop: the next round looks again
                log.warning("the replica probe failed a round", exc_info=True)

    async def look(self) -> None:
        """One round: the primary's WAL position, then how far each standby replayed."""
        at = time.monotonic()
        row = await self.primary_probe.row("SELECT pg_current_wal_lsn()::text")
        if row is not None and (lsn := parse_lsn(row[0])) is not None:
            self.history.appendleft((at, lsn))
        await asyncio.gather(*(standby.look(self.history) for standby in self.standbys))
        done, self.round = self.round, asyncio.Event()
        done.set()

    def usable(self, lsn: int = 0) -> list[Standby]:
        now = time.monotonic()
        return [s for s in self.standbys if s.up and now - s.fresh_at <= self.max_lag and s.replay_lsn >= lsn]

    async def engine_for(self, lsn_header: str | None) -> AsyncEngine:
        """The engine of one read request: a usable standby's (one that replayed the LSN the request brings,
        waiting up to REPLICA_WAIT_SECONDS for one), else the primary's. A malformed LSN reads the primary."""
        chosen = await self._choose(lsn_header)
        if chosen is None:
            self.to_primary += 1
            return self.primary
        self.to_standby += 1
        return chosen.engine

    async def _choose(self, lsn_header: str | None) -> Standby | None:
        lsn = 0
        if lsn_header is not None:
            parsed = parse_lsn(lsn_header)
            if parsed is None:
                return None
            lsn = parsed
        deadline = time.monotonic() + self.wait
        while True:
            found = self.usable(lsn)
            if found:
                self.turn += 1
                return found[self.turn % len(found)]
            remaining = deadline - time.monotonic()
            if not lsn or remaining <= 0 or not self.usable():
                return None
            self.hurry.set()
            try:
                await asyncio.wait_for(self.round.wait(), remaining)
            except TimeoutError:
                return None
