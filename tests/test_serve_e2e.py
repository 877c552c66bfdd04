"""End to end: the real server (`python -m app.serve`, what scripts/serve runs) over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.settings import ROOT
from tests.factories import CREATE, process_input

STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return (f"--- stdout ---\n{self.stdout.read_text(errors='replace')}\n"
                f"--- stderr ---\n{self.stderr.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, wait a bounded time, then kill: the server never outlives the test."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_until_serving(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    with httpx.Client(base_url=server.base_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"the server exited with {server.process.returncode}\n{server.output()}")
            try:
                response = http.post("/graphql", json={"query": "{ __typename }"})
                if response.status_code == 200:
                    return
            except httpx.TransportError as exc:
                last_error = exc
            time.sleep(0.2)
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS}s ({last_error!r})\n{server.output()}")


@pytest.fixture
def server(backend: str, tmp_path: Path) -> Iterator[Server]:
    assert backend == "sqlite"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
           "HOST": "127.0.0.1", "PORT": str(port), "GRAPHIQL": "true", "PYTHONUNBUFFERED": "1"}
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    running = Server(process=process, base_url=f"http://127.0.0.1:{port}", stdout=stdout, stderr=stderr)
    try:
        wait_until_serving(running)
        yield running
    finally:
        stop(process)


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(120)
def test_serve_migrates_and_serves_graphiql_and_graphql(server: Server, tmp_path: Path) -> None:
    assert (tmp_path / "serve.db").exists()  # the server migrated the fresh file itself
    assert f"GraphiQL at {server.base_url}/graphql" in server.stdout.read_text(), server.output()

    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
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
