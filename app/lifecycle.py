"""A gateway process's life after start-up: serving, then draining (from the first SIGTERM), then stopped.

What draining means (the order is what lets a load balancer take a gateway out without a failed request):
1. `/readyz` answers 503 at once (`begin_drain`, safe to call from a signal handler: it only sets a flag).
2. The server keeps serving for `SHUTDOWN_SETTLE_SECONDS`, the time the balancer needs to see the failed
   health check and stop sending new requests here (app/serve.py: GracefulServer).
3. It stops accepting, closes every open WebSocket with code 1012 (`RESTART_CLOSE_CODE`, "Service Restart")
   and a reason telling the client to reconnect with its last sequence (`close_sockets`), lets requests in
   flight finish within `DRAIN_TIMEOUT_SECONDS`, then runs the application's shutdown: the lifespan stops
   background tasks (`stop_background`), the wake-up listener and the database pool.

Background work (a delivery loop, say) is started with `start_background` from the lifespan; it may watch
`draining` to stop taking new work early, and it is cancelled once the requests have drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Coroutine
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger("processgraph.lifecycle")
RESTART_CLOSE_CODE = 1012  # RFC 6455 registry: "Service Restart"
RESTART_CLOSE_REASON = "Service restart: reconnect and resume after the last sequence you received"


class Lifecycle:
    """One per application: the draining flag, the open WebSockets, the background tasks."""

    def __init__(self) -> None:
        self.draining = False
        self._sockets: weakref.WeakSet[WebSocket] = weakref.WeakSet()
        self._tasks: set[asyncio.Task[Any]] = set()

    def begin_drain(self) -> None:
        """From now on /readyz fails. Only sets a flag, so a signal handler may call it."""
        self.draining = True

    def track(self, websocket: WebSocket) -> None:
        """An accepted WebSocket, to be closed with the restart code when the process drains."""
        self._sockets.add(websocket)

    async def close_sockets(self) -> int:
        """Close every open WebSocket with 1012 and the reconnect reason; returns how many."""
        closed = 0
        for websocket in list(self._sockets):
            if (websocket.application_state == WebSocketState.CONNECTED
                    and websocket.client_state == WebSocketState.CONNECTED):
                with contextlib.suppress(Exception):  # the peer may be gone already
                    await websocket.close(code=RESTART_CLOSE_CODE, reason=RESTART_CLOSE_REASON)
                    closed += 1
        return closed

    def start_background(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `coro` until the application shuts down (call from the lifespan, after start-up)."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop_background(self, wait_seconds: float = 10.0) -> None:
        """Cancel the background tasks and wait for them (at most `wait_seconds`)."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=wait_seconds)
            for task in pending:
                log.error("background task %s did not stop within %.0f s", task.get_name(), wait_seconds)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("background task %s failed", task.get_name(), exc_info=task.exception())
