"""A transition's e-mail leaves when it is written, not at the delivery loop's next poll (issue 32 point 2): the
notification's write announces the delivery loops' wake-up key (app/notify/service.py DELIVERY_KEY), in the same
process directly and across processes through PostgreSQL's LISTEN/NOTIFY. Each test sets the poll interval to
two minutes, far beyond its timeout: an e-mail that arrives was sent on a wake-up. The latency is printed, not
asserted (a measurement, docs/email-delivery.md)."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import create_user
from app.settings import DEFAULT_WORKSPACE_ID, Settings
from tests.helpers import GraphQLClient
from tests.notify.test_delivery import Sink
from tests.notify.test_delivery_paths import SENDER, gateway, relay
from tests.run.helpers import create_process, start, task
from tests.servers import free_port, running_server

pytestmark = pytest.mark.timeout(120)

POLL = 120.0  # seconds: no pass of the loop's poll falls inside a test


async def transition(gql: GraphQLClient, engine: AsyncEngine, title: str) -> None:
    """A run started through GraphQL that sends a task to a person with an address: one pending e-mail."""
    ann = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name=f"Ann {title}",
                            email=f"ann.{title.lower()}@example.com")
    pid = await create_process(gql, {"name": title, "children": [task(title, ann)]})
    await start(gql, pid)


async def arrival(box: Sink, count: int, seconds: float = 20) -> float:
    """Seconds until the relay holds `count` messages."""
    started = time.perf_counter()
    while len(box.messages) < count:
        if time.perf_counter() - started > seconds:
            raise AssertionError(f"{len(box.messages)} of {count} e-mails after {seconds} s (the poll is {POLL} s)")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def test_the_delivery_loop_of_the_writing_process_is_woken(settings: Settings, engine: AsyncEngine,
                                                                 token: str) -> None:
    port = free_port()
    with relay(port) as box:
        async with gateway(settings, engine, token, f"smtp://127.0.0.1:{port}?from={SENDER}&timeout=5",
                           delivery_poll_seconds=POLL) as gw:
            await asyncio.sleep(0.2)  # the loop's first pass (at start) is over: it waits for a wake-up
            latencies = []
            for i in range(5):
                await transition(gw.gql, engine, f"Ledger{i}")
                latencies.append(await arrival(box, i + 1))
    assert [m["Subject"] for m, _ in box.messages] == [f"New task: Ledger{i}" for i in range(5)]
    print(f"in-process wake-up: e-mail {statistics.median(latencies) * 1000:.0f} ms after the transition (p50)")


@pytest.mark.once(backend="postgresql")
async def test_a_gateway_process_sends_another_process_transition_at_once(
        tmp_path: Path, db_url: str, settings: Settings, engine: AsyncEngine) -> None:
    """The transitions are written here; a gateway process of its own sends their e-mails, woken by NOTIFY."""
    port = free_port()
    smtp_url = f"smtp://127.0.0.1:{port}?from={SENDER}&timeout=5"
    with relay(port) as box, running_server(tmp_path, name="sender", database_url=db_url, SMTP_URL=smtp_url,
                                            DELIVERY_POLL_SECONDS=str(POLL), DEV_MODE="false"):
        await asyncio.sleep(0.5)  # its loop's first pass (at start) is over
        writer = GraphQLClient(engine=engine, settings=replace(settings, smtp_url=smtp_url))  # rows are pending
        latencies = []
        for i in range(10):
            await transition(writer, engine, f"Remote{i}")
            latencies.append(await arrival(box, i + 1))
    assert sorted(m["Subject"] for m, _ in box.messages) == sorted(f"New task: Remote{i}" for i in range(10))
    print(f"LISTEN/NOTIFY wake-up: e-mail {statistics.median(latencies) * 1000:.0f} ms after the transition's "
          f"commit (p50 of 10), {max(latencies) * 1000:.0f} ms at most")
