"""Abuse limits: each refused before execution with a code and the numbers (issue 4 point 4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.main import create_app
from app.process import draft, listing, service
from app.settings import Settings
from tests.factories import CREATE
from tests.helpers import GraphQLClient, SqlCounter


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every call of the service functions the root resolvers start with."""
    calls: list[str] = []
    for module, name in ((listing, "page"), (service, "processes_by_ids"), (service, "trees_by_process_ids")):
        original = getattr(module, name)

        def spy(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(module, name, spy)
    return calls


async def _refused(gql: GraphQLClient, sql: SqlCounter, spies: list[str], query: str,
                   variables: dict[str, Any] | None = None) -> dict[str, Any]:
    sql.reset()
    result = await gql.raw(query, variables)
    assert result.data is None and result.errors is not None and len(result.errors) == 1
    assert sql.count == 0, "no SQL statement ran"
    assert spies == [], "no resolver ran"
    ext = result.errors[0].extensions or {}
    assert ext["code"] == "LIMIT_EXCEEDED"
    return dict(ext["meta"])


def _deep(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"children {{ ... on ProcessGroup {{ id {inner} }} }}"
    return f'{{ process(id: "0123456789abcdef0123456789abcdef") {{ root {{ {inner} }} }} }}'


async def test_depth(gql: GraphQLClient, sql: SqlCounter, spies: list[str]) -> None:
    assert (await gql.raw(_deep(16))).errors is None  # a 16-level tree is readable
    spies.clear()
    meta = await _refused(gql, sql, spies, _deep(40))
    assert meta == {"limit": 40, "actual": 43, "limitName": "depth"}


async def test_parser_tokens(gql: GraphQLClient, sql: SqlCounter, spies: list[str]) -> None:
    query = "{ " + " ".join(["__typename"] * 15_000) + " }"
    meta = await _refused(gql, sql, spies, query)
    assert meta["limit"] == 15_000 and meta["actual"] > 15_000 and meta["limitName"] == "tokens"


async def test_aliases(gql: GraphQLClient, sql: SqlCounter, spies: list[str]) -> None:
    ok = "{ " + " ".join(f"a{i}: processes(first: 1) {{ totalCount }}" for i in range(100)) + " }"
    assert (await gql.raw(ok)).errors is None
    spies.clear()  # that one ran; the next must not
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(101)) + " }"
    assert await _refused(gql, sql, spies, query) == {"limit": 100, "actual": 101, "limitName": "aliases"}


async def test_estimated_cost(gql: GraphQLClient, sql: SqlCounter, spies: list[str]) -> None:
    query = "query($n: Int!) { processes(first: $n) { edges { node { process { root { id } } } } } }"
    # 100 summaries, each entering a tree that weighs 5,000: 100 + 500,000
    meta = await _refused(gql, sql, spies, query, {"n": 100})
    assert meta == {"limit": 500_000, "actual": 500_100, "limitName": "cost"}
    assert (await gql.raw(query, {"n": 99})).errors is None
    # The numbers are cached per document and per value of the variables they depend on.
    spies.clear()
    assert (await _refused(gql, sql, spies, query, {"n": 100}))["actual"] == 500_100
    spies.clear()
    assert (await _refused(gql, sql, spies, query, {"n": 200}))["actual"] == 1_000_200


async def test_page_size(gql: GraphQLClient) -> None:
    result = await gql.raw("{ processes(first: 1001) { totalCount } }")
    assert result.errors and (result.errors[0].extensions or {})["meta"] == {"limit": 1000, "actual": 1001}


@pytest.fixture
async def small_app(settings: Settings, token: str) -> AsyncIterator[tuple[Any, Settings]]:
    tight = replace(settings, rate_limit_per_second=1.0, rate_limit_burst=3, max_body_bytes=10 * 1024 * 1024,
                    request_timeout_seconds=0.5)
    app = create_app(tight)
    async with app.router.lifespan_context(app):
        yield app, tight


def _client(app: Any, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                             headers={"Authorization": f"Bearer {token}"})


async def test_request_body_over_10_mb_gets_413(small_app: tuple[Any, Settings], token: str) -> None:
    app, _ = small_app
    big = b'{"query": "{ __typename }", "x": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    async with _client(app, token) as http:
        response = await http.post("/graphql", content=big, headers={"content-type": "application/json"})
        assert response.status_code == 413
        body = response.json()
        assert body["code"] == "LIMIT_EXCEEDED" and body["meta"] == {"limit": 10 * 1024 * 1024, "actual": len(big)}

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
            for _ in range(11):
                yield b" " * (1024 * 1024)
        streamed = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["meta"]["limit"] == 10 * 1024 * 1024


async def test_rate_limit_answers_429_with_retry_after(small_app: tuple[Any, Settings], token: str) -> None:
    app, _ = small_app
    async with _client(app, token) as http:
        statuses = [(await http.post("/graphql", json={"query": "{ __typename }"})) for _ in range(4)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    limited = statuses[3]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "RATE_LIMITED" and limited.json()["meta"]["burst"] == 3


async def test_time_budget_stops_the_request_and_rolls_back(
    small_app: tuple[Any, Settings], token: str, gql: GraphQLClient, engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, _ = small_app
    created = await gql(CREATE, {"input": {"name": "before", "root": {"name": "R"}}})
    pid = created["processCreate"]["process"]["id"]
    original = draft.Draft.save

    async def slow_save(self: draft.Draft, *args: Any, **kwargs: Any) -> bool:
        changed = await original(self, *args, **kwargs)  # the writes are made, not yet committed
        await asyncio.sleep(5)
        return changed
    monkeypatch.setattr(draft.Draft, "save", slow_save)
    patch = ('mutation($id: ID!) { processPatch(input: {id: $id, operations: [{op: "replace", path: "/name", '
             'value: "after"}]}) { errors { code } process { name } } }')
    async with _client(app, token) as http:
        response = await http.post("/graphql", json={"query": patch, "variables": {"id": pid}})
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "TIMEOUT" and error["extensions"]["meta"] == {"limitSeconds": 0.5}
    read = await gql("query($id: ID!) { process(id: $id) { name revision history { edges { node { revision } } } } }",
                     {"id": pid})
    assert read["process"]["name"] == "before" and read["process"]["revision"] == 1
    assert len(read["process"]["history"]["edges"]) == 1
