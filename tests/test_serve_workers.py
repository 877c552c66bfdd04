"""`python -m app.serve --workers 2` (WORKERS=2): each worker listens on a socket of its own at the address,
so a burst of keep-alive connections spreads over the workers instead of landing on whichever woke first."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from bench.procs import process_tree
from tests.servers import running_server

CONNECTIONS = 16


def _sockets_by_pid(pids: list[int]) -> dict[str, int]:
    """Socket inode -> the process holding it."""
    owners: dict[str, int] = {}
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = fd.readlink().name if fd.is_symlink() else ""
                if target.startswith("socket:["):
                    owners[target[8:-1]] = pid
        except OSError:
            continue
    return owners


def _tcp(port: int, state: str) -> list[str]:
    """Inodes of this machine's IPv4 TCP sockets on local `port` in `state` (0A listening, 01 established)."""
    inodes = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.append(fields[9])
    return inodes


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(120)
async def test_a_burst_of_keep_alive_connections_spreads_over_the_workers(db_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path, name="workers", database_url=db_url, WORKERS="2") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 30
        while True:  # both workers listening, each on its own socket
            pids = process_tree(server.process.pid)
            owners = _sockets_by_pid(pids[1:])
            listening = {owners.get(inode) for inode in _tcp(port, "0A")} - {None}
            if len(listening) == 2 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert len(listening) == 2, f"listening workers: {listening}\n{server.output()}"
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(CONNECTIONS)]
        try:
            for client in clients:
                client.sendall(b"GET /healthz HTTP/1.1\r\nHost: workers.test\r\n\r\n")
            for client in clients:
                assert client.recv(4096).startswith(b"HTTP/1.1 200"), server.output()
            owners = _sockets_by_pid(pids[1:])
            served = [owners.get(inode) for inode in _tcp(port, "01")]
            counts = {pid: served.count(pid) for pid in listening}
        finally:
            for client in clients:
                client.close()
    assert sum(counts.values()) == CONNECTIONS, counts
    # The kernel picks a socket by a hash of each connection's addresses: 16 connections split 8/8 on
    # average, and one worker with fewer than 2 of them happens about once in 2,000 runs.
    assert min(counts.values()) >= 2, counts
