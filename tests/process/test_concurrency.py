"""Revisions under concurrency: one writer wins, the others get CONFLICT, never a lock error (issue 3 point 6)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import CREATE
from tests.helpers import GraphQLClient
from tests.servers import running_server

PATCH = """mutation($id: ID!, $name: JSON!, $rev: Int) {
  processPatch(input: {id: $id, expectedRevision: $rev, operations: [{op: "replace", path: "/name", value: $name}]}) {
    errors { code meta } process { revision name } } }"""
READ = "query($id: ID!) { process(id: $id) { name revision history(first: 100) { edges { node { revision } } } } }"


def _outcomes(payloads: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    won = [p for p in payloads if p["errors"] == []]
    lost = [p for p in payloads if p["errors"]]
    return won, lost


async def test_concurrent_patches_with_one_expected_revision(gql: GraphQLClient) -> None:
    created = await gql(CREATE, {"input": {"name": "start", "root": {"name": "R"}}})
    pid = created["processCreate"]["process"]["id"]
    results = await asyncio.gather(*(gql(PATCH, {"id": pid, "name": f"writer {i}", "rev": 1}) for i in range(20)))
    won, lost = _outcomes([r["processPatch"] for r in results])
    assert len(won) == 1 and len(lost) == 19
    assert all(p["errors"][0]["code"] == "CONFLICT" and p["errors"][0]["meta"]["currentRevision"] == 2 for p in lost)
    stored = (await gql(READ, {"id": pid}))["process"]
    assert stored["name"] == won[0]["process"]["name"] and stored["revision"] == 2
    assert len(stored["history"]["edges"]) == 2


async def test_concurrent_writers_without_expected_revision_all_apply(gql: GraphQLClient) -> None:
    created = await gql(CREATE, {"input": {"name": "start", "root": {"name": "R"}}})
    pid = created["processCreate"]["process"]["id"]
    results = await asyncio.gather(*(gql(PATCH, {"id": pid, "name": f"w{i}", "rev": None}) for i in range(10)))
    assert all(r["processPatch"]["errors"] == [] for r in results)
    stored = (await gql(READ, {"id": pid}))["process"]
    assert stored["revision"] == 11 and len(stored["history"]["edges"]) == 11


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_two_gateway_processes_on_postgresql(gql: GraphQLClient, db_url: str, tmp_path: Path) -> None:
    created = await gql(CREATE, {"input": {"name": "start", "root": {"name": "R"}}})
    pid = created["processCreate"]["process"]["id"]
    with running_server(tmp_path, name="a", database_url=db_url) as a, \
            running_server(tmp_path, name="b", database_url=db_url) as b:
        headers = a.headers  # both servers share one database, so one demo token
        async with httpx.AsyncClient(timeout=30) as http:
            async def send(base: str, i: int) -> dict[str, Any]:
                r = await http.post(f"{base}/graphql", headers=headers, json={"query": PATCH, "variables": {
                    "id": pid, "name": f"{base} writer {i}", "rev": 1}})
                assert r.status_code == 200, r.text
                return dict(r.json()["data"]["processPatch"])
            payloads = await asyncio.gather(*(send(s.base_url, i) for s in (a, b) for i in range(10)))
    won, lost = _outcomes(payloads)
    assert len(won) == 1 and len(lost) == 19
    assert {p["errors"][0]["code"] for p in lost} == {"CONFLICT"}
    assert {p["errors"][0]["meta"]["currentRevision"] for p in lost} == {2}
    stored = (await gql(READ, {"id": pid}))["process"]
    assert stored["name"] == won[0]["process"]["name"] and stored["revision"] == 2
