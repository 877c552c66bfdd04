"""app/balance.py: keep-alive connections spread over the worker processes of `scripts/serve --workers N`."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import balance
from tests.servers import running_server


def _dead_pid() -> int:
    process = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(0,))
    process.start()
    process.join()
    assert process.pid is not None
    return process.pid


async def test_a_worker_above_its_fair_share_closes_one_connection_per_interval() -> None:
    shared = balance.shared_counts(2)
    busy_conns: set[int] = set(range(13))
    idle_conns: set[int] = set(range(3))
    busy = balance.Balancer(shared, busy_conns, pid=os.getpid(), interval=0.2)
    idle = balance.Balancer(shared, idle_conns, pid=os.getppid(), interval=0.2)
    assert {busy.slot, idle.slot} == {0, 1}
    assert busy.publish() == 13
    assert idle.should_close() is False  # 3 of 16
    assert busy.should_close() is True   # 13 of 16: above ceil(16 / 2)
    assert busy.should_close() is False  # one per interval
    assert idle.should_close() is False
    await asyncio.sleep(0.25)
    assert busy.should_close() is True
    busy_conns.difference_update(range(8, 13))
    idle_conns.update(range(100, 105))
    await asyncio.sleep(0.25)  # both publish on their own meanwhile
    assert list(shared.get_obj())[1::2] == [8, 8]
    assert idle.should_close() is False and busy.should_close() is False
    busy_conns.add(99)  # 9 of 17: ceil(17 / 2) = 9 is still fair
    assert busy.should_close() is False


async def test_a_restarted_worker_takes_the_slot_of_a_dead_one() -> None:
    shared = balance.shared_counts(2)
    balance.Balancer(shared, set(), pid=os.getppid())
    gone = balance.Balancer(shared, {1, 2, 3}, pid=_dead_pid())
    gone.should_close()
    again = balance.Balancer(shared, set(), pid=os.getpid())
    assert again.slot == gone.slot
    assert shared.get_obj()[again.slot * 2 + 1] == 0  # the dead worker's connections no longer count
    with pytest.raises(RuntimeError, match="worker slots"):
        balance.Balancer(shared, set(), pid=os.getpid() + 1_000_000)  # both slots held by live processes


async def test_the_chosen_responses_carry_connection_close() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    class Picks:
        def __init__(self) -> None:
            self.answers = [True, False]

        def should_close(self) -> bool:
            return self.answers.pop(0)

    wrapped = balance.balanced(app, Picks())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://test") as http:
        first, second = await http.get("/"), await http.get("/")
    assert first.headers.get("connection") == "close" and first.text == "ok"
    assert "connection" not in second.headers and second.text == "ok"


# ---- two real workers ----

def _workers(supervisor: int) -> list[int]:
    """uvicorn's worker processes under its supervisor."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == supervisor and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))  # (not the resource tracker)
    return found


def _established_per_worker(workers: list[int], port: int) -> Counter[int]:
    """Open connections to `port` held by each worker (/proc/net/tcp joined with each worker's fds)."""
    inodes: dict[str, int] = {}
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes[target[8:-1]] = pid
    held: Counter[int] = Counter()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                held[inodes[fields[9]]] += 1
    return held


async def _clients(base_url: str, headers: dict[str, str], count: int, seconds: float) -> tuple[int, int]:
    """`count` keep-alive connections opened at once, each sending requests for `seconds` (reconnecting
    after `Connection: close`, as HTTP/1.1 clients do); returns (responses, reconnects)."""
    host, port = base_url.removeprefix("http://").split(":")
    body = b'{"query": "{ processes(first: 5) { edges { node { id } } } }"}'
    auth = headers["Authorization"]
    request = (f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
               f"Authorization: {auth}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    totals = [0, 0]
    deadline = time.monotonic() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
                assert head.startswith("http/1.1 200"), head
                length = int(head.split("content-length:")[1].split("\r\n")[0])
                assert b'"errors"' not in await reader.readexactly(length)
                totals[0] += 1
                if "connection: close" in head:
                    writer.close()
                    totals[1] += 1
                    reader, writer = await asyncio.open_connection(host, int(port))
            await asyncio.sleep(0.3)  # every client still connected while the test counts
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(count)))
    return totals[0], totals[1]


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(120)
def test_two_workers_share_sixteen_connections_opened_at_once(db_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path, name="workers", database_url=db_url.replace("postgresql://", "postgresql+asyncpg://"),
                        WORKERS="2", RATE_LIMIT_PER_SECOND="100000", RATE_LIMIT_BURST="100000") as server:
        workers = _workers(server.process.pid)
        assert len(workers) == 2, workers
        port = int(server.base_url.rsplit(":", 1)[1])
        counts: list[Counter[int]] = []

        async def run() -> tuple[int, int]:
            clients = asyncio.ensure_future(_clients(server.base_url, server.headers, 16, 3.0))
            await asyncio.sleep(3.1)  # requests are done; the connections are still open
            counts.append(_established_per_worker(workers, port))
            return await clients

        responses, reconnects = asyncio.run(run())
    assert responses > 100
    assert sum(counts[0].values()) == 16, counts
    # an even split (the shared socket alone gave 2/14, 3/13 or 6/10), after a few reconnects
    assert sorted(counts[0].values()) == [8, 8], (counts, reconnects)
    assert 0 < reconnects < 100, reconnects
