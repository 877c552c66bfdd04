"""The scale check of issue 7: a keyset page deep in a list of 1,000,000 processes against one of 1,000.

Two workspaces in one PostgreSQL database (`processgraph_scale`): one with 1,000 processes, one with
1,000,000 (one job each), generated in bulk with `generate_series` (the service layer would take hours);
the time it took is reported. The gateway serves both; for each size the load process asks for pages of
100 summaries after cursors taken from the middle of the list (without `totalCount`), and then for the
`totalCount` alone, and the driver reports gateway and database CPU per request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth_service
from app.auth.service import READ

SIZES = (1_000, 1_000_000)
CHUNK = 100_000

PAGE = ("query Deep($after: String) { processes(first: 100, after: $after, orderBy: {field: NAME}) "
        "{ edges { cursor node { id name revision dueDate modified { dateTime user { id } } } } "
        "pageInfo { hasNextPage endCursor } } }")
COUNT = "query Count { processes(first: 1, orderBy: {field: NAME}) { totalCount } }"


async def _fill(engine: AsyncEngine, workspace_id: str, user_id: str, n: int, tag: str) -> None:
    """n processes with a root group and one job each, in chunks of one statement per table."""
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        params = {"ws": workspace_id, "u": user_id, "a": start + 1, "b": stop, "t": tag}
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO process (id, workspace_id, name, name_key, auto_close, cert_auto_approve, relative_dates,"
                " ipm_beta_enabled, iwm_opt_out, due_date, root_group_id, revision, created_at, created_by,"
                " modified_at, modified_by) SELECT md5(:t || 'p' || i), :ws, 'Scale process ' || lpad(i::text, 7, '0'),"
                " 'scale process ' || lpad(i::text, 7, '0'), false, false, false, false, false,"
                " date '2027-01-01' + (i % 365), md5(:t || 'g' || i), 1, now(), :u, now(), :u"
                " FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"), params)
            await conn.execute(text(
                "INSERT INTO process_group (id, process_id, parent_group_id, parent_job_id, ordinal, name, parallel,"
                " trigger_type, read_only, generated, revision, created_at, created_by, modified_at, modified_by)"
                " SELECT md5(:t || 'g' || i), md5(:t || 'p' || i), NULL, NULL, 0, 'Root', false, 'whenEligible',"
                " false, false, 1, now(), :u, now(), :u FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"),
                params)
            await conn.execute(text(
                "INSERT INTO process_job (id, process_id, parent_group_id, ordinal, action, arguments, trigger_type,"
                " generated, revision, created_at, created_by, modified_at, modified_by)"
                " SELECT md5(:t || 'j' || i), md5(:t || 'p' || i), md5(:t || 'g' || i), 0, 'sendTask',"
                " json_build_object('title', 'Task ' || i, 'assignee', CAST(:u AS text)), 'whenEligible', false, 1,"
                " now(), :u, now(), :u FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"), params)


async def build(engine: AsyncEngine) -> dict[str, Any]:
    """Workspaces, users and read tokens for each size; fills them unless already there."""
    out: dict[str, Any] = {"sizes": {}}
    started = time.perf_counter()
    generated = 0.0
    for n in SIZES:
        ws_name = f"Scale {n}"
        async with engine.connect() as conn:
            found = (await conn.execute(text("SELECT id FROM workspace WHERE name = :n"), {"n": ws_name})).first()
        if found is None:
            ws = await auth_service.create_workspace(engine, name=ws_name)
            user = await auth_service.create_user(engine, workspace_id=ws, name=f"Scale {n}", email=f"scale{n}@bench.test")
            t0 = time.perf_counter()
            await _fill(engine, ws, user, n, tag=f"s{n}")
            generated += time.perf_counter() - t0
        else:
            ws = found[0]
            async with engine.connect() as conn:
                user = (await conn.execute(text("SELECT id FROM app_user WHERE workspace_id = :w"), {"w": ws})).scalar_one()
        _, token = await auth_service.create_token(engine, user_id=user, scopes=[READ], label="scale bench")
        out["sizes"][n] = {"workspace": ws, "token": token}
    async with engine.connect() as conn:  # as autovacuum would leave a settled table: statistics, visibility map
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
    out["build_seconds"] = round(time.perf_counter() - started, 1)
    out["generated_seconds"] = round(generated, 1)  # 0 when the data was already there
    return out


def run_build(engine_factory: Any) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        engine = engine_factory()
        try:
            return await build(engine)
        finally:
            await engine.dispose()
    return asyncio.run(go())
