"""Graceful shutdown of one gateway (app/lifecycle.py, app/serve.py: GracefulServer): /readyz fails at once,
requests are still served while the load balancer notices, then WebSockets close with 1012 and the reconnect
reason, background tasks stop, and the process exits. The rolling restart behind HAProxy is
tests/test_rolling_restart.py."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from app.lifecycle import RESTART_CLOSE_CODE, RESTART_CLOSE_REASON
from app.main import create_app
from app.settings import Settings, load_settings
from tests.servers import running_server


@pytest.mark.once
@pytest.mark.timeout(120)
async def test_sigterm_fails_readyz_at_once_serves_while_settling_then_closes_sockets_with_1012(
        backend: str, db_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path, name="gw", database_url=db_url, SHUTDOWN_SETTLE_SECONDS="2") as server:
        address = server.base_url.removeprefix("http://")
        async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers, timeout=10) as http, \
                websockets.connect(f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": server.headers}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            assert (await http.get("/readyz")).status_code == 200

            # When the process gets SIGTERM
            server.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()

            # Then /readyz fails at once, and requests are still answered while it settles
            await asyncio.sleep(0.3)
            ready = await http.get("/readyz")
            assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
            query = await http.post("/graphql", json={"query": "{ viewer { user { id } } }"})
            assert query.status_code == 200 and "errors" not in query.json()

            # and after the settle time the socket is closed with 1012 and the reconnect reason
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(20):
                    await ws.recv()
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (RESTART_CLOSE_CODE, RESTART_CLOSE_REASON)
            assert time.monotonic() - signalled >= 1.9
        # and the process exits
        await asyncio.to_thread(server.process.wait, 30)
        assert "closed 1 WebSocket(s) with 1012" in server.output()


async def test_draining_fails_readyz_and_the_lifespan_stops_background_tasks(settings: Settings) -> None:
    app = create_app(settings)
    lifecycle = app.state.lifecycle
    stopped = asyncio.Event()

    async def deliver_forever() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            stopped.set()

    async with app.router.lifespan_context(app):
        task = lifecycle.start_background(deliver_forever(), name="delivery")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            assert (await http.get("/readyz")).status_code == 200
            lifecycle.begin_drain()
            assert (await http.get("/readyz")).status_code == 503
        assert not task.done()
    assert task.cancelled() and stopped.is_set()


@pytest.mark.parametrize("name", ["DRAIN_TIMEOUT_SECONDS", "SHUTDOWN_SETTLE_SECONDS", "KEEP_ALIVE_SECONDS"])
def test_bad_shutdown_settings_are_refused_by_name(name: str, tmp_path: Path) -> None:
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ValueError, match=name):
            load_settings({name: bad}, env_file=tmp_path / "none.env")
    assert load_settings({name: "0"}, env_file=tmp_path / "none.env") is not None
