"""Answers of repeated queries given again (app/fast/answers.py, issue 16): invisible to clients.

A kept answer is sent only after its statements ran again and returned the rows they returned; these tests
drive the gateway over HTTP (the ASGI app with its lifespan, as `http` does) and check that every answer is
the one the whole way gives: after writes through GraphQL, to another workspace's user, with another
Accept header, when the clock moves, for mutations and for errors. On SQLite nothing is kept (no statement
is noted), and the same answers are checked there too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app import ops
from app.actor import Actor
from app.auth import service as auth
from app.clock import SettableClock
from app.connectivity import abandon_pooled
from app.db import PlainConnection, plain_connection
from app.fast.answers import AnswerKey, Answers, KeptAnswer
from app.fast.recording import Recording
from app.settings import DEV_USER_ID, Settings, SettingsError, load_settings
from tests.factories import CREATE
from tests.helpers import GraphQLClient, asgi_client
from tests.run.helpers import people
from tests.test_tree_cache import World, layers_off

WORKLOADS = Path(__file__).resolve().parent.parent / "bench" / "workloads"
PAGE = (WORKLOADS / "c_process_summaries.graphql").read_text()
TREE = (WORKLOADS / "a_process_tree.graphql").read_text()
RENAME = """mutation($id: ID!, $ops: [PatchOperationInput!]!) { processPatch(input: {id: $id, operations: $ops}) {
    errors { code message } } }"""


async def counts(http: httpx.AsyncClient) -> dict[str, float]:
    """The answers' lookups by result and the statements sent, from /metrics."""
    found: dict[str, float] = {"given": 0.0, "changed": 0.0, "none": 0.0}
    for line in (await http.get("/metrics")).text.splitlines():
        if line.startswith("processgraph_answer_cache_lookups{"):
            found[line.split('"')[1]] = float(line.split()[-1])
        elif line.startswith("processgraph_sql_statements_total "):
            found["sql"] = float(line.split()[-1])
    return found


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
               **headers: str) -> httpx.Response:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def tree_input(name: str, due: str | None = None) -> dict[str, Any]:
    args = {"title": f"{name} job", "assignee": DEV_USER_ID, **({"dueDate": due} if due else {})}
    return {"name": name, "root": {"name": "R", "children": [{"job": {"arguments": {"sendTask": args}}}]}}


async def test_a_repeated_query_is_answered_from_its_statements_until_a_write(http: httpx.AsyncClient,
                                                                             backend: str) -> None:
    """The third read of an unchanged page or tree is given again (one statement, a new request id); after
    a write the next read shows it."""
    pid = (await post(http, CREATE, {"input": tree_input("Kept")})).json()["data"]["processCreate"]["process"]["id"]
    for query, variables in ((PAGE, {}), (TREE, {"id": pid})):
        before = await counts(http)
        answers = [await post(http, query, variables) for _ in range(4)]
        after = await counts(http)
        assert len({a.content for a in answers}) == 1 and b"errors" not in answers[0].content
        assert len({a.headers["x-request-id"] for a in answers}) == 4
        assert answers[3].headers["content-type"] == answers[0].headers["content-type"]
        if backend == "postgresql":  # the first fills the tree cache, the second is kept, two are given
            assert after["given"] - before["given"] == 2, (before, after)
            sql = (await counts(http))["sql"]
            await post(http, query, variables)
            assert (await counts(http))["sql"] - sql == 1  # the statement that reads the versions
        else:
            assert after["given"] == 0
    await post(http, RENAME, {"id": pid, "ops": [{"op": "replace", "path": "/name", "value": "Renamed"}]})
    changed = (await counts(http))["changed"]
    tree = (await post(http, TREE, {"id": pid})).json()["data"]["process"]
    assert tree["name"] == "Renamed"
    page = (await post(http, PAGE)).json()["data"]["processes"]["edges"]
    assert "Renamed" in {e["node"]["name"] for e in page}
    if backend == "postgresql":
        assert (await counts(http))["changed"] - changed == 2  # both kept answers were run again, and differed
    # the out-of-date answers were dropped: the next reads (which keep their answers anew) run no old ones
    for query, variables in ((TREE, {"id": pid}), (PAGE, {})):
        assert [await post(http, query, variables) for _ in range(2)][1].json()["data"]
    if backend == "postgresql":
        assert (await counts(http))["changed"] - changed == 2


