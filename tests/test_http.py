"""The gateway over HTTP: the ASGI app with its lifespan, driven by httpx (every backend)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx
import pytest

from app.process import service
from tests.factories import CREATE, process_input

UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
COUNT = "{ processes { totalCount } }"
READ = "query Read($id: ID!) { process(id: $id) { id name revision } }"
JSON_HEADERS = {"Accept": "application/json"}


@pytest.fixture
async def client(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """An HTTP client of a fresh app whose lifespan runs, sending the demo user's token."""
    return http


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return await client.post("/graphql", json=body, headers=JSON_HEADERS)


async def data_of(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await post(client, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


async def total(client: httpx.AsyncClient) -> int:
    return int((await data_of(client, COUNT))["processes"]["totalCount"])



async def test_other_methods_on_graphql_are_405_with_allow(client: httpx.AsyncClient) -> None:
    """GET and POST /graphql go straight to the gateway (app/http.py Straight); any other method is still
    refused by the route, with the methods it allows."""
    for method in ("PUT", "DELETE", "PATCH"):
        response = await client.request(method, "/graphql", json={"query": COUNT})
        assert response.status_code == 405, (method, response.text)
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert (await client.get("/graphql", params={"query": COUNT})).json()["data"]["processes"]["totalCount"] == 0

# ---- 1. queries and mutations as application/json ----

async def test_post_mutation_then_query_reads_it_back(client: httpx.AsyncClient) -> None:
    assert await total(client) == 0
    given = process_input("Over HTTP", nodes=6)
    response = await post(client, CREATE, {"input": {**given, "clientMutationId": "http-1"}})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    payload = response.json()["data"]["processCreate"]
    assert payload["errors"] == [] and payload["clientMutationId"] == "http-1"
    created = payload["process"]
    assert created["name"] == "Over HTTP" and created["revision"] == 1 and len(created["id"]) == 32

    read = (await data_of(client, READ, {"id": created["id"]}))["process"]
    assert read == {"id": created["id"], "name": "Over HTTP", "revision": 1}
    assert await total(client) == 1


async def test_each_request_gets_its_own_request_id(client: httpx.AsyncClient) -> None:
    first, second = await post(client, COUNT), await post(client, COUNT)
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


# ---- 2. bad queries are answered readably, not masked ----

async def test_syntax_error_is_readable(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ processes { totalCount }")
    body = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"].startswith("Syntax Error"), error
    assert "Expected Name, found <EOF>" in error["message"], error
    assert error["locations"] == [{"line": 1, "column": 27}], error
    assert "Internal server error" not in response.text
    assert (error.get("extensions") or {}).get("code") != "INTERNAL"


async def test_validation_error_is_readable(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ processes { totalCount bogusField } }")
    body = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert "Cannot query field 'bogusField'" in error["message"], error
    assert "ProcessSummaryConnection" in error["message"], error
    assert error["locations"] == [{"line": 1, "column": 26}], error
    assert "Internal server error" not in response.text
    assert (error.get("extensions") or {}).get("code") != "INTERNAL"


async def test_unknown_variable_type_error_is_readable(client: httpx.AsyncClient) -> None:
    response = await post(client, READ, {"id": 12.5})
    (error,) = response.json()["errors"]
    assert "$id" in error["message"] and "Internal server error" not in error["message"], error


# ---- 3. unexpected exceptions are masked, logged with the same request id ----

async def test_resolver_exception_is_masked_and_logged(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    async def explode(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("boom-secret")

    monkeypatch.setattr(service, "processes_by_ids", explode)
    caplog.set_level(logging.ERROR, logger="processgraph.errors")

    response = await post(client, READ, {"id": UNKNOWN_ID})
    assert response.status_code == 200, response.text
    assert "boom-secret" not in response.text and "RuntimeError" not in response.text
    body = response.json()
    assert body["data"] == {"process": None}
    (error,) = body["errors"]
    assert error["path"] == ["process"]
    match = re.search(r"Internal server error \(request id ([0-9a-f]{32})\)", error["message"])
    assert match, error
    request_id = match.group(1)
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["meta"]["requestId"] == request_id
    assert response.headers["x-request-id"] == request_id

    records = [r for r in caplog.records
               if r.name == "processgraph.errors" and r.levelno >= logging.ERROR and request_id in r.getMessage()]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    (record,) = records
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    traceback_text = logging.Formatter().formatException(record.exc_info)
    assert "RuntimeError" in traceback_text and "boom-secret" in traceback_text
    assert "explode" in traceback_text  # the traceback reaches the raising frame


# ---- 4. unknown ids: payload errors for mutations, null for queries ----

TRASH = """mutation($input: ProcessIdInput!) { processTrash(input: $input) {
  trashedProcess { id } errors { code message target meta } clientMutationId } }"""
RESTORE = """mutation($input: ProcessIdInput!) { processRestore(input: $input) {
  process { id } errors { code message target meta } clientMutationId } }"""
PURGE = """mutation($input: ProcessIdInput!) { processPurge(input: $input) {
  purgedProcessId errors { code message target meta } clientMutationId } }"""


@pytest.mark.parametrize(("mutation", "field", "result_field"), [
    (TRASH, "processTrash", "trashedProcess"),
    (RESTORE, "processRestore", "process"),
    (PURGE, "processPurge", "purgedProcessId"),
])
@pytest.mark.parametrize("unknown", [UNKNOWN_ID, "nope"])
async def test_mutations_on_unknown_ids_return_not_found(
    client: httpx.AsyncClient, mutation: str, field: str, result_field: str, unknown: str,
) -> None:
    data = await data_of(client, mutation, {"input": {"id": unknown, "clientMutationId": "m-1"}})
    payload = data[field]
    assert payload[result_field] is None and payload["clientMutationId"] == "m-1"
    (error,) = payload["errors"]
    assert error["code"] == "NOT_FOUND" and error["target"] == "id", error
    assert unknown in error["message"] and error["meta"]["id"] == unknown, error


async def test_queries_on_unknown_ids_return_null(client: httpx.AsyncClient) -> None:
    data = await data_of(client, """query($a: ID!, $b: ID!) {
        a: process(id: $a) { id } b: process(id: $b) { id }
        c: node(id: $a) { id } d: node(id: $b) { id } e: nodes(ids: [$a, $b]) { id } }""",
                         {"a": UNKNOWN_ID, "b": "nope"})
    assert data == {"a": None, "b": None, "c": None, "d": None, "e": [None, None]}


# ---- 5. GET: GraphiQL, queries; mutations refused ----

async def test_get_with_html_accept_serves_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower() and "graphiql" in response.text.lower()


async def test_root_redirects_to_graphql(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code in (302, 307) and response.headers["location"] == "/graphql"


async def test_get_runs_a_query(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": READ, "variables": json.dumps({"id": UNKNOWN_ID})},
                                headers=JSON_HEADERS)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"process": None}}
    response = await client.get("/graphql", params={"query": COUNT}, headers=JSON_HEADERS)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"processes": {"totalCount": 0}}}


async def test_get_refuses_mutations_with_405(client: httpx.AsyncClient) -> None:
    # GraphQL over HTTP: a mutation over GET is 405 Method Not Allowed with `Allow: POST`, and nothing runs
    for accept in (JSON_HEADERS, {"Accept": "application/graphql-response+json"}):
        response = await client.get("/graphql", params={
            "query": CREATE, "variables": json.dumps({"input": process_input("Via GET", nodes=2)}),
        }, headers=accept)
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "POST"
        body = response.json()
        assert body["code"] == "METHOD_NOT_ALLOWED" and body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
        assert "Via GET" not in response.text
    # the operation chosen by name decides: a document holding a query and a mutation
    both = f"query Q {{ processes {{ totalCount }} }} {CREATE.replace('mutation Create', 'mutation M')}"
    ran = await client.get("/graphql", params={"query": both, "operationName": "Q"}, headers=JSON_HEADERS)
    assert ran.status_code == 200 and ran.json() == {"data": {"processes": {"totalCount": 0}}}
    refused = await client.get("/graphql", params={
        "query": both, "operationName": "M", "variables": json.dumps({"input": process_input("Via GET")})},
        headers=JSON_HEADERS)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert await total(client) == 0
