"""Operations endpoints and request telemetry (issue 8 point 6)."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import CREATE, process_input


async def test_health_and_readiness(http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    assert (await http.get("/healthz", headers={"Authorization": ""})).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "reachable"
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    stale = await http.get("/readyz")
    assert stale.status_code == 503 and stale.json()["migration"] == "0001"


async def test_metrics_and_one_json_log_line_per_request(http: httpx.AsyncClient, token: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="processgraph.requests")
    ok = await http.post("/graphql", json={"query": CREATE, "operationName": "Create",
                                           "variables": {"input": process_input(nodes=2)}})
    assert ok.status_code == 200
    bad = await http.post("/graphql", json={"query": "mutation Trash { processTrash(input: {id: \"nope\"}) "
                                                     "{ errors { code } } }", "operationName": "Trash"})
    assert bad.json()["data"]["processTrash"]["errors"][0]["code"] == "NOT_FOUND"
    metrics = (await http.get("/metrics")).text
    assert 'processgraph_requests_total{operation="Create"} 1.0' in metrics
    assert 'processgraph_errors_total{code="NOT_FOUND"} 1.0' in metrics
    assert "processgraph_request_seconds_bucket" in metrics and "processgraph_db_pool_checked_out" in metrics
    assert "processgraph_active_subscriptions 0.0" in metrics
    lines: list[dict[str, Any]] = [json.loads(r.getMessage()) for r in caplog.records
                                   if r.name == "processgraph.requests"]
    assert [(line["operation"], line["status"]) for line in lines] == [("Create", "ok"), ("Trash", "error")]
    assert all(len(line["requestId"]) == 32 and line["userId"] and line["durationMs"] >= 0 for line in lines)
    assert token not in caplog.text
