"""The Federation v2 subgraph (docs/federation.md; issue 31 point 1): `_service { sdl }` is the committed
subgraph.graphql, `_entities` answers every node type by id through the loaders (one batch per kind, the
statement count not growing with the representations), null for unknown ids, and FEDERATION switches
/graphql between the public schema and the subgraph's. Isolation of `_entities`: tests/test_isolation.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.federation import (
    ENTITIES,
    FEDERATION_VERSION,
    MAX_REPRESENTATIONS,
    build_subgraph_schema,
)
from app.api.schema import build_schema, schema
from app.auth.service import create_token
from app.ids import new_id
from app.settings import DEV_USER_ID, Settings
from tests.factories import CREATE, process_input
from tests.helpers import GraphQLClient, SqlCounter, asgi_client
from tests.test_sql_counts import Dataset

ROOT = Path(__file__).resolve().parent.parent
SUBGRAPH = build_subgraph_schema()
ENTITY_STATEMENTS = 9

ENTITIES_QUERY = """query Entities($representations: [_Any!]!) { _entities(representations: $representations) {
  __typename
  ... on Process { id name }
  ... on ProcessGroup { id name }
  ... on ProcessJob { id name }
  ... on ProcessRun { id name status }
  ... on GroupRun { id name }
  ... on JobRun { id name }
  ... on User { id name }
} }"""
TREES = """query Trees($id: ID!, $run: ID!) {
  process(id: $id) { nodes { __typename ... on ProcessGroup { id } ... on ProcessJob { id } } }
  processRun(id: $run) { nodes { __typename ... on GroupRun { id } ... on JobRun { id } } }
}"""


def subgraph_client(engine: AsyncEngine, settings: Settings, **kwargs: Any) -> GraphQLClient:
    return GraphQLClient(engine=engine, settings=settings, schema=SUBGRAPH, **kwargs)


async def representations(client: GraphQLClient, data: Dataset) -> list[dict[str, str]]:
    """Entities of the dataset, of every kind: the users, and for each process itself, its run, and two each
    of its groups, its jobs, the run's group runs and its job runs."""
    found = [{"__typename": "User", "id": user} for user in [DEV_USER_ID, *data.users.values()]]
    for process_id, run_id in zip(data.process_ids, data.run_ids, strict=True):
        found += [{"__typename": "Process", "id": process_id}, {"__typename": "ProcessRun", "id": run_id}]
        trees = await client(TREES, {"id": process_id, "run": run_id})
        nodes = trees["process"]["nodes"] + trees["processRun"]["nodes"]
        for kind in ("ProcessGroup", "ProcessJob", "GroupRun", "JobRun"):
            found += [{"__typename": kind, "id": n["id"]} for n in nodes if n["__typename"] == kind][:2]
    return found


async def test_service_sdl_is_the_committed_subgraph_sdl(engine: AsyncEngine, settings: Settings) -> None:
    data = await subgraph_client(engine, settings)("{ _service { sdl } }")
    sdl = data["_service"]["sdl"]
    assert sdl + "\n" == (ROOT / "subgraph.graphql").read_text()
    assert f'@link(url: "https://specs.apollo.dev/federation/v{FEDERATION_VERSION}", import: ["@key"])' in sdl
    for name in ENTITIES:
        assert f'type {name} implements Node @key(fields: "id") {{' in sdl
    public = (ROOT / "schema.graphql").read_text()
    assert "@key" not in public and "_entities" not in public and "@link" not in public


async def test_entities_answer_every_kind_in_order_with_one_batch_per_kind(
        engine: AsyncEngine, settings: Settings) -> None:
    # Given processes of the benchmark's shape, each with a run: 3 of them, then 12
    data = Dataset(engine)
    client = subgraph_client(engine, settings)
    counts: list[int] = []
    for size in (3, 12):
        await data.grow_to(size)
        wanted = await representations(client, data)
        unknown = [{"__typename": kind, "id": new_id()} for kind in ENTITIES]
        asked = [*wanted, *unknown, *wanted]
        assert {r["__typename"] for r in wanted} == set(ENTITIES) and len(wanted) == 5 + 10 * size
        # When a router asks for all of them (each twice) and an unknown id of each kind
        counter = SqlCounter(engine)
        try:
            got = (await client(ENTITIES_QUERY, {"representations": asked}))["_entities"]
        finally:
            counter.remove()
        # Then each answers in its place, as its kind, null for the unknown ids
        assert [(e["__typename"], e["id"]) if e else None for e in got] == (
            [(r["__typename"], r["id"]) for r in wanted] + [None] * len(unknown)
            + [(r["__typename"], r["id"]) for r in wanted])
        counts.append(counter.count)
    # And the statements are one batch per loader, however many representations: processes, users and runs
    # by id (3), where a group's or job's id lies (processes, runs: 2), the process trees (groups, jobs: 2)
    # and the run trees (group runs, job runs: 2)
    assert counts == [ENTITY_STATEMENTS, ENTITY_STATEMENTS], counts


