"""Nothing half-written: a create that fails inside the database leaves no row behind (issue 2 point 5)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import metadata
from app.models_registry import import_all_models
from tests.factories import CREATE
from tests.helpers import GraphQLClient

MARK = "FAIL-IN-DB"

SQLITE_TRIGGER = f"""
CREATE TRIGGER inject_failure BEFORE INSERT ON process_job
WHEN NEW.arguments LIKE '%{MARK}%'
BEGIN SELECT RAISE(ABORT, 'injected failure'); END
"""
PG_FUNCTION = f"""
CREATE FUNCTION inject_failure() RETURNS trigger AS $$
BEGIN
  IF NEW.arguments::text LIKE '%{MARK}%' THEN RAISE EXCEPTION 'injected failure'; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
"""
PG_TRIGGER = "CREATE TRIGGER inject_failure BEFORE INSERT ON process_job FOR EACH ROW EXECUTE FUNCTION inject_failure()"


async def _row_counts(engine: AsyncEngine) -> dict[str, int]:
    import_all_models()
    async with engine.connect() as conn:
        return {t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in metadata.sorted_tables}


def _thousand_nodes() -> dict:
    """100 groups of 9 jobs under the root: 1,000 nodes; the job inserted last carries the marker."""
    groups: list[dict[str, Any]] = []
    for g in range(100):
        jobs: list[dict[str, Any]] = [{"job": {"arguments": {"sendTask": {"title": f"Task {g}.{j}"}},
                         "tags": [{"category": "c", "value": f"{j}"}]}} for j in range(9)]
        groups.append({"group": {"name": f"Group {g}", "children": jobs}})
    groups[-1]["group"]["children"][-1]["job"]["arguments"]["sendTask"]["title"] = MARK
    return {"name": "Doomed", "root": {"name": "Root", "children": groups}}


async def test_a_database_failure_on_the_last_node_writes_nothing(
    gql: GraphQLClient, engine: AsyncEngine, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given a database that refuses the 1,000th node, after 999 nodes went in
    async with engine.begin() as conn:
        if backend == "sqlite":
            await conn.execute(text(SQLITE_TRIGGER))
        else:
            await conn.execute(text(PG_FUNCTION))
            await conn.execute(text(PG_TRIGGER))
    await gql(CREATE, {"input": {"name": "Before", "root": {"name": "R"}}})
    before = await _row_counts(engine)

    # when the whole tree is created in one call
    result = await gql.raw(CREATE, {"input": _thousand_nodes()})

    # then the client sees a masked internal error, and no table gained a row
    assert result.errors and (result.errors[0].extensions or {})["code"] == "INTERNAL"
    assert "injected failure" not in str(result.errors[0].message)
    assert await _row_counts(engine) == before
    assert before["process"] == 1 and before["process_group"] == 1
    # and the failure was the database's own refusal, logged with the traceback
    logged = [r.exc_info for r in caplog.records if r.name == "processgraph.errors" and r.exc_info]
    assert logged and logged[0] and "injected failure" in str(logged[0][1])
