"""Live run events over graphql-transport-ws (issue 6): replay then live, summaries, isolation, reconnect, caps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.typing import Subprotocol

from app.auth.service import create_token, create_user, create_workspace
from app.main import create_app
from app.settings import Settings
from tests.helpers import GraphQLClient
from tests.run.helpers import create_process, ok, people, read, start, task
from tests.servers import inprocess_server

EVENTS_SUB = "subscription($id: ID!, $after: Int!) { runEvents(runId: $id, afterSequence: $after) { sequence nodeId toValue } }"
SUMMARY_SUB = "subscription($id: ID!) { runSummary(runId: $id) { status statusCounts { status count } } }"


class Subscriber:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def subscribe(self, query: str, variables: dict[str, Any]) -> str:
        self.next_id += 1
        sid = str(self.next_id)
        await self.ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": {"query": query,
                                                                                  "variables": variables}}))
        return sid

    async def message(self) -> dict[str, Any]:
        async with asyncio.timeout(20):
            return dict(json.loads(await self.ws.recv()))

    async def events_until(self, last: int) -> list[int]:
        got: list[int] = []
        while not got or got[-1] < last:
            msg = await self.message()
            assert msg["type"] == "next", msg
            got.append(msg["payload"]["data"]["runEvents"]["sequence"])
        return got


@asynccontextmanager
async def connect(address: str, token: str, **kwargs: Any) -> AsyncIterator[Subscriber]:
    async with websockets.connect(f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")],
                                  **kwargs) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield Subscriber(ws)


async def _last_seq(gql: GraphQLClient, run_id: str) -> int:
    data = await gql("query($id: ID!) { processRun(id: $id) { events(first: 1000) { edges { node { sequence } } } } }",
                     {"id": run_id})
    return int(data["processRun"]["events"]["edges"][-1]["node"]["sequence"])


async def _busy_run(gql: GraphQLClient, engine: AsyncEngine, settings: Settings, jobs: int) -> tuple[str, Any, dict]:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
        task(f"t{i}", p.id("ann")) for i in range(jobs)]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    return run["id"], p, nodes


@pytest.mark.once
@pytest.mark.timeout(120)
async def test_replay_then_live_without_gap_or_duplicate(backend: str, gql: GraphQLClient, engine: AsyncEngine,
                                                         settings: Settings, token: str) -> None:
    run_id, p, nodes = await _busy_run(gql, engine, settings, 150)
    async with inprocess_server(create_app(replace(settings, subscription_page_events=7))) as address, \
            connect(address, token) as sub:
        await sub.subscribe(EVENTS_SUB, {"id": run_id, "after": 0})
        # write more events while the replay of the first ones is still streaming
        async def write() -> None:
            for i in range(0, 150, 3):
                await ok(p["ann"], "jobRunSubmit", {"id": nodes[f"t{i}"]["id"]})
        writer = asyncio.create_task(write())
        first = await sub.message()
        await writer
        last = await _last_seq(gql, run_id)
        got = [first["payload"]["data"]["runEvents"]["sequence"], *await sub.events_until(last)]
    assert got == list(range(1, last + 1))


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(120)
async def test_in_process_delivery_on_sqlite(backend: str, gql: GraphQLClient, engine: AsyncEngine,
                                             settings: Settings, token: str) -> None:
    run_id, p, nodes = await _busy_run(gql, engine, settings, 3)
    async with inprocess_server(create_app(settings)) as address, connect(address, token) as sub:
        after = await _last_seq(gql, run_id)
        await sub.subscribe(EVENTS_SUB, {"id": run_id, "after": after})
        await ok(p["ann"], "jobRunSubmit", {"id": nodes["t0"]["id"]})
        last = await _last_seq(gql, run_id)
        assert await sub.events_until(last) == list(range(after + 1, last + 1))


@pytest.mark.once
@pytest.mark.timeout(120)
async def test_summary_follows_changes(backend: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings,
                                       token: str) -> None:
    run_id, p, nodes = await _busy_run(gql, engine, settings, 2)
    async with inprocess_server(create_app(settings)) as address, connect(address, token) as sub:
        await sub.subscribe(SUMMARY_SUB, {"id": run_id})
        first = (await sub.message())["payload"]["data"]["runSummary"]
        assert first["status"] == "RUNNING" and {c["status"]: c["count"] for c in first["statusCounts"]}["RUNNING"] == 2
        await ok(p["ann"], "jobRunSubmit", {"id": nodes["t0"]["id"]})
        second = (await sub.message())["payload"]["data"]["runSummary"]
        assert {c["status"]: c["count"] for c in second["statusCounts"]}["COMPLETE"] == 1


@pytest.mark.once
@pytest.mark.timeout(120)
async def test_reconnect_with_the_last_sequence_loses_nothing(backend: str, gql: GraphQLClient,
                                                              engine: AsyncEngine, settings: Settings,
                                                              token: str) -> None:
    run_id, p, nodes = await _busy_run(gql, engine, settings, 6)
    seen: list[int] = []
    async with inprocess_server(create_app(settings)) as address:
        async with connect(address, token) as sub:
            await sub.subscribe(EVENTS_SUB, {"id": run_id, "after": 0})
            seen += await sub.events_until(await _last_seq(gql, run_id))
            await ok(p["ann"], "jobRunSubmit", {"id": nodes["t0"]["id"]})
            seen.append((await sub.message())["payload"]["data"]["runEvents"]["sequence"])
        # disconnected in the middle of the run: more transitions happen
        for i in range(1, 6):
            await ok(p["ann"], "jobRunSubmit", {"id": nodes[f"t{i}"]["id"]})
        async with connect(address, token) as sub:
            await sub.subscribe(EVENTS_SUB, {"id": run_id, "after": seen[-1]})
            seen += await sub.events_until(await _last_seq(gql, run_id))
    assert seen == list(range(1, await _last_seq(gql, run_id) + 1))


@pytest.mark.once
@pytest.mark.timeout(120)
async def test_other_workspaces_and_unknown_runs_are_refused_alike(backend: str, gql: GraphQLClient,
                                                                   engine: AsyncEngine, settings: Settings) -> None:
    run_id, _, _ = await _busy_run(gql, engine, settings, 1)
    other = await create_workspace(engine, name="Other")
    stranger = await create_user(engine, workspace_id=other, name="Stranger", email="s@x")
    _, their_token = await create_token(engine, user_id=stranger, scopes=["read"])
    async with inprocess_server(create_app(settings)) as address, connect(address, their_token) as sub:
        answers = []
        for probe in (run_id, "0123456789abcdef0123456789abcdef"):
            sid = await sub.subscribe(EVENTS_SUB, {"id": probe, "after": 0})
            msg = await sub.message()
            assert msg["type"] == "error" or msg["payload"].get("errors"), msg
            if msg["type"] == "next":
                assert (await sub.message())["type"] == "complete"
            answers.append(json.dumps(msg).replace(probe, "<ID>").replace(f'"id": "{sid}"', ""))
    assert answers[0] == answers[1] and "NOT_FOUND" in answers[0]


@pytest.mark.once
@pytest.mark.timeout(120)
async def test_subscription_caps(backend: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings,
                                 token: str) -> None:
    run_id, _, _ = await _busy_run(gql, engine, settings, 1)
    capped = replace(settings, max_subscriptions_per_connection=2, max_subscriptions_per_token=3)
    async with inprocess_server(create_app(capped)) as address, connect(address, token) as one:
        for _ in range(2):
            await one.subscribe(EVENTS_SUB, {"id": run_id, "after": 1_000_000})
        await one.subscribe(EVENTS_SUB, {"id": run_id, "after": 1_000_000})
        refused = await one.message()
        assert refused["type"] == "error" and "limit" in json.dumps(refused).lower()
        async with connect(address, token) as two:
            await two.subscribe(EVENTS_SUB, {"id": run_id, "after": 1_000_000})
            await asyncio.sleep(0.3)
            await two.subscribe(EVENTS_SUB, {"id": run_id, "after": 1_000_000})
            over = await two.message()
            assert "LIMIT_EXCEEDED" in json.dumps(over) and "subscriptionsPerToken" in json.dumps(over)


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_events_written_on_one_gateway_reach_subscribers_on_another(
    backend: str, db_url: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings, token: str,
    tmp_path: Any,
) -> None:
    import httpx

    from tests.servers import running_server

    run_id, p, nodes = await _busy_run(gql, engine, settings, 12)
    _, ann_token = await create_token(engine, user_id=p.id("ann"), scopes=["read", "write"])
    with running_server(tmp_path, name="first", database_url=db_url) as first, \
            running_server(tmp_path, name="second", database_url=db_url) as second:
        address = first.base_url.removeprefix("http://")
        async with connect(address, token) as sub, httpx.AsyncClient(timeout=30) as http:
            await sub.subscribe(EVENTS_SUB, {"id": run_id, "after": 0})
            for i in range(12):
                response = await http.post(f"{second.base_url}/graphql", headers={"Authorization": f"Bearer {ann_token}"},
                                           json={"query": "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code } } }",
                                                 "variables": {"id": nodes[f"t{i}"]["id"]}})
                assert response.json()["data"]["jobRunSubmit"]["errors"] == []
            last = await _last_seq(gql, run_id)
            assert await sub.events_until(last) == list(range(1, last + 1))


@pytest.mark.once
@pytest.mark.timeout(180)
async def test_a_subscriber_that_stops_reading_is_closed_with_a_bounded_buffer(
    backend: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings, token: str
) -> None:
    """A stalled client (tiny receive buffer, not reading) behind enough event bytes to fill the kernel's
    buffers: the server reads at most one page of events ahead, then closes the connection with 4008."""
    from sqlalchemy import insert, update

    from app.db import table
    from app.graphql.live import STALL_CLOSE_CODE, SubscriptionStats
    from app.ids import new_id
    from app.run.models import ProcessRun, RunEvent

    run_id, _, nodes = await _busy_run(gql, engine, settings, 1)
    start_seq = await _last_seq(gql, run_id)
    total = 4000
    filler = "x" * 2000  # 4000 events of ~2 KB: more than the socket buffers hold
    async with engine.begin() as conn:
        await conn.execute(insert(table(RunEvent)), [{
            "id": new_id(), "run_id": run_id, "seq": start_seq + i, "node_id": nodes["t0"]["id"],
            "node_kind": "job", "field": "status", "from_value": "running", "to_value": "running",
            "user_id": None, "at": datetime.now(UTC), "comment": filler} for i in range(1, total + 1)])
        await conn.execute(update(table(ProcessRun)).where(table(ProcessRun).c.id == run_id)
                           .values(event_seq=start_seq + total))
    SubscriptionStats.max_buffered = 0
    tight = replace(settings, subscription_page_events=10, subscription_buffer_events=50,
                    subscription_stall_seconds=1.0)
    query = ("subscription($id: ID!, $after: Int!) { runEvents(runId: $id, afterSequence: $after) "
             "{ sequence comment } }")
    async with inprocess_server(create_app(tight)) as address:
        client = await asyncio.to_thread(_StalledClient, address, token, query, run_id)
        try:
            await asyncio.sleep(4)  # not reading: the server blocks on send, the watchdog fires
            assert SubscriptionStats.max_buffered <= 10, "the server read at most one page ahead"
            code, reason, received = await asyncio.to_thread(client.drain)
        finally:
            client.sock.close()
    assert code == STALL_CLOSE_CODE and "too slow" in reason.lower()
    assert received < total + start_seq  # closed before everything was sent
    assert SubscriptionStats.max_buffered <= 10


class _StalledClient:
    """A graphql-transport-ws client on a raw socket with a tiny receive buffer that stops reading after
    subscribing (no client library reading ahead on its behalf)."""

    def __init__(self, address: str, token: str, query: str, run_id: str,
                 variables: dict[str, Any] | None = None) -> None:
        import socket

        from websockets.client import ClientProtocol
        from websockets.frames import Frame
        from websockets.uri import parse_uri

        self.frame_type = Frame
        host, port = address.split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(30)
        self.sock.connect((host, int(port)))
        self.proto = ClientProtocol(parse_uri(f"ws://{address}/graphql"),
                                    subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None)
        self.proto.send_request(self.proto.connect())
        self._flush()
        while self.proto.handshake_exc is None and not self._events():
            self.proto.receive_data(self.sock.recv(4096))
        self.pending = self._events()
        self._send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        while not any(json.loads(e.data)["type"] == "connection_ack" for e in self.pending if e.data):
            self.proto.receive_data(self.sock.recv(4096))
            self.pending += self._events()
        self._send({"id": "1", "type": "subscribe", "payload": {"query": query,
                                                                "variables": variables or {"id": run_id, "after": 0}}})

    def _events(self) -> list[Any]:
        return list(self.proto.events_received())

    def _flush(self) -> None:
        for chunk in self.proto.data_to_send():
            self.sock.sendall(chunk)

    def _send(self, message: dict[str, Any]) -> None:
        self.proto.send_text(json.dumps(message).encode())
        self._flush()

    def drain(self) -> tuple[int | None, str, int]:
        """Read everything: (close code, close reason, how many `next` messages came first)."""
        received = sum(1 for e in self.pending if e.data and json.loads(e.data).get("type") == "next")
        while True:
            data = self.sock.recv(1 << 16)
            if not data:
                self.proto.receive_eof()
            else:
                self.proto.receive_data(data)
            for event in self._events():
                if event.opcode.name == "TEXT" and json.loads(event.data).get("type") == "next":
                    received += 1
            if self.proto.close_rcvd is not None:
                return self.proto.close_rcvd.code, self.proto.close_rcvd.reason, received
            if not data:
                return None, "", received
