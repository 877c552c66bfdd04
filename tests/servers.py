"""Real gateway processes for end-to-end tests: started on loopback, always stopped."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import ROOT

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
    token_file: Path

    @property
    def headers(self) -> dict[str, str]:
        """The demo token the server made on its first start (or found from an earlier one)."""
        return {"Authorization": f"Bearer {self.token_file.read_text().strip()}"}

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
                response = http.get("/graphql", headers={"Accept": "text/html"})
                if response.status_code == 200:
                    return
            except httpx.TransportError as exc:
                last_error = exc
            time.sleep(0.2)
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS}s ({last_error!r})\n{server.output()}")


def spawn(tmp_path: Path, *, name: str, database_url: str, **env: str) -> Server:
    """`python -m app.serve` (what scripts/serve runs) on a free loopback port, started and not waited for."""
    port = free_port()
    full_env = {**os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port),
                "GRAPHIQL": "true", "PYTHONUNBUFFERED": "1", "DEV_MODE": "true",
                "DEV_TOKEN_FILE": str(tmp_path / f"{name}.dev-token"), **env}
    stdout, stderr = tmp_path / f"{name}.stdout.txt", tmp_path / f"{name}.stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT, env=full_env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    return Server(process=process, base_url=f"http://127.0.0.1:{port}", stdout=stdout, stderr=stderr,
                  token_file=Path(full_env["DEV_TOKEN_FILE"]))


@contextmanager
def running_server(tmp_path: Path, *, name: str, database_url: str, **env: str) -> Iterator[Server]:
    """One gateway process (`spawn`), serving when entered, stopped on exit."""
    with running_servers(tmp_path, [name], database_url=database_url, **env) as (server,):
        yield server


@contextmanager
def running_servers(tmp_path: Path, names: list[str], *, database_url: str, **env: str) -> Iterator[list[Server]]:
    """Several gateway processes on one database, started together (their start-ups overlap: a few seconds
    each on a loaded machine), all serving when entered, every one stopped on exit."""
    started: list[Server] = []
    try:
        for name in names:
            started.append(spawn(tmp_path, name=name, database_url=database_url, **env))
        for server in started:
            wait_until_serving(server)
        yield started
    finally:
        for server in started:
            stop(server.process)


@asynccontextmanager
async def inprocess_server(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn in this event loop on a free loopback port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
