"""Alembic migrations build exactly the tables the models describe, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.models import User
from app.db import metadata, sort_key, table
from app.migrate import alembic_config
from app.models_registry import import_all_models
from app.process.draft import PROCESSES
from app.run.models import JobRun
from app.settings import DEV_USER_ID, Settings
from tests.helpers import GraphQLClient
from tests.run.helpers import create_process, people, read, start, task

USERS, JOB_RUNS = table(User), table(JobRun)


async def test_migrated_database_matches_the_models(engine: AsyncEngine) -> None:
    import_all_models()

    def diff(sync_conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_downgrade_to_base_and_up_again(settings: Settings, engine: AsyncEngine) -> None:
    cfg = alembic_config(settings)
    await asyncio.to_thread(command.downgrade, cfg, "base")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await asyncio.to_thread(command.upgrade, cfg, "head")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        users = (await conn.exec_driver_sql("SELECT id FROM app_user")).all()
    assert {"process", "process_group", "process_job", "tag_link", "app_user", "workspace"} <= set(tables)
    assert [u[0] for u in users] == [DEV_USER_ID]


async def test_0013_rewrites_stale_process_name_keys(settings: Settings, engine: AsyncEngine) -> None:
    """Processes renamed before b0b22c5 kept their old name's key: at 0012, rows with stale keys (in the first,
    second and last batch of 1,000, trashed too) get app.db.sort_key(name) at head; the others keep theirs."""
    cfg = alembic_config(settings)
    await asyncio.to_thread(command.downgrade, cfg, "0012")
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        assert (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar_one() == "0012"
        workspace = (await conn.execute(select(USERS.c.workspace_id).where(USERS.c.id == DEV_USER_ID))).scalar_one()
        rows = [{"id": f"p{i:05d}", "workspace_id": workspace, "name": f"Process {i}", "name_key": f"process {i}",
                 "auto_close": False, "cert_auto_approve": False, "relative_dates": False, "ipm_beta_enabled": False,
                 "iwm_opt_out": False, "root_group_id": f"g{i:05d}", "revision": 1, "created_at": now,
                 "created_by": DEV_USER_ID, "modified_at": now, "modified_by": DEV_USER_ID,
                 "trashed_at": None, "trashed_by": None} for i in range(2100)]
        stale = {0: ("Éclair Two", "old"), 999: ("Straße", "straße"), 1000: ("ΣΑΣ Ⅻ", "σας ⅻ"),
                 1500: ("Renamed", "process 1500"), 2099: ("ǅemal", "ǆemal but stale")}
        for i, (name, key) in stale.items():
            rows[i].update(name=name, name_key=key)
        rows[1500].update(trashed_at=now, trashed_by=DEV_USER_ID)
        await conn.execute(insert(PROCESSES), rows)
    await asyncio.to_thread(command.upgrade, cfg, "head")
    async with engine.connect() as conn:
        keys = dict((await conn.execute(select(PROCESSES.c.id, PROCESSES.c.name_key))).all())
        names = dict((await conn.execute(select(PROCESSES.c.id, PROCESSES.c.name))).all())
    assert len(keys) == 2100 and all(keys[i] == sort_key(names[i]) for i in keys)
    sigmas = "\u03c3\u03b1\u03c3 \u217b"  # small sigma, alpha, sigma, roman twelve: casefold's, where lower() ends on the final sigma
    assert [keys[f"p{i:05d}"] for i in sorted(stale)] == ["éclair two", "strasse", sigmas, "renamed", "ǆemal"]


async def test_0014_fills_whom_each_job_run_waits_for(settings: Settings, engine: AsyncEngine,
                                                      gql: GraphQLClient) -> None:
    """A run's job runs as the run service wrote them (waiting for their assignees, and a submitted one for its
    approver): downgraded to 0013 (the column dropped) and upgraded again, the column holds the same users."""
    p = await people(engine, settings, gql, "ann", "bob")
    root = {"name": "R", "parallel": True, "children": [task("t1", p.id("ann"), approver=p.id("bob")),
                                                           task("t2", p.id("bob")), task("t3", p.id("ann"))]}
    run = await start(gql, await create_process(gql, root))
    _, nodes = await read(gql, run["id"])
    submitted = next(n for n in nodes.values() if n.get("name") == "t1")
    payload = (await p.users["ann"]("mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code } } }",
                                    {"id": submitted["id"]}))["jobRunSubmit"]
    assert payload["errors"] == []

    async def waiting() -> dict[str, str | None]:
        async with engine.connect() as conn:
            return dict((await conn.execute(select(JOB_RUNS.c.id, JOB_RUNS.c.waiting_for))).all())

    written = await waiting()
    assert sorted(v for v in written.values() if v) == sorted([p.id("bob"), p.id("bob"), p.id("ann")])
    cfg = alembic_config(settings)
    await asyncio.to_thread(command.downgrade, cfg, "0013")
    await asyncio.to_thread(command.upgrade, cfg, "head")
    assert await waiting() == written
