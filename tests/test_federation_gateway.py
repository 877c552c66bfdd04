"""End to end through a router (issue 31 point 1; docs/federation.md): the gateway with FEDERATION on, a
second small subgraph that extends `User` with a `badge` (tests/federation/badges.py), both composed by the
Guild's composer from their `_service { sdl }` and served by Hive Gateway; queries that cross both
subgraphs, one from each side (the second through our `_entities`), answer through it with the client's
bearer token forwarded, and ours refuses without one.

The composer and Hive Gateway are pinned by tests/federation/package-lock.json and installed by scripts/test
(`npm ci`). Every process this test starts is stopped when it ends.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.settings import ROOT
from tests.federation.badges import app as badges_app
from tests.servers import Server, free_port, inprocess_server, running_server, stop

PACKAGES = ROOT / "tests" / "federation"
ROUTER_STARTUP_SECONDS = 60.0
CROSSING = "query Crossing { viewer { user { id name badge } } }"
# Starts in the badges subgraph; the router asks ours for the name through `_entities`.
HOLDER = "query Holder($id: ID!) { holder(id: $id) { id badge name } }"


def node_tool(name: str) -> Path:
    tool = PACKAGES / "node_modules" / ".bin" / name
    if not tool.exists():
        pytest.fail(f"{tool} is missing: scripts/test (or scripts/install --dev) installs tests/federation's "
                    "pinned packages with npm ci")
    return tool


async def service_sdl(url: str, headers: dict[str, str]) -> str:
    async with httpx.AsyncClient(timeout=10.0) as http:
        response = await http.post(url, json={"query": "{ _service { sdl } }"}, headers=headers)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return str(body["data"]["_service"]["sdl"])


@contextmanager
def running_router(tmp_path: Path, supergraph: Path) -> Iterator[str]:
    """Hive Gateway serving `supergraph` on a free loopback port (with tests/federation/gateway.config.mjs),
    ready when entered, stopped on exit."""
    port = free_port()
    log = tmp_path / "hive-gateway.log"
    env = {key: value for key, value in os.environ.items() if key not in ("HOST", "PORT", "FORK", "CONFIG_PATH")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(node_tool("hive-gateway")), "supergraph", str(supergraph), "--config-path",
             str(PACKAGES / "gateway.config.mjs"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ROUTER_STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"Hive Gateway exited with {process.returncode}\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base}/readiness", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Hive Gateway was not ready within {ROUTER_STARTUP_SECONDS}s\n"
                            f"{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield base
    finally:
        stop(process)


@pytest.fixture
def gateway(backend: str, tmp_path: Path) -> Iterator[Server]:
    assert backend == "sqlite"
    with running_server(tmp_path, name="subgraph", database_url=f"sqlite+aiosqlite:///{tmp_path / 'subgraph.db'}",
                        FEDERATION="true") as server:
        yield server


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(240)
async def test_a_query_crosses_both_subgraphs_through_hive_gateway(gateway: Server, tmp_path: Path) -> None:
    # Given our gateway as a subgraph and a second subgraph that extends User, each serving its SDL
    ours = f"{gateway.base_url}/graphql"
    sdl = await service_sdl(ours, gateway.headers)
    assert sdl + "\n" == (ROOT / "subgraph.graphql").read_text()
    async with inprocess_server(badges_app) as badges_host:
        badges = f"http://{badges_host}/graphql"
        (tmp_path / "processgraph.graphql").write_text(sdl)
        (tmp_path / "badges.graphql").write_text(await service_sdl(badges, {}))
        # When the Guild's composer composes them
        supergraph = tmp_path / "supergraph.graphql"
        node_tool("hive-gateway")  # the packages are installed
        composed = await asyncio.to_thread(subprocess.run, [
            "node", str(PACKAGES / "compose.mjs"), str(supergraph),
            f"processgraph={ours}={tmp_path / 'processgraph.graphql'}",
            f"badges={badges}={tmp_path / 'badges.graphql'}"],
            cwd=PACKAGES, capture_output=True, text=True, timeout=60, check=False)
        assert composed.returncode == 0, composed.stderr
        assert "join__Graph" in supergraph.read_text()
        # And Hive Gateway serves the supergraph
        with running_router(tmp_path, supergraph) as router:
            async with httpx.AsyncClient(base_url=router, timeout=30.0) as http:
                # Then a query that crosses both subgraphs answers, with the bearer token forwarded to ours
                answer = (await http.post("/graphql", json={"query": CROSSING}, headers=gateway.headers)).json()
                user = answer["data"]["viewer"]["user"]
                # And one that starts in the other subgraph reaches ours through `_entities`, with the token
                holder = (await http.post("/graphql", json={"query": HOLDER, "variables": {"id": user["id"]}},
                                          headers=gateway.headers)).json()
                # And without a token our gateway refuses it, through the router
                bare = (await http.post("/graphql", json={"query": CROSSING})).json()
    assert answer.get("errors") is None, answer
    assert user["name"] == "Development User" and user["badge"] == f"badge-{user['id'][-4:]}"
    assert holder == {"data": {"holder": user}}, holder
    assert bare["data"] is None and bare["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", bare
