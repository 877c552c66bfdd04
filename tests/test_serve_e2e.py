"""End to end: the real server (`python -m app.serve`, what scripts/serve runs) over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import CREATE, process_input
from tests.servers import Server, running_server


@pytest.fixture
def server(backend: str, tmp_path: Path) -> Iterator[Server]:
    assert backend == "sqlite"
    with running_server(tmp_path, name="serve", database_url=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}") as s:
        yield s


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(120)
def test_serve_migrates_and_serves_graphiql_and_graphql(server: Server, tmp_path: Path) -> None:
    assert (tmp_path / "serve.db").exists()  # the server migrated the fresh file itself
    assert f"GraphiQL at {server.base_url}/graphql" in server.stdout.read_text(), server.output()

    assert "Authorization: Bearer pgt_" in server.stdout.read_text(), server.output()
    with httpx.Client(base_url=server.base_url, timeout=10.0, headers=server.headers) as http:
        page = http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "graphiql" in page.text.lower()

        created = http.post("/graphql", json={"query": CREATE,
                                              "variables": {"input": process_input("E2E", nodes=4)}})
        assert created.status_code == 200, created.text
        payload = created.json()["data"]["processCreate"]
        assert payload["errors"] == [], payload
        process_id = payload["process"]["id"]

        listed = http.post("/graphql", json={"query": "{ processes { totalCount edges { node { id name } } } }"})
        assert listed.status_code == 200, listed.text
        processes = listed.json()["data"]["processes"]
        assert processes["totalCount"] == 1
        assert [e["node"] for e in processes["edges"]] == [{"id": process_id, "name": "E2E"}]

    assert server.process.poll() is None, server.output()  # still serving; the fixture stops it
