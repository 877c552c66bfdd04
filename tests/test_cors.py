"""Cross-origin access for browser front ends (issue 14 point 1): an exact origin list for CORS and for
WebSocket handshakes, bearer tokens only (no credentials mode). The browser test of the reference web
client drives the same policy from a real page on another origin."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
import websockets
from websockets.typing import Origin, Subprotocol

from app.main import create_app
from app.settings import Settings, SettingsError, load_settings
from tests.servers import inprocess_server

APP = "https://app.example.test"
OTHER = "https://evil.example.test"
QUERY = {"query": "{ viewer { user { id } } }"}


@asynccontextmanager
async def client(settings: Settings, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test", headers=headers) as http:
        yield http


def preflight(origin: str, headers: str = "authorization,content-type", method: str = "POST") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


async def test_preflight_succeeds_for_listed_origins_only(settings: Settings) -> None:
    async with client(replace(settings, cors_origins=(APP,))) as http:
        # a listed origin may POST with Authorization and Content-Type
        ok = await http.options("/graphql", headers=preflight(APP))
        assert ok.status_code == 200, ok.text
        assert ok.headers["access-control-allow-origin"] == APP
        assert {m.strip() for m in ok.headers["access-control-allow-methods"].split(",")} >= {"GET", "POST"}
        allowed = {h.strip().lower() for h in ok.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
        # and with the LSN of its last write (read-your-writes with standbys, docs/operations.md)
        lsn = await http.options("/graphql", headers=preflight(APP, "authorization,content-type,x-processgraph-lsn"))
        assert lsn.status_code == 200, lsn.text
        # no credentials mode: bearer tokens only, never cookies
        assert "access-control-allow-credentials" not in ok.headers
        # an origin not on the list, a near miss of a listed one, and a header we do not allow all fail
        for origin in (OTHER, APP + ":8443", APP.replace("https", "http"), "null"):
            refused = await http.options("/graphql", headers=preflight(origin))
            assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers, origin
        refused = await http.options("/graphql", headers=preflight(APP, "authorization,x-custom"))
        assert refused.status_code == 400
        refused = await http.options("/graphql", headers=preflight(APP, method="PUT"))
        assert refused.status_code == 400
        # the REST door's PATCH and DELETE (with If-Match) are allowed to listed origins
        for method in ("PATCH", "DELETE"):
            rest = await http.options("/v1/processes/x", headers=preflight(APP, "authorization,if-match", method))
            assert rest.status_code == 200 and rest.headers["access-control-allow-origin"] == APP, method


async def test_responses_carry_cors_headers_for_listed_origins(settings: Settings, token: str) -> None:
    async with client(replace(settings, cors_origins=(APP,)), token) as http:
        response = await http.post("/graphql", json=QUERY, headers={"Origin": APP})
        assert response.status_code == 200 and response.json()["data"]["viewer"]["user"]["id"]
        assert response.headers["access-control-allow-origin"] == APP
        exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
        assert "x-request-id" in exposed and response.headers["x-request-id"]
        assert "x-processgraph-lsn" in exposed  # a write's LSN, for the page's next reads
        assert "access-control-allow-credentials" not in response.headers and "set-cookie" not in response.headers
        # an unlisted origin gets its answer without CORS headers, which a browser refuses to hand to the page
        response = await http.post("/graphql", json=QUERY, headers={"Origin": OTHER})
        assert "access-control-allow-origin" not in response.headers


async def test_gateway_refusals_are_readable_by_listed_origins(settings: Settings, token: str) -> None:
    """401, 413 and 429 come from the gateway middleware, inside CORS: a browser page can read them."""
    strict = replace(settings, cors_origins=(APP,), max_body_bytes=200, rate_limit_per_second=0.01,
                     rate_limit_burst=1)
    async with client(strict) as http:
        unauthenticated = await http.post("/graphql", json=QUERY, headers={"Origin": APP})
        assert unauthenticated.status_code == 401 and unauthenticated.json()["code"] == "UNAUTHENTICATED"
        assert unauthenticated.headers["access-control-allow-origin"] == APP
        too_large = await http.post("/graphql", content=b"{" + b" " * 500 + b"}",
                                    headers={"Origin": APP, "Content-Type": "application/json",
                                             "Authorization": f"Bearer {token}"})
        assert too_large.status_code == 413 and too_large.headers["access-control-allow-origin"] == APP
        headers = {"Origin": APP, "Authorization": f"Bearer {token}"}
        assert (await http.post("/graphql", json=QUERY, headers=headers)).status_code == 200
        limited = await http.post("/graphql", json=QUERY, headers=headers)
        assert limited.status_code == 429 and limited.headers["access-control-allow-origin"] == APP
        assert "retry-after" in limited.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize(("dev_mode", "host", "allowed"), [
    (True, "127.0.0.1", True), (True, "localhost", True), (False, "127.0.0.1", False), (True, "0.0.0.0", False)])
async def test_development_mode_on_loopback_allows_the_reference_client(
    settings: Settings, dev_mode: bool, host: str, allowed: bool
) -> None:
    async with client(replace(settings, dev_mode=dev_mode, host=host)) as http:
        for origin in ("http://localhost:5173", "http://127.0.0.1:5173"):
            response = await http.options("/graphql", headers=preflight(origin))
            assert (response.status_code == 200) is allowed, (origin, response.status_code)
        assert (await http.options("/graphql", headers=preflight("http://localhost:5174"))).status_code == 400


def test_cors_origins_setting_is_an_exact_list_refused_when_malformed() -> None:
    env = {"CORS_ORIGINS": " https://App.Example.test , http://localhost:5173,https://a.test:443,"
                           "http://[::1]:8080 ,https://app.example.test"}
    assert load_settings(env=env, env_file=None).cors_origins == (
        "https://app.example.test", "http://localhost:5173", "https://a.test", "http://[::1]:8080")
    assert load_settings(env={}, env_file=None).cors_origins == ()
    for bad in ("*", "https://*.example.test", "https://app.example.test/", "app.example.test",
                "ftp://files.test", "https://app.example.test/path", "https://user@app.test", "https://a.test:99999"):
        with pytest.raises(SettingsError, match="CORS_ORIGINS"):
            load_settings(env={"CORS_ORIGINS": bad}, env_file=None)


async def _handshake(address: str, token: str, origin: str | None) -> str:
    """The first answer of a graphql-transport-ws handshake with this Origin (None: the header is not sent)."""
    try:
        async with websockets.connect(f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")],
                                      origin=None if origin is None else Origin(origin), open_timeout=10) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
            return str(json.loads(await ws.recv())["type"])
    except websockets.InvalidStatus as exc:
        return f"HTTP {exc.response.status_code}"


async def test_websocket_upgrades_from_unlisted_origins_are_refused(settings: Settings, token: str) -> None:
    app = create_app(replace(settings, cors_origins=(APP,)))
    async with inprocess_server(app) as address:
        assert await _handshake(address, token, APP) == "connection_ack"
        assert await _handshake(address, token, f"http://{address}") == "connection_ack"  # the gateway's own
        assert await _handshake(address, token, None) == "connection_ack"  # scripts send no Origin
        assert await _handshake(address, token, "http://localhost:5173") == "connection_ack"  # dev mode, loopback
        for origin in (OTHER, "http://127.0.0.1:1", "null"):
            assert await _handshake(address, token, origin) == "HTTP 403", origin
