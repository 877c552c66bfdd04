"""app/db.py `fetch_plain`: the hot reads give the same rows whether they go through SQLAlchemy or, on
PostgreSQL in autocommit, straight to asyncpg; the statement events still fire; inside a transaction the
read is SQLAlchemy's and sees the transaction's own writes. `plain_connection`: the same rows from a pooled
connection taken as it is, a lost one replaced, and every connection back in the pool however the read ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app import bus, db
from app.auth.service import READ, WRITE, Actor, create_user
from app.connectivity import is_unavailable
from app.db import (
    PlainConnection,
    create_engine,
    fetch_plain,
    plain_connection,
    plain_rows,
    reader,
    write_transaction,
)
from app.process import listing
from app.process import service as process_service
from app.process.draft import PROCESSES
from app.run import service as run_service
from app.settings import DEFAULT_WORKSPACE_ID, Settings
from bench.dataset import process_spec
from tests.helpers import SqlCounter


async def _data(engine: AsyncEngine) -> tuple[list[str], list[str]]:
    users = {role: await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name=role, email=f"{role}@db.test")
             for role in ("manager", "assignee", "signer", "approver")}
    actor = Actor(user_id=users["manager"], workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE}))
    process_ids, run_ids = [], []
    for i in range(3):
        row = await process_service.create_process(engine=engine, actor=actor, spec=process_spec(i, users, seed=3))
        process_ids.append(row.id)
        run_ids.append((await run_service.start_run(engine=engine, actor=actor, process_id=row.id)).id)
    return process_ids, run_ids


def _reads(conn: Any, process_ids: list[str], run_ids: list[str], group_ids: list[str]) -> list[tuple[Any, Any]]:
    ps, rs = process_service, run_service
    return [
        (ps._PROCESSES_BY_IDS(conn), {"ids": process_ids, "workspace_id": DEFAULT_WORKSPACE_ID}),
        (ps._GROUPS_OF_PROCESSES(conn), {"ids": process_ids}),
        (ps._jobs("process_id", True, True)(conn), {"ids": process_ids}),
        (ps._groups_to_depth(2)(conn), {"ids": process_ids}),
        (ps._groups_to_depth(2, False)(conn), {"ids": process_ids}),
        *((ps._jobs("parent_group_id", stamps, tags)(conn), {"ids": group_ids})
          for stamps in (True, False) for tags in (True, False)),
        (rs._RUNS_BY_IDS(conn), {"ids": run_ids, "workspace_id": DEFAULT_WORKSPACE_ID}),
        (rs._GROUP_RUNS(conn), {"ids": run_ids}),
        (rs._JOB_RUNS(conn), {"ids": run_ids}),
        # process list pages: summary and full columns, a name filter, cursors with and without a null key
        (listing._page_statement(listing.Order("NAME", False), False, True, None, "summary"),
         {"workspace_id": DEFAULT_WORKSPACE_ID, "limit": 10, "name_like": "%bench%"}),
        (listing._page_statement(listing.Order("NAME", True), False, False, (False, False), "full"),
         {"workspace_id": DEFAULT_WORKSPACE_ID, "limit": 10, "after_0": "zzz", "after_1": ""}),
        (listing._page_statement(listing.DEFAULT_ORDER, False, False, (False, False, False), "summary"),
         {"workspace_id": DEFAULT_WORKSPACE_ID, "limit": 10, "after_0": datetime(2999, 1, 1, tzinfo=UTC),
          "after_1": "", "after_2": ""}),
        (listing._page_statement(listing.Order("DUE_DATE", False), False, False, (False, False, False), "full"),
         {"workspace_id": DEFAULT_WORKSPACE_ID, "limit": 10, "after_0": date(2000, 1, 1), "after_1": "",
          "after_2": ""}),
        # what a page's key in the shared cache holds of each row (listing.versions)
        (listing._page_statement(listing.DEFAULT_ORDER, False, False, None, "versions"),
         {"workspace_id": DEFAULT_WORKSPACE_ID, "limit": 10}),
    ]


async def test_hot_reads_give_the_rows_sqlalchemy_gives(engine: AsyncEngine, sql: SqlCounter) -> None:
    process_ids, run_ids = await _data(engine)
    async with reader(engine).connect() as conn:
        groups = plain_rows(await conn.execute(process_service._GROUPS_OF_PROCESSES(conn), {"ids": process_ids}))
        reads = _reads(conn, process_ids, run_ids, [g.id for g in groups])
        for statement, params in reads:
            expected = plain_rows(await conn.execute(statement, params))
            sql.reset()
            got = await fetch_plain(conn, statement, params)
            assert sql.count == 1, sql.statements  # counted like any statement
            assert got, statement
            assert [r._fields for r in got] == [r._fields for r in expected]
            # same values and the same Python types (dates, datetimes with their zone, decoded JSON)
            assert got == expected
            assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in expected]
            # a second call reuses what was compiled
            assert await fetch_plain(conn, statement, params) == expected
            # as bare rows: equal to the tuples of the same values, and hashed alike
            bare = await fetch_plain(conn, statement, params, tuples=True)
            assert bare == [tuple(r) for r in expected]
            if "latest_run_stamp" in got[0]._fields and len(got[0]) == 4:  # a page's versions: keys in a dict
                assert [hash(r) for r in bare] == [hash(tuple(r)) for r in expected]
    if engine.dialect.name == "postgresql":
        # the direct path was taken for each (compiled once for asyncpg)
        assert all(id(statement) in db._compiled for statement, _ in reads)


async def test_inside_a_transaction_the_read_sees_its_own_writes(engine: AsyncEngine) -> None:
    process_ids, _ = await _data(engine)
    async with write_transaction(engine) as conn:
        await conn.execute(update(PROCESSES).where(PROCESSES.c.id == process_ids[0]).values(name="Renamed in the transaction"))
        rows = await fetch_plain(conn, process_service._PROCESSES_BY_IDS(conn),
                                 {"ids": process_ids[:1], "workspace_id": DEFAULT_WORKSPACE_ID})
        assert [r.name for r in rows] == ["Renamed in the transaction"]
        await conn.rollback()
    async with reader(engine).connect() as conn:
        rows = await fetch_plain(conn, process_service._PROCESSES_BY_IDS(conn),
                                 {"ids": process_ids[:1], "workspace_id": DEFAULT_WORKSPACE_ID})
        assert [r.name for r in rows] != ["Renamed in the transaction"]


async def _terminate(engine: AsyncEngine, conn: Any) -> None:
    """The server ends this connection's backend; the connection does not know yet."""
    backend = (await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
    async with engine.connect() as admin:
        await admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")


async def test_a_read_whose_connection_is_lost_is_retried_once_on_a_fresh_one(engine: AsyncEngine) -> None:
    process_ids, _ = await _data(engine)
    params = {"ids": process_ids, "workspace_id": DEFAULT_WORKSPACE_ID}
    if engine.dialect.name != "postgresql":
        return
    statement = process_service._PROCESSES_BY_IDS
    async with reader(engine).connect() as conn:
        # a backend ended under a checked-out connection: the direct read and the SQLAlchemy read both answer
        await _terminate(engine, conn)
        assert len(await fetch_plain(conn, statement(conn), params)) == 3
        await _terminate(engine, conn)
        assert len((await conn.execute(statement(conn), params)).all()) == 3
        # and the fresh connection is in autocommit again, so the direct path is taken
        assert getattr((await conn.get_raw_connection()).dbapi_connection, "autocommit", False)
        # a backend ended while its connection sat in the pool: the pool hands out a fresh one
        await _terminate(engine, conn)
    for _ in range(3):
        async with reader(engine).connect() as conn:
            assert len(await fetch_plain(conn, statement(conn), params)) == 3


async def test_a_write_whose_connection_is_lost_fails_as_unavailable_and_writes_nothing(engine: AsyncEngine) -> None:
    process_ids, _ = await _data(engine)
    if engine.dialect.name != "postgresql":
        return
    with pytest.raises(Exception) as raised:
        async with write_transaction(engine) as conn:
            await conn.execute(update(PROCESSES).where(PROCESSES.c.id == process_ids[0]).values(name="Half written"))
            await _terminate(engine, conn)
            await conn.execute(update(PROCESSES).where(PROCESSES.c.id == process_ids[1]).values(name="Half written"))
    assert is_unavailable(raised.value)  # UNAVAILABLE for the client, not INTERNAL; never retried
    async with reader(engine).connect() as conn:
        rows = await fetch_plain(conn, process_service._PROCESSES_BY_IDS(conn),
                                 {"ids": process_ids, "workspace_id": DEFAULT_WORKSPACE_ID})
    assert "Half written" not in {r.name for r in rows}


async def _cancel_mid_statement(run: Any) -> None:
    """Run `run(started)` as a task, cancel it 0.2 s after it set `started` (its statement running), and
    check that it ends with the cancellation."""
    started = asyncio.Event()
    task = asyncio.create_task(run(started))
    await started.wait()
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_write_cancelled_mid_statement_raises_the_cancellation(engine: AsyncEngine) -> None:
    """A write transaction cancelled while a statement runs (a stopping worker or gateway cancels its tasks)
    ends with CancelledError, not with an error about the invalidated connection raised on the way out, which
    a background loop would take for an ordinary failure and so never stop."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a statement that runs long enough to be cancelled: pg_sleep")

    async def write(started: asyncio.Event) -> None:
        async with write_transaction(engine) as conn:
            await bus.announce(conn, "a key that must not be announced")
            started.set()
            await conn.execute(text("SELECT pg_sleep(30)"))

    await _cancel_mid_statement(write)
    async with write_transaction(engine) as conn:  # the pool still serves writes
        assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1


async def test_plain_connections_give_the_rows_sqlalchemy_gives(engine: AsyncEngine, sql: SqlCounter) -> None:
    process_ids, run_ids = await _data(engine)
    async with reader(engine).connect() as conn:
        groups = plain_rows(await conn.execute(process_service._GROUPS_OF_PROCESSES(conn), {"ids": process_ids}))
        expected = [plain_rows(await conn.execute(statement, params))
                    for statement, params in _reads(conn, process_ids, run_ids, [g.id for g in groups])]
    async with plain_connection(engine) as plain:
        # on PostgreSQL a pooled connection as it is; elsewhere SQLAlchemy's connection
        assert isinstance(plain, PlainConnection) == (engine.dialect.name == "postgresql")
        reads = _reads(plain, process_ids, run_ids, [g.id for g in groups])
        for (statement, params), rows in zip(reads, expected, strict=True):
            sql.reset()
            got = await fetch_plain(plain, statement, params)
            assert sql.count == 1, sql.statements  # counted like any statement
            assert got == rows and got, statement
            assert [r._fields for r in got] == [r._fields for r in rows]
            assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in rows]
            assert await fetch_plain(plain, statement, params, tuples=True) == [tuple(r) for r in rows]
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_plain_read_whose_connection_is_lost_runs_again_on_a_fresh_one(engine: AsyncEngine) -> None:
    process_ids, _ = await _data(engine)
    if engine.dialect.name != "postgresql":
        return
    params = {"ids": process_ids, "workspace_id": DEFAULT_WORKSPACE_ID}
    statement = process_service._PROCESSES_BY_IDS
    for _ in range(2):
        async with plain_connection(engine) as plain:
            assert isinstance(plain, PlainConnection)
            lost = plain.fairy.driver_connection
            backend = await lost.fetchval("SELECT pg_backend_pid()")
            async with engine.connect() as admin:
                await admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
            assert len(await fetch_plain(plain, statement(plain), params)) == 3
            assert plain.fairy.driver_connection is not lost  # a fresh connection answered
        assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # the lost one is never handed out again
    for _ in range(3):
        async with plain_connection(engine) as plain:
            assert len(await fetch_plain(plain, statement(plain), params)) == 3


async def test_plain_connections_go_back_to_the_pool_however_the_read_ends(settings: Settings) -> None:
    """An overflow connection is closed as it comes back, a cancelled read gives its connection back, and
    a failed statement too; the pool then serves reads as before."""
    engine = create_engine(settings, pool_size=1, max_overflow=1)
    pool: Any = engine.sync_engine.pool
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("pooled PostgreSQL connections: elsewhere plain_connection is engine.connect()")
        async with plain_connection(engine) as first, plain_connection(engine) as second:
            assert (await fetch_plain(first, text("SELECT 1 AS one")))[0].one == 1
            assert (await fetch_plain(second, text("SELECT 2 AS two")))[0].two == 2
            assert pool.checkedout() == 2 and pool.overflow() == 1
        assert pool.checkedout() == 0 and pool.overflow() == 0 and pool.checkedin() == 1

        async def sleep(started: asyncio.Event) -> None:
            async with plain_connection(engine) as plain:
                started.set()
                await fetch_plain(plain, text("SELECT pg_sleep(30) AS slept"))

        await _cancel_mid_statement(sleep)
        assert pool.checkedout() == 0
        with pytest.raises(Exception, match="division by zero"):
            async with plain_connection(engine) as plain:
                await fetch_plain(plain, text("SELECT 1 / 0 AS nothing"))
        assert pool.checkedout() == 0
        for n in range(3):
            async with plain_connection(engine) as plain:
                assert (await fetch_plain(plain, text(f"SELECT {n} AS n")))[0].n == n
    finally:
        await engine.dispose()
