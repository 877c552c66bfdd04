"""Runs across real gateway processes: simultaneous actions, and a crash in the middle of a cascade
(issue 5 point 8). Each test starts its servers and always stops them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import create_token, create_user
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID
from tests.run.helpers import EVENTS, READ_RUN, START, action
from tests.servers import Server, running_server

TWENTY = 20


async def _user(engine: AsyncEngine, name: str) -> tuple[str, dict[str, str]]:
    uid = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name=name, email=f"{name}@x")
    _, token = await create_token(engine, user_id=uid, scopes=["read", "write"])
    return uid, {"Authorization": f"Bearer {token}"}


async def _post(http: httpx.AsyncClient, server: Server, headers: dict[str, str], query: str,
                variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(f"{server.base_url}/graphql", headers=headers,
                               json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"])


async def _simultaneous_submits(engine: AsyncEngine, servers: list[Server]) -> None:
    people = [await _user(engine, f"user{i}") for i in range(TWENTY)]
    manager = servers[0].headers
    root = {"name": "R", "parallel": True, "children": [
        {"job": {"arguments": {"sendTask": {"title": f"t{i}", "assignee": uid}}}} for i, (uid, _) in enumerate(people)]}
    create = ('mutation($input: ProcessCreateInput!) { processCreate(input: $input) { errors { code } '
              'process { id } } }')
    async with httpx.AsyncClient(timeout=60) as http:
        created = await _post(http, servers[0], manager, create, {"input": {"name": "P", "root": root,
                                                                           "autoClose": True}})
        started = await _post(http, servers[0], manager, START, {"id": created["processCreate"]["process"]["id"]})
        run = started["runStart"]["run"]
        jobs = {n["name"]: n["id"] for n in run["nodes"] if n["__typename"] == "JobRun"}
        submit = action("jobRunSubmit")
        results = await asyncio.gather(*(
            _post(http, servers[i % len(servers)], headers, submit, {"input": {"id": jobs[f"t{i}"]}})
            for i, (_, headers) in enumerate(people)))
        assert all(r["jobRunSubmit"]["errors"] == [] for r in results)
        final = (await _post(http, servers[-1], manager, READ_RUN, {"id": run["id"]}))["processRun"]
        events = [e["node"] for e in (await _post(http, servers[0], manager, EVENTS, {"id": run["id"]}))[
            "processRun"]["events"]["edges"]]
    assert final["status"] == "COMPLETE"
    assert all(n["status"] == "COMPLETE" for n in final["nodes"])
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1)), "gapless, no duplicate"
    root_id = next(n["id"] for n in final["nodes"] if n["__typename"] == "GroupRun")
    assert sum(1 for e in events if e["nodeId"] == root_id and e["toValue"] == "complete") == 1
    assert sum(1 for e in events if e["nodeKind"] == "run" and e["toValue"] == "complete") == 1
    for job_id in jobs.values():
        assert sum(1 for e in events if e["nodeId"] == job_id and e["toValue"] == "complete") == 2  # status, action


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(240)
async def test_simultaneous_submits_on_two_gateway_processes(backend: str, db_url: str, engine: AsyncEngine,
                                                             tmp_path: Path) -> None:
    with running_server(tmp_path, name="a", database_url=db_url) as a, \
            running_server(tmp_path, name="b", database_url=db_url, DEV_TOKEN_FILE=str(tmp_path / "a.dev-token")) as b:
        await _simultaneous_submits(engine, [a, b])


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(240)
async def test_simultaneous_submits_on_one_gateway_process_on_sqlite(backend: str, db_url: str,
                                                                     engine: AsyncEngine, tmp_path: Path) -> None:
    with running_server(tmp_path, name="one", database_url=db_url) as one:
        await _simultaneous_submits(engine, [one])


def _normalized(events: list[dict[str, Any]], names: dict[str, str]) -> list[tuple[Any, ...]]:
    return [(e["sequence"], e["nodeKind"], names.get(e["nodeId"], e["nodeKind"]), e["field"], e["fromValue"],
             e["toValue"]) for e in events]


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(240)
async def test_a_crash_in_the_middle_of_a_cascade_loses_the_whole_request(
    backend: str, db_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    ann, ann_headers = await _user(engine, "ann")
    signer, signer_headers = await _user(engine, "sig")
    _, token = await create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
    manager = {"Authorization": f"Bearer {token}"}
    root = {"name": "R", "children": [
        {"job": {"arguments": {"sendTask": {"title": "first", "assignee": ann}}}},
        {"job": {"arguments": {"certification": {"title": "cert", "signerSteps": [
            {"mode": "EVERYONE", "users": [signer]}]}}}}]}
    create = 'mutation($input: ProcessCreateInput!) { processCreate(input: $input) { process { id } } }'
    submit, sign = action("jobRunSubmit"), action("jobRunSign", "JobRunSignInput")

    async def scenario(server: Server, http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
        made = await _post(http, server, manager, create, {"input": {"name": "P", "root": root, "autoClose": True}})
        run = (await _post(http, server, manager, START, {"id": made["processCreate"]["process"]["id"]}))[
            "runStart"]["run"]
        names = {n["id"]: n["name"] for n in run["nodes"]}
        names[run["id"]] = "run"
        return run["id"], names

    async def events_of(server: Server, http: httpx.AsyncClient, run_id: str) -> list[dict[str, Any]]:
        data = await _post(http, server, manager, EVENTS, {"id": run_id})
        return [e["node"] for e in data["processRun"]["events"]["edges"]]

    async def finish(server: Server, http: httpx.AsyncClient, run_id: str, names: dict[str, str]) -> None:
        by_name = {v: k for k, v in names.items()}
        await _post(http, server, ann_headers, submit, {"input": {"id": by_name["first"]}})
        signer_job = next(k for k, v in names.items() if v.startswith("Signer:"))
        await _post(http, server, signer_headers, sign, {"input": {"id": signer_job}})

    # the reference: the same actions, uninterrupted
    async with httpx.AsyncClient(timeout=60) as http:
        with running_server(tmp_path, name="ref", database_url=db_url) as ref:
            ref_run, ref_names = await scenario(ref, http)
            await finish(ref, http, ref_run, ref_names)
            reference = _normalized(await events_of(ref, http, ref_run), ref_names)

        # the crash: the first action's save is killed after some writes, before the commit
        with running_server(tmp_path, name="crash", database_url=db_url, FAULT_KILL_AT="run.save.mid:1") as crash:
            run_id, names = await scenario(crash, http)
            before = await events_of(crash, http, run_id)
            by_name = {v: k for k, v in names.items()}
            with pytest.raises(httpx.TransportError):
                await http.post(f"{crash.base_url}/graphql", headers=ann_headers, json={
                    "query": submit, "variables": {"input": {"id": by_name["first"]}}})
            crash.process.wait(timeout=10)
            assert crash.process.returncode == -9  # SIGKILL

        with running_server(tmp_path, name="again", database_url=db_url) as again:
            after_restart = await events_of(again, http, run_id)
            assert after_restart == before, "none of the killed request's writes survived"
            state = (await _post(http, again, manager, READ_RUN, {"id": run_id}))["processRun"]
            assert next(n for n in state["nodes"] if n["name"] == "first")["actionStatus"] == "SENT"
            await finish(again, http, run_id, names)  # retrying the same action succeeds
            final = _normalized(await events_of(again, http, run_id), names)
    assert final == reference


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(240)
async def test_the_same_action_on_two_gateway_processes_applies_once(backend: str, db_url: str,
                                                                     engine: AsyncEngine, tmp_path: Path) -> None:
    """Issue 6 point 5: the same submit reaches two gateway processes at the same moment, many times over;
    each transition is applied once, one event per transition, and the loser gets a clear error."""
    ann, ann_headers = await _user(engine, "ann")
    _, token = await create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
    manager = {"Authorization": f"Bearer {token}"}
    rounds = 25
    root = {"name": "R", "parallel": True, "children": [
        {"job": {"arguments": {"sendTask": {"title": f"t{i}", "assignee": ann}}}} for i in range(rounds)]}
    create = 'mutation($input: ProcessCreateInput!) { processCreate(input: $input) { process { id } } }'
    submit = "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code message } run { id } } }"
    with running_server(tmp_path, name="a", database_url=db_url) as a, \
            running_server(tmp_path, name="b", database_url=db_url) as b:
        async with httpx.AsyncClient(timeout=60) as http:
            made = await _post(http, a, manager, create, {"input": {"name": "P", "root": root}})
            run = (await _post(http, a, manager, START, {"id": made["processCreate"]["process"]["id"]}))[
                "runStart"]["run"]
            jobs = {n["name"]: n["id"] for n in run["nodes"] if n["__typename"] == "JobRun"}
            for i in range(rounds):
                both = await asyncio.gather(*(
                    _post(http, server, ann_headers, submit, {"id": jobs[f"t{i}"]}) for server in (a, b)))
                outcomes = sorted(tuple(e["code"] for e in r["jobRunSubmit"]["errors"]) for r in both)
                assert outcomes == [(), ("INVALID_STATE",)], (i, both)
            events = [e["node"] for e in (await _post(http, a, manager, EVENTS, {"id": run["id"]}))[
                "processRun"]["events"]["edges"]]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    for job_id in jobs.values():
        completions = [e for e in events if e["nodeId"] == job_id and e["toValue"] == "complete"]
        assert len(completions) == 2  # status and action status, once each
