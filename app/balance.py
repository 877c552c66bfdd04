"""Keep-alive connections spread over the worker processes of `scripts/serve --workers N`.

The workers share one listening socket, and the worker that wakes first accepts every connection waiting
in the queue: 16 clients connecting at once landed 2/14, 3/13 or 6/10 on two workers (measured), and the
busy worker, limited to one core, served most requests while the other idled (600 against 950 requests/s
for an even split). So each worker publishes how many connections it holds in memory shared with the
others; a worker holding more than its fair share (all open connections over the workers, rounded up)
answers one response with `Connection: close`, at most one every 50 ms. The client opens a new connection
(as HTTP/1.1 clients do after `Connection: close`), which the worker that is free first accepts: usually the
less busy one, and if not, the next round closes again. A single worker (the default) has no balancer.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Sized
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

INTERVAL_SECONDS = 0.05
_FIELDS = 2  # per worker slot: pid, open connections


def shared_counts(workers: int) -> Any:
    """The shared slots, made by the supervisor before it starts the workers (uvicorn spawns them)."""
    return multiprocessing.get_context("spawn").Array("q", _FIELDS * workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Balancer:
    """One worker's view: its slot in `shared` and its open connections (uvicorn's set of them)."""

    def __init__(self, shared: Any, connections: Sized, *, pid: int | None = None,
                 interval: float = INTERVAL_SECONDS) -> None:
        self._shared = shared
        self._raw = shared.get_obj()  # reads, and writes of this worker's own slot, need no lock
        self._workers = len(self._raw) // _FIELDS
        self._connections = connections
        self._interval = interval
        self._next = 0.0
        self._ticking = False
        self.slot = self._claim(os.getpid() if pid is None else pid)

    def _claim(self, pid: int) -> int:
        """A slot that no live worker holds (a restarted worker takes over the slot of the one it replaces)."""
        raw = self._raw
        with self._shared.get_lock():
            for slot in range(self._workers):
                holder = raw[slot * _FIELDS]
                if holder in (0, pid) or not _alive(holder):
                    raw[slot * _FIELDS], raw[slot * _FIELDS + 1] = pid, 0
                    return slot
        raise RuntimeError(f"all {self._workers} worker slots are held by live processes")

    def publish(self) -> int:
        """Write this worker's open connections to its slot; returns them."""
        mine = len(self._connections)
        self._raw[self.slot * _FIELDS + 1] = mine
        return mine

    def _tick(self) -> None:
        # Between responses too, so that an idle worker's count does not go stale.
        self.publish()
        asyncio.get_running_loop().call_later(self._interval, self._tick)

    def should_close(self) -> bool:
        """Whether this response should close its connection so that the client reconnects elsewhere."""
        mine = self.publish()
        if not self._ticking:
            self._ticking = True
            asyncio.get_running_loop().call_later(self._interval, self._tick)
        now = time.monotonic()
        if now < self._next:
            return False
        raw = self._raw
        total = sum(raw[slot * _FIELDS + 1] for slot in range(self._workers))
        if mine <= -(-total // self._workers):
            return False
        self._next = now + self._interval
        return True


_installed: Balancer | None = None


def install(balancer: Balancer) -> None:
    """This worker process's balancer (set before its application is built)."""
    global _installed
    _installed = balancer


def installed() -> Balancer | None:
    return _installed


def balanced(app: ASGIApp, balancer: Balancer) -> ASGIApp:
    """`app` with `Connection: close` on the HTTP responses that `balancer` picks."""

    async def balanced_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_balanced(message: Message) -> None:
            if message["type"] == "http.response.start" and balancer.should_close():
                message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_balanced)

    return balanced_app
