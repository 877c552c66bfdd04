"""Fixtures: a fresh migrated database per test, on every configured backend.

PROCESSGRAPH_TEST_BACKENDS lists the backends (`sqlite`, `postgresql`);
scripts/test sets it, and PROCESSGRAPH_TEST_PG_URL, after starting PostgreSQL.
Each backend gets one migrated template per session; each test gets a copy.
Tests marked `once` run on a single backend (`@pytest.mark.once(backend=...)`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app import migrate
from app.auth import service as auth_service
from app.db import create_engine
from app.fast.cache import SharedCache
from app.ids import new_id
from app.settings import DEV_USER_ID, Settings
from tests.helpers import GraphQLClient, SqlCounter, asgi_client
from tests.oidc import OidcProvider, serve_provider

BACKENDS = [b for b in os.environ.get("PROCESSGRAPH_TEST_BACKENDS", "sqlite").split(",") if b]
PG_URL = os.environ.get("PROCESSGRAPH_TEST_PG_URL")
if "postgresql" in BACKENDS and not PG_URL:
    raise RuntimeError("PROCESSGRAPH_TEST_BACKENDS names postgresql but PROCESSGRAPH_TEST_PG_URL is not set")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("once")
    if marker is None:
        params = BACKENDS
    else:
        wanted = marker.kwargs.get("backend")
        if wanted is None:
            params = ["postgresql" if "postgresql" in BACKENDS else BACKENDS[0]]
        elif wanted in BACKENDS:
            params = [wanted]
        else:
            params = []
    if params:
        metafunc.parametrize("backend", params, indirect=True)
    else:
        metafunc.parametrize("backend", [pytest.param("absent", marks=pytest.mark.skip(
            reason="its backend is not configured"))], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _pg_dsn(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return f"postgresql://{u.username}:{u.password}@{u.host}:{u.port}/{database or u.database}"


def _pg_url(database: str) -> str:
    assert PG_URL is not None
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


async def _pg_admin(sql: str) -> None:
    assert PG_URL is not None
    conn = await asyncpg.connect(_pg_dsn(PG_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated template database per configured backend (migrations run here, on each backend)."""
    made: dict[str, str] = {}
    if "sqlite" in BACKENDS:
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate.upgrade(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        made["sqlite"] = str(path)
    if "postgresql" in BACKENDS:
        name = f"pg_template_{os.getpid()}"
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
        migrate.upgrade(Settings(database_url=_pg_url(name)))
        made["postgresql"] = name
    yield made
    if "postgresql" in made:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {made['postgresql']} WITH (FORCE)"))


@pytest.fixture
async def db_url(backend: str, templates: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    if backend == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(templates["sqlite"], target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"t_{new_id()}"
    for attempt in range(5):  # an autovacuum worker on the template makes CREATE ... TEMPLATE wait its turn
        try:
            await _pg_admin(f"CREATE DATABASE {name} TEMPLATE {templates['postgresql']}")
            break
        except asyncpg.PostgresError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.5)
    try:
        yield _pg_url(name)
    finally:
        for attempt in range(5):
            try:
                await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                break
            except asyncpg.PostgresError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(settings)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sql(engine: AsyncEngine) -> Iterator[SqlCounter]:
    counter = SqlCounter(engine)
    try:
        yield counter
    finally:
        counter.remove()


@pytest.fixture
async def gql(engine: AsyncEngine, settings: Settings) -> GraphQLClient:
    # With the gateway's shared tree cache, as a server has it: every test's reads after its writes show
    # that nothing cached outlives the revision it was read at.
    client = GraphQLClient(engine=engine, settings=settings, cache=SharedCache(settings.tree_cache_mb * 1024 * 1024))
    await client.setup()
    return client


@pytest.fixture
async def gql_uncached(engine: AsyncEngine, settings: Settings) -> GraphQLClient:
    """Without the shared tree cache (TREE_CACHE_MB=0): what every read costs when nothing is kept."""
    client = GraphQLClient(engine=engine, settings=settings)
    await client.setup()
    return client


@pytest.fixture
async def token(engine: AsyncEngine) -> str:
    """A read and write token of the demo user."""
    _, value = await auth_service.create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
    return value


@pytest.fixture
async def http(settings: Settings, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a fresh app (lifespan running) that sends the demo user's token."""
    async with asgi_client(settings, token) as client:
        yield client


@pytest.fixture
def oidc_provider() -> Iterator[OidcProvider]:
    """A test OpenID Connect provider (discovery + JWKS) on loopback that mints tokens (tests/oidc.py)."""
    with serve_provider() as provider:
        yield provider


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "once(backend=None): see tests/conftest.py")


__all__: list[Any] = []