async def test_a_kept_answer_goes_to_no_other_user(settings: Settings, engine: AsyncEngine, token: str) -> None:
    """The same body from a user of another workspace, or the same user with another token, is answered
    for that user: workspace isolation holds for kept answers (the key holds the acting user and token)."""
    other_ws = await auth.create_workspace(engine, name="Other")
    other = await auth.create_user(engine, workspace_id=other_ws, name="Olga", email="olga@example.com")
    _, other_token = await auth.create_token(engine, user_id=other, scopes=["read"])
    _, read_token = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    async with asgi_client(settings, token) as http:
        pid = (await post(http, CREATE, {"input": tree_input("Mine")})).json()["data"]["processCreate"]["process"]["id"]
        mine = [(await post(http, TREE, {"id": pid})).json() for _ in range(3)]
        page = [(await post(http, PAGE)).json() for _ in range(3)]
        assert mine[2]["data"]["process"]["id"] == pid and page[2]["data"]["processes"]["edges"]
        theirs = await post(http, TREE, {"id": pid}, authorization=f"Bearer {other_token}")
        assert theirs.json()["data"]["process"] is None and pid not in theirs.text
        their_page = await post(http, PAGE, authorization=f"Bearer {other_token}")
        assert their_page.json()["data"]["processes"]["edges"] == []
        again = await post(http, TREE, {"id": pid}, authorization=f"Bearer {read_token}")
        assert again.json() == mine[2]
        write = await http.post("/graphql", json={"query": RENAME, "variables": {"id": pid, "ops": []}},
                                headers={"authorization": f"Bearer {read_token}"})
        assert "FORBIDDEN" in write.text or "scope" in write.text.lower(), write.text


async def test_the_accept_header_chooses_its_own_answer(http: httpx.AsyncClient) -> None:
    """GraphQL over HTTP's media type and plain JSON are two answers of the same body, each kept for itself."""
    newer = "application/graphql-response+json"
    for _ in range(3):
        plain = await post(http, PAGE, accept="application/json")
        assert plain.headers["content-type"].startswith("application/json")
        graphql = await post(http, PAGE, accept=newer)
        assert graphql.headers["content-type"].startswith(newer)


async def test_a_replayed_answer_carries_the_cors_headers_of_its_own_request(settings: Settings, token: str) -> None:
    """The answer kept from one origin's requests goes out again with the CORS headers computed for the request
    being answered (issue 28): none for no Origin or an unlisted one, the origin for a listed one, `Vary: Origin`
    once. The CORS middleware outside adds its headers to the response-start message in place; a kept answer
    that shared that message gave them to everyone after."""
    app_origin, other_app, evil = "http://localhost:5173", "https://app.example.test", "https://evil.example"
    listed = dataclasses.replace(settings, cors_origins=(app_origin, other_app))
    async with asgi_client(listed, token) as http:
        for _ in range(3):
            first = await post(http, PAGE, origin=app_origin)
            assert first.headers["access-control-allow-origin"] == app_origin
        given_before = (await counts(http))["given"]
        for origin in (None, evil):
            answer = await post(http, PAGE) if origin is None else await post(http, PAGE, origin=origin)
            assert answer.content == first.content
            assert "access-control-allow-origin" not in answer.headers, (origin, answer.headers)
            assert answer.headers.get("vary", "Origin") == "Origin", answer.headers
        again = await post(http, PAGE, origin=other_app)
        assert again.headers["access-control-allow-origin"] == other_app
        assert again.headers.get_list("vary") == ["Origin"], again.headers
        assert [k for k, _ in again.headers.raw if k.lower() == b"access-control-allow-origin"] == \
            [b"access-control-allow-origin"]
        if "postgresql" in str(settings.database_url):  # answers are kept on PostgreSQL only: they were given
            assert (await counts(http))["given"] >= given_before + 3


