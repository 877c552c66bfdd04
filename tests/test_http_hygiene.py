"""HTTP hygiene: content types, GET, WebSocket subprotocols, introspection, the GraphiQL token (issue 4 points 2, 5)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from app.main import create_app
from app.settings import Settings
from tests.servers import inprocess_server

INTROSPECT = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/x-www-form-urlencoded", "query=%7B__typename%7D"),
    ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{__typename}\r\n--x--\r\n'),
    ("text/plain", '{"query": "{ __typename }"}'),
])
async def test_form_and_text_bodies_are_refused(http: httpx.AsyncClient, content_type: str, body: str) -> None:
    response = await http.post("/graphql", content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500
    assert "__typename" not in response.text or "data" not in response.text


async def test_get_runs_queries_only(http: httpx.AsyncClient) -> None:
    ok = await http.get("/graphql", params={"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}
    mutation = 'mutation { processTrash(input: {id: "0123456789abcdef0123456789abcdef"}) { errors { code } } }'
    refused = await http.get("/graphql", params={"query": mutation})
    assert refused.status_code in (400, 405)


async def test_introspection_is_on_by_default_and_can_be_turned_off(http: httpx.AsyncClient, settings: Settings,
                                                                   token: str) -> None:
    assert (await http.post("/graphql", json={"query": INTROSPECT})).json()["data"]["__schema"]["queryType"]["name"] \
        == "Query"
    app = create_app(replace(settings, introspection=False))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as closed:
        body = (await closed.post("/graphql", json={"query": INTROSPECT})).json()
    assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()


@pytest.mark.timeout(60)
async def test_legacy_graphql_ws_subprotocol_is_refused(settings: Settings, token: str) -> None:
    async with inprocess_server(create_app(settings)) as address:
        url = f"ws://{address}/graphql"
        with pytest.raises(websockets.exceptions.ConnectionClosed) as refused:
            async with websockets.connect(url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
                await ws.recv()
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4406  # subprotocol not acceptable
        async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            assert ws.subprotocol == "graphql-transport-ws"
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer pgt_nope"}}))
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"


@pytest.mark.timeout(60)
async def test_websocket_messages_are_text_frames(settings: Settings, token: str) -> None:
    """A browser's graphql-ws client (GraphiQL's) cannot read binary frames."""
    async with inprocess_server(create_app(settings)) as address, websockets.connect(
            f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        await ws.send(json.dumps({"type": "ping"}))
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { runSummary(runId: \"nope\") { status } }"}}))
        frames = [await ws.recv() for _ in range(3)]
    assert all(isinstance(frame, str) for frame in frames), frames
    assert [json.loads(frame)["type"] for frame in frames][:2] == ["connection_ack", "pong"]


async def _page(settings: Settings, **changes: Any) -> str:
    app = create_app(replace(settings, **changes), dev_token="pgt_demo-secret")
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return (await client.get("/graphql", headers={"Accept": "text/html"})).text


async def test_graphiql_carries_the_demo_token_only_in_development_on_loopback(settings: Settings) -> None:
    assert "Bearer pgt_demo-secret" in await _page(settings, host="127.0.0.1", dev_mode=True)
    assert "pgt_demo-secret" not in await _page(settings, host="0.0.0.0", dev_mode=True)
    assert "pgt_demo-secret" not in await _page(settings, host="192.168.1.5", dev_mode=True)
    assert "pgt_demo-secret" not in await _page(settings, host="127.0.0.1", dev_mode=False)
