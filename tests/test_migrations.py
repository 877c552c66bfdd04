"""Alembic migrations build exactly the tables the models describe, on every backend."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import metadata
from app.migrate import alembic_config
from app.models_registry import import_all_models
from app.settings import DEV_USER_ID, Settings


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
