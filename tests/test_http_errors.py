"""Every answer of the gateway is JSON in the Error shape, whatever layer fails (issue 28, point 1).

A request Strawberry cannot read (a non-string `operationName`, a body of another type) gets a 400 in the
GraphQL error shape; an exception that no layer answers, raised inside any layer (the CORS middleware, the
gateway middleware, the GraphQL view, the kept answers, the REST door, the operations endpoints), gets a 500
in the same shape with a request id, never Starlette's text/plain "Internal Server Error".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware

from app import ops
from app.auth.service import ActorResolver
from app.fast.answers import Answers
from app.main import GraphQLApp, create_app
from app.run import service as run_service
from app.settings import Settings

QUERY = {"query": "{ __typename }"}


@asynccontextmanager
async def plain_client(settings: Settings, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app that gets the answer of an exception the app re-raises for the server's log
    (Starlette's ServerErrorMiddleware sends its answer, then raises again)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["code"] == code and body["message"], body
    assert {"target", "details", "meta", "documentationUrl"} <= set(body), body
    return dict(body)


@pytest.mark.parametrize("name", [{"a": 1}, ["Read"], 3, True])
async def test_a_non_string_operation_name_is_a_400_in_the_graphql_error_shape(http: httpx.AsyncClient,
                                                                               name: Any) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        response = await http.post("/graphql", json={**QUERY, "operationName": name}, headers={"Accept": accept})
        body = assert_error_shape(response, 400, "VALIDATION_ERROR")
        assert "operationName" in body["message"]
        assert body["errors"][0]["message"] == body["message"]
        assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


async def test_requests_graphql_cannot_read_are_answered_in_the_error_shape(http: httpx.AsyncClient) -> None:
    """What Strawberry refuses before GraphQL (a `query` or `variables` of the wrong type) was text/plain."""
    for body in ({"query": 1}, {**QUERY, "variables": [1]}, {**QUERY, "extensions": 2}):
        answer = await http.post("/graphql", json=body)
        assert_error_shape(answer, 400, "VALIDATION_ERROR")
        assert answer.json()["errors"], answer.text
    assert_error_shape(await http.get("/graphql", params={"query": "{ __typename }", "variables": "[1]"}), 400,
                       "VALIDATION_ERROR")


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("a layer failed")


async def _aboom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("a layer failed")


# Where an exception is raised, and the request that reaches it.
LAYERS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str, str]] = {
    "cors": (lambda mp: mp.setattr(CORSMiddleware, "simple_response", _aboom), "POST", "/graphql"),
    "gateway middleware": (lambda mp: mp.setattr(ActorResolver, "resolve", _aboom), "POST", "/graphql"),
    "graphql view": (lambda mp: mp.setattr(GraphQLApp, "answer", _aboom), "POST", "/graphql"),
    "after execution": (lambda mp: mp.setattr(ops, "record", _boom), "POST", "/graphql"),
    "kept answers": (lambda mp: mp.setattr(Answers, "give", _aboom), "POST", "/graphql"),
    "rest door": (lambda mp: mp.setattr(run_service, "process_summaries", _aboom), "GET", "/v1/processes"),
    "metrics": (lambda mp: mp.setattr(ops, "generate_latest", _boom), "GET", "/metrics"),
}


@pytest.mark.parametrize("layer", LAYERS)
async def test_an_exception_in_any_layer_is_a_500_in_the_error_shape(settings: Settings, token: str, layer: str,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    break_it, method, path = LAYERS[layer]
    break_it(monkeypatch)
    async with plain_client(settings, token) as client:
        response = await client.request(method, path, json=QUERY if method == "POST" else None,
                                        headers={"Origin": "http://elsewhere.test"})
    if layer == "kept answers" and response.status_code == 200:
        pytest.skip("no answer is kept on SQLite (app/fast/answers.py)")
    body = assert_error_shape(response, 500, "INTERNAL")
    request_id = body["meta"]["requestId"]
    assert request_id in body["message"] and response.headers["x-request-id"] == request_id
    assert "a layer failed" not in response.text and "Traceback" not in response.text
    assert any(request_id in record.getMessage() or getattr(record, "request_id", None) == request_id
               for record in caplog.records), "the failure is logged with the request id"


async def test_unknown_paths_and_methods_answer_the_error_shape(http: httpx.AsyncClient) -> None:
    """Starlette's own refusals outside /v1 (whose door answers its own): JSON in the Error shape, not
    text/plain, with `Allow` for a method a route does not take."""
    missing = await http.get("/nope", headers={"Accept": "text/html"})
    body = assert_error_shape(missing, 404, "NOT_FOUND")
    assert body["meta"] == {"path": "/nope"} and "/graphql" in body["message"]
    refused = await http.put("/graphql", json=QUERY)
    body = assert_error_shape(refused, 405, "METHOD_NOT_ALLOWED")
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"  # a GraphQL client's shape on /graphql
    assert_error_shape(await http.post("/healthz"), 405, "METHOD_NOT_ALLOWED")
