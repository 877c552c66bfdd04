"""Identity over HTTP: bearer tokens, 401s in the Error shape, scopes, revocation, deactivation (issue 4 point 1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth
from app.auth.models import ApiToken
from app.db import table
from app.main import create_app
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings
from tests.factories import CREATE, process_input

VIEWER = "{ viewer { user { id name } workspace { id name } scopes } }"
COUNT = "{ processes { totalCount } }"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(replace(settings, token_cache_seconds=0.5))
    async with application.router.lifespan_context(application):
        yield application


def client(app: Any, token: str | None = None, **headers: str) -> httpx.AsyncClient:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers)


async def gql(app: Any, token: str | None, query: str, variables: dict[str, Any] | None = None,
              **headers: str) -> httpx.Response:
    async with client(app, token, **headers) as http:
        return await http.post("/graphql", json={"query": query, "variables": variables or {}})


def assert_401(response: httpx.Response, fragment: str) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "UNAUTHENTICATED" and fragment in body["message"] and body["target"] == "Authorization"
    assert {"code", "message", "target", "details", "meta", "documentationUrl"} <= set(body)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_tokens_are_random_hashed_and_shown_once(engine: AsyncEngine) -> None:
    _, one = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    _, two = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    assert one != two and one.startswith("pgt_") and len(one) >= 4 + 43  # 32 random bytes, base64url
    async with engine.connect() as conn:
        stored = (await conn.execute(select(table(ApiToken)))).all()
    assert {r.token_hash for r in stored} == {auth.hash_token(one), auth.hash_token(two)}
    assert all(one not in str(tuple(r)) and two not in str(tuple(r)) for r in stored)


@pytest.mark.parametrize(("header", "fragment"), [
    (None, "missing Authorization"),
    ("Basic dXNlcjpwYXNz", "malformed Authorization"),
    ("Bearer", "malformed Authorization"),
    ("Bearer not-one-of-ours", "malformed token"),
    ("Bearer pgt_" + "x" * 43, "unknown, revoked or deactivated"),
])
async def test_missing_malformed_or_unknown_tokens_get_401(app: Any, header: str | None, fragment: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert_401(await gql(app, None, COUNT, None, **headers), fragment)


async def test_viewer_and_authorship_follow_the_token(app: Any, engine: AsyncEngine) -> None:
    alice = await auth.create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Alice", email="a@x")
    _, token = await auth.create_token(engine, user_id=alice, scopes=["read", "write"])
    viewer = (await gql(app, token, VIEWER)).json()["data"]["viewer"]
    assert viewer == {"user": {"id": alice, "name": "Alice"},
                      "workspace": {"id": DEFAULT_WORKSPACE_ID, "name": "Default workspace"},
                      "scopes": ["READ", "WRITE"]}
    created = (await gql(app, token, CREATE + " ", {"input": process_input(nodes=2)})).json()["data"]
    pid = created["processCreate"]["process"]["id"]
    read = (await gql(app, token, "query($id: ID!) { process(id: $id) { created { user { id } } modified "
                      "{ user { id } } history { edges { node { user { id } } } } } }", {"id": pid})).json()
    process = read["data"]["process"]
    assert process["created"]["user"]["id"] == process["modified"]["user"]["id"] == alice
    assert process["history"]["edges"][0]["node"]["user"]["id"] == alice


async def test_a_read_only_token_cannot_write(app: Any, engine: AsyncEngine) -> None:
    _, reader = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    response = await gql(app, reader, CREATE, {"input": process_input(nodes=2)})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["extensions"]["meta"]["requiredScope"] == "write"
    assert (await gql(app, reader, COUNT)).json()["data"]["processes"]["totalCount"] == 0


async def test_a_write_only_token_cannot_read(app: Any, engine: AsyncEngine) -> None:
    _, writer = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["write"])
    (error,) = (await gql(app, writer, COUNT)).json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["extensions"]["meta"]["requiredScope"] == "read"


async def test_revocation_and_deactivation_take_effect_within_the_cache_time(app: Any, engine: AsyncEngine) -> None:
    token_id, token = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    assert (await gql(app, token, COUNT)).status_code == 200
    await auth.revoke_token(engine, token_id=token_id)
    await asyncio.sleep(0.6)  # the test app caches lookups for 0.5 s
    assert_401(await gql(app, token, COUNT), "revoked")

    bob = await auth.create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Bob", email="b@x")
    _, bobs = await auth.create_token(engine, user_id=bob, scopes=["read"])
    assert (await gql(app, bobs, COUNT)).status_code == 200
    await auth.set_user_active(engine, user_id=bob, active=False)
    await asyncio.sleep(0.6)
    assert_401(await gql(app, bobs, COUNT), "deactivated")


async def test_no_cookies_are_set_or_read(app: Any, token: str) -> None:
    response = await gql(app, token, COUNT, Cookie="session=abc")
    assert "set-cookie" not in response.headers
    assert_401(await gql(app, None, COUNT, Cookie=f"Authorization=Bearer {token}"), "missing")


async def test_users_lists_the_workspace(app: Any, engine: AsyncEngine, token: str) -> None:
    for name in ("zed", "Ärger", "anna"):
        await auth.create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name=name, email=f"{name}@x")
    other = await auth.create_workspace(engine, name="Other")
    await auth.create_user(engine, workspace_id=other, name="Outsider", email="o@x")
    query = "query($after: String) { users(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name active } } } }"
    first = (await gql(app, token, query)).json()["data"]["users"]
    rest = (await gql(app, token, query, {"after": first["pageInfo"]["endCursor"]})).json()["data"]["users"]
    names = [e["node"]["name"] for e in first["edges"] + rest["edges"]]
    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    assert names == ["anna", "Development User", "zed", "Ärger"]  # casefolded name order; no other workspace