async def test_an_answer_that_read_the_clock_is_never_kept(settings: Settings, engine: AsyncEngine,
                                                           token: str) -> None:
    """`overdue` reads the clock: once the clock passes the due date, the same query answers true."""
    clock = SettableClock(datetime(2030, 1, 9, 12, tzinfo=UTC))
    async with asgi_client(dataclasses.replace(settings, clock=clock), token) as http:
        created = await post(http, CREATE, {"input": tree_input("Due", due="2030-01-10")})
        pid = created.json()["data"]["processCreate"]["process"]["id"]
        started = await post(http, "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code } "
                             "run { id } } }", {"id": pid})
        rid = started.json()["data"]["runStart"]["run"]["id"]
        query = "query($id: ID!) { processRun(id: $id) { id nodes { ... on JobRun { id dueDate overdue } } } }"

        async def overdue() -> list[bool]:
            nodes = (await post(http, query, {"id": rid})).json()["data"]["processRun"]["nodes"]
            return [n["overdue"] for n in nodes if "overdue" in n]

        before = await counts(http)
        assert [await overdue() for _ in range(3)] == [[False]] * 3
        clock.set(datetime(2030, 1, 11, 12, tzinfo=UTC))
        assert await overdue() == [True]
        assert (await counts(http))["given"] == before["given"]


async def test_mutations_and_answers_with_errors_run_every_time(http: httpx.AsyncClient) -> None:
    """A repeated mutation is carried out each time; an answer with errors is never kept."""
    body = {"input": tree_input("Twice")}
    ids = {(await post(http, CREATE, body)).json()["data"]["processCreate"]["process"]["id"] for _ in range(3)}
    assert len(ids) == 3
    before = await counts(http)
    for _ in range(3):
        answer = (await post(http, "{ processes(first: 1) { edges { node { id nope } } } }")).json()
        assert answer["errors"][0]["message"].startswith("Cannot query field 'nope'")
        missing = (await post(http, TREE, {"id": "not-an-id"})).json()
        assert missing["data"]["process"] is None
        # the page is read, then a field below it is refused: an error after the statements, never kept
        half = (await post(http, "{ processes(first: 1) { edges { node { id process { runs(first: 100000) { "
                           "edges { node { id } } } } } } } }")).json()
        assert half["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED", half
        assert half["errors"][0]["path"] == ["processes", "edges", 0, "node", "process", "runs"], half
    assert (await counts(http))["given"] == before["given"]


def test_the_setting_is_read_and_checked() -> None:
    assert load_settings({"ANSWER_CACHE_MB": "4"}).answer_cache_mb == 4
    assert load_settings({}).answer_cache_mb == 16
    with pytest.raises(SettingsError, match="ANSWER_CACHE_MB"):
        load_settings({"ANSWER_CACHE_MB": "-1"})


async def test_a_budget_of_zero_keeps_nothing(settings: Settings, token: str) -> None:
    async with asgi_client(dataclasses.replace(settings, answer_cache_mb=0), token) as http:
        answers = [(await post(http, PAGE)).content for _ in range(4)]
        assert len(set(answers)) == 1
        assert "processgraph_answer_cache_lookups{" not in (await http.get("/metrics")).text.replace(
            "# HELP processgraph_answer_cache_lookups", "").replace("# TYPE processgraph_answer_cache_lookups", "")


@dataclasses.dataclass
class Answer:
    data: Any
    errors: Any



async def holding_replays(engine: AsyncEngine) -> list[Any]:
    """Connections to this database whose last statement was the page's versions read, the statement that
    replays of PAGE run: a spare's (other connections of the test, or another test's, never run it)."""
    async with engine.connect() as conn:
        return list((await conn.exec_driver_sql(
            "SELECT pid, state, backend_start FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND query LIKE 'SELECT process.id, process.revision, "
            "process.latest_run_id%'")).all())


async def test_spare_connections_survive_the_database_and_go_back_at_the_end(
    settings: Settings, engine: AsyncEngine, token: str, backend: str
) -> None:
    """Replays keep a few connections between requests (app/fast/answers.py SPARE_CONNECTIONS). When the
    server ends them, the next replay reconnects and the answer is given as before; when the gateway stops,
    they are closed with its pool, none left behind."""
    if backend != "postgresql":
        pytest.skip("answers are kept on PostgreSQL only")
    async with asgi_client(settings, token) as http:
        await post(http, CREATE, {"input": tree_input("Spare")})
        first = [await post(http, PAGE) for _ in range(2)][1]
        given = (await counts(http))["given"]
        answers = await asyncio.gather(*(post(http, PAGE) for _ in range(8)))  # several replays at once
        assert {a.content for a in answers} == {first.content}
        assert (await counts(http))["given"] - given == 8
        async with engine.connect() as conn:  # every connection but this one, the spares among them
            await conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                       "datname = current_database() AND pid <> pg_backend_pid()")
        given = (await counts(http))["given"]
        assert (await post(http, PAGE)).content == first.content
        assert (await counts(http))["given"] - given == 1  # given again, on a fresh connection
    await engine.dispose()  # the fixture's own connections, ended by the server above
    for _ in range(150):  # a backend leaves pg_stat_activity a moment after its connection closes
        if not await holding_replays(engine):
            break
        await asyncio.sleep(0.1)
    assert await holding_replays(engine) == []


