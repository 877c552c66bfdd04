"""Abuse at the edge (issue 15 point 5): failed authentications budgeted per client address, a bounded token
cache, and at most one database lookup per unknown token per cache period."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import ActorResolver, AuthError
from app.main import create_app
from app.settings import Settings
from tests.helpers import SqlCounter

QUERY = {"query": "{ viewer { user { id } } }"}


def random_token() -> str:
    return "pgt_" + secrets.token_urlsafe(32)


@pytest.fixture
async def app_clients(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two clients of one app from two addresses, with a small failure budget (5, then 1 a minute)."""
    app = create_app(Settings(database_url=settings.database_url, auth_failures_per_minute=1,
                              auth_failure_burst=5))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 40000)),
                              base_url="http://test") as mallory, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 40000)),
                              base_url="http://test") as alice:
        yield mallory, alice


async def test_failed_authentications_past_the_budget_get_429_per_address(
        app_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], token: str) -> None:
    mallory, alice = app_clients
    for _ in range(5):
        answer = await mallory.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {random_token()}"})
        assert answer.status_code == 401
    refused = await mallory.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {random_token()}"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    body = refused.json()
    assert body["code"] == "RATE_LIMITED" and body["target"] == "Authorization"
    assert body["meta"]["limitName"] == "authFailuresPerAddress"
    # The address is over its budget whatever it sends next, until the budget refills (documented).
    assert (await mallory.post("/graphql", json=QUERY,
                               headers={"Authorization": f"Bearer {token}"})).status_code == 429
    # Another address is not touched by it.
    ok = await alice.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["user"]["id"]
    assert (await alice.post("/graphql", json=QUERY, headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_an_unknown_token_costs_one_lookup_per_cache_period(engine: AsyncEngine, sql: SqlCounter) -> None:
    resolver = ActorResolver(engine=engine, cache_seconds=60)
    unknown = f"Bearer {random_token()}"
    sql.reset()
    for _ in range(20):
        with pytest.raises(AuthError):
            await resolver.resolve(authorization=unknown)
    assert sql.count == 1
    for _ in range(10):  # ten new tokens: one lookup each
        with pytest.raises(AuthError):
            await resolver.resolve(authorization=f"Bearer {random_token()}")
    assert sql.count == 11


async def test_the_token_cache_is_bounded(engine: AsyncEngine, token: str, sql: SqlCounter) -> None:
    resolver = ActorResolver(engine=engine, cache_seconds=60, cache_size=10)
    await resolver.resolve(authorization=f"Bearer {token}")
    for _ in range(50):
        with pytest.raises(AuthError):
            await resolver.resolve(authorization=f"Bearer {random_token()}")
        await resolver.resolve(authorization=f"Bearer {token}")  # used all the time: stays cached
    assert resolver.cached_tokens == 10
    sql.reset()
    await resolver.resolve(authorization=f"Bearer {token}")
    assert sql.count == 0


async def test_the_token_cache_counts_its_hits_and_misses(engine: AsyncEngine, token: str) -> None:
    resolver = ActorResolver(engine=engine, cache_seconds=60)
    for _ in range(3):
        await resolver.resolve(authorization=f"Bearer {token}")
    with pytest.raises(AuthError):
        await resolver.resolve(authorization=f"Bearer {random_token()}")
    assert (resolver.hits, resolver.misses) == (2, 2)