async def test_entities_refuse_a_malformed_representation_and_too_many(engine: AsyncEngine, settings: Settings) -> None:
    client = subgraph_client(engine, settings)
    for bad in ({"__typename": "Workspace", "id": new_id()}, {"__typename": "Process"}, {"id": new_id()}):
        result = await client.raw(ENTITIES_QUERY, {"representations": [bad]})
        assert result.errors and result.errors[0].extensions["code"] == "VALIDATION_ERROR", result
    assert (await client(ENTITIES_QUERY, {"representations": [{"__typename": "Process", "id": "nope"}]})) == {
        "_entities": [None]}
    many = [{"__typename": "Process", "id": new_id()}] * (MAX_REPRESENTATIONS + 1)
    result = await client.raw(ENTITIES_QUERY, {"representations": many})
    assert result.errors and result.errors[0].extensions["code"] == "LIMIT_EXCEEDED"


async def test_entities_cost_grows_with_the_representations(engine: AsyncEngine, settings: Settings) -> None:
    # Given a selection that enters each process's tree (the tree limit, 5,000, per entry)
    query = """query Trees($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Process { root { id } } } }"""
    client = subgraph_client(engine, settings)
    few = [{"__typename": "Process", "id": new_id()}] * 2
    many = [{"__typename": "Process", "id": new_id()}] * (settings.max_query_cost // 5000 + 1)
    # Then two representations answer, and as many as take the estimate past the cost limit are refused
    assert await client(query, {"representations": few}) == {"_entities": [None, None]}
    result = await client.raw(query, {"representations": many})
    assert result.errors and result.errors[0].extensions["meta"]["limitName"] == "cost", result


def test_the_public_schema_keeps_no_keys() -> None:
    # Given the subgraph schema built (SUBGRAPH, above), then the public schema, built before or after it,
    # has no keys, no `_entities` and no federation types: the keys were on the shared types only meanwhile
    build_subgraph_schema()
    for public in (schema, build_schema()):
        text = public.as_str()
        assert "@key" not in text and "_entities" not in text and "_Any" not in text and "@link" not in text
        query_type = public._schema.query_type
        assert query_type is not None and "_entities" not in query_type.fields
    assert 'type User implements Node @key(fields: "id") {' in build_subgraph_schema().sdl


RENAME = """mutation Rename($input: ProcessPatchInput!) { processPatch(input: $input) {
  errors { code } process { name } } }"""


async def test_entities_over_http_follow_writes(engine: AsyncEngine, settings: Settings) -> None:
    """Over HTTP with FEDERATION on (kept answers on, on PostgreSQL): an entity read again after a write
    answers the write."""
    _, token = await create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
    async with asgi_client(Settings(database_url=settings.database_url, federation=True), token) as http:
        created = (await http.post("/graphql", json={"query": CREATE, "variables": {"input": process_input("Before")}}
                                   )).json()["data"]["processCreate"]["process"]
        ask = {"query": ENTITIES_QUERY, "variables": {"representations": [
            {"__typename": "Process", "id": created["id"]}]}}
        first = (await http.post("/graphql", json=ask)).json()
        assert first["data"]["_entities"][0]["name"] == "Before"
        renamed = (await http.post("/graphql", json={"query": RENAME, "variables": {"input": {
            "id": created["id"], "operations": [{"op": "replace", "path": "/name", "value": "After"}]}}})).json()
        assert renamed["data"]["processPatch"]["errors"] == [], renamed
        again = (await http.post("/graphql", json=ask)).json()
    assert again["data"]["_entities"][0]["name"] == "After"


async def test_federation_setting_serves_the_subgraph_on_graphql(engine: AsyncEngine, settings: Settings) -> None:
    # Given a token of the demo user
    _, token = await create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    ask = {"query": f'{{ _service {{ sdl }} _entities(representations: [{{__typename: "User", id: "{DEV_USER_ID}"}}]) '
                    "{ ... on User { id name } } }"}
    # When FEDERATION is off, /graphql is the public schema: no `_service`, no `_entities`
    async with asgi_client(settings, token) as http:
        body = (await http.post("/graphql", json=ask)).json()
    assert body["data"] is None and "_service" in body["errors"][0]["message"]
    # When it is on, the same request answers with the SDL and the entity
    async with asgi_client(Settings(database_url=settings.database_url, federation=True), token) as http:
        body = (await http.post("/graphql", json=ask)).json()
        assert body.get("errors") is None, body
        assert body["data"]["_service"]["sdl"] + "\n" == (ROOT / "subgraph.graphql").read_text()
        assert body["data"]["_entities"][0]["id"] == DEV_USER_ID
        # And without a token the subgraph is as closed as the public schema
        bare = (await http.post("/graphql", json=ask, headers={"Authorization": ""})).status_code
    assert bare == 401