async def test_a_spare_connection_older_than_a_fault_is_not_used_again(engine: AsyncEngine, backend: str) -> None:
    """A spare is checked as the pool checks a connection it hands out: once the pool has met a fault (and
    replaces its older connections), a spare opened before it goes back to the pool instead of serving the
    next replay (a failed-over database may still answer on the old one)."""
    if backend != "postgresql":
        pytest.skip("answers are kept on PostgreSQL only")
    answers = Answers(1 << 20, lambda: engine, ops.Metrics(), 5.0)
    recording = Recording()
    async with plain_connection(engine) as conn:
        assert isinstance(conn, PlainConnection)
        recording.note("SELECT 1 AS one", [], await conn.fetch_sql("SELECT 1 AS one", [], True))
    key = AnswerKey("POST", b"", b"{}", Actor(user_id=DEV_USER_ID, workspace_id="w", scopes=frozenset({"read"})), ())
    answers.kept.put(key, KeptAnswer(200, [], b"{}", recording, None), family=None, size=100)
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    def spare_backend() -> int:
        assert len(answers.spares) == 1
        return int(answers.spares[0].fairy.driver_connection.get_server_pid())

    try:
        assert await answers.give(key, send)
        first = spare_backend()
        assert await answers.give(key, send) and spare_backend() == first  # kept, and used again
        other = await engine.raw_connection()  # a fault met on another connection, as fetch_plain meets one
        await abandon_pooled(engine.sync_engine.pool, other, ConnectionError("the server went away"))
        assert await answers.give(key, send) and spare_backend() != first
        assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200, 200, 200]
    finally:
        await answers.close()

class HttpReads:
    """`World`'s cached client over HTTP: each query is sent twice (so that it is kept, and given again
    when nothing it reads has changed since), and both answers must be the same; mutations once."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> Answer:
        sent = 1 if query.lstrip().startswith("mutation") else 2
        answers = [await post(self.http, query, variables) for _ in range(sent)]
        assert answers[0].content == answers[-1].content
        body = answers[-1].json()
        return Answer(body.get("data"), body.get("errors"))

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = await self.raw(query, variables)
        assert not answer.errors, answer.errors
        return dict(answer.data)


@pytest.mark.parametrize(("seed", "layers"), [(3, "on"), (3, "off")])
@pytest.mark.timeout(300)
async def test_random_edits_run_actions_and_repeated_reads_answer_as_the_whole_way(
    gql: GraphQLClient, gql_uncached: GraphQLClient, engine: AsyncEngine, settings: Settings, token: str,
    backend: str, seed: int, layers: str
) -> None:
    """tests/test_tree_cache.py's random sequence, with every read sent over HTTP twice and compared with the
    uncached client on the same database: kept answers are given only when nothing they read has changed.
    Hundreds of requests from one token: no rate limit (on a fast machine they outran its burst)."""
    p = await people(engine, settings, gql, "ann", "bob")
    served = dataclasses.replace(layers_off(settings) if layers == "off" else settings,
                                 rate_limit_per_second=0.0)  # every layer off, or all on
    async with asgi_client(served, token) as http:
        await World(HttpReads(http), gql_uncached, p, random.Random(seed)).run(30)  # type: ignore[arg-type]
        found = await counts(http)
    if backend == "postgresql" and layers == "on":  # kept answers were given, and some run again and changed
        assert found["given"] > 30 and found["changed"] > 5, found
    if layers == "off":
        assert found["given"] == found["changed"] == found["none"] == 0, found
