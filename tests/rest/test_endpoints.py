"""The REST door (issue 17, point 1): every /v1 operation through the ASGI app with the demo user's token."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.auth import service as auth
from app.main import create_app
from app.settings import DEV_USER_ID, Settings
from tests.rest.helpers import assert_error, create, group, job, patch, process_body


async def test_create_read_and_list(http: httpx.AsyncClient) -> None:
    made = await http.post("/v1/processes", json=process_body("Alpha", job("One"), group("G", job("Two"))))
    assert made.status_code == 201
    body = made.json()
    assert made.headers["location"] == f"/v1/processes/{body['id']}"
    assert made.headers["etag"] == '"1"' and body["revision"] == 1
    read = await http.get(made.headers["location"])
    assert read.status_code == 200 and read.json() == body and read.headers["etag"] == '"1"'
    kids = body["root"]["children"]
    assert [c["type"] for c in kids] == ["job", "group"]
    assert kids[0]["job"]["arguments"] == {"type": "sendTask", "sendTaskArgs": {"title": "One",
                                                                               "assignee": DEV_USER_ID}}
    assert kids[1]["group"]["children"][0]["job"]["parent"] == kids[1]["group"]["id"]
    assert kids[0]["job"]["parent"] is None and body["root"]["parent"] is None
    listed = (await http.get("/v1/processes")).json()
    assert "@nextLink" not in listed and [p["id"] for p in listed["data"]] == [body["id"]]
    assert "run" not in listed["data"][0]


async def test_pages_follow_next_link_to_the_end(http: httpx.AsyncClient) -> None:
    ids = [(await create(http, process_body(f"P{i}")))["id"] for i in range(5)]
    seen: list[str] = []
    url: str | None = "/v1/processes?$maxpagesize=2&$orderBy=name desc"
    pages = 0
    while url is not None:
        page = (await http.get(url)).json()
        seen += [p["id"] for p in page["data"]]
        url = page.get("@nextLink")
        pages += 1
    assert pages == 3 and seen == ids[::-1]
    empty = (await http.get("/v1/processes", params={"$filter": "contains(name,'nothing like it')"})).json()
    assert empty == {"data": []}


async def test_filter_and_orders(http: httpx.AsyncClient) -> None:
    await create(http, process_body("Budget o'Brien"))
    await create(http, process_body("budget plan", dueDate="2025-01-01"))
    await create(http, process_body("Close", dueDate="2024-06-30"))
    found = (await http.get("/v1/processes", params={"$filter": "contains(name,'BUDGET')"})).json()["data"]
    assert sorted(p["name"] for p in found) == ["Budget o'Brien", "budget plan"]
    quoted = (await http.get("/v1/processes", params={"$filter": "contains(name,'o''b')"})).json()["data"]
    assert [p["name"] for p in quoted] == ["Budget o'Brien"]
    by_due = (await http.get("/v1/processes", params={"$orderBy": "dueDate asc"})).json()["data"]
    assert [p["name"] for p in by_due] == ["Close", "budget plan", "Budget o'Brien"]
    by_name = (await http.get("/v1/processes", params={"$orderBy": "name"})).json()["data"]
    assert [p["name"] for p in by_name] == ["Budget o'Brien", "budget plan", "Close"]


@pytest.mark.parametrize(("params", "target"), [
    ({"$filter": "startswith(name,'a')"}, "$filter"), ({"$filter": "contains(name,'a') or 1=1"}, "$filter"),
    ({"$filter": "contains(description,'a')"}, "$filter"), ({"$filter": "contains(name,'it's')"}, "$filter"),
    ({"$orderBy": "name; DROP TABLE process"}, "$orderBy"), ({"$orderBy": "created"}, "$orderBy"),
    ({"$orderBy": "name up"}, "$orderBy"), ({"$maxpagesize": "0"}, "$maxpagesize"),
    ({"$maxpagesize": "1001"}, "$maxpagesize"), ({"$maxpagesize": "-1"}, "$maxpagesize"),
    ({"$maxpagesize": "ten"}, "$maxpagesize"), ({"$next": "bm90IGEgdG9rZW4"}, "$next"), ({"$next": "%%%"}, "$next"),
    ({"$skip": "1"}, "$skip"),
])
async def test_list_parameters_outside_the_documented_ones_are_400(http: httpx.AsyncClient, params: dict[str, str],
                                                                   target: str) -> None:
    assert_error(await http.get("/v1/processes", params=params), 400, "VALIDATION_ERROR", target)


async def test_filter_text_past_the_name_limit_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/processes", params={"$filter": f"contains(name,'{'x' * 1001}')"})
    assert_error(response, 400, "LIMIT_EXCEEDED", "$filter")


async def test_next_keeps_filter_and_order_and_refuses_changes(http: httpx.AsyncClient) -> None:
    for name in ("a1", "a2", "a3", "b1"):
        await create(http, process_body(name))
    first = (await http.get("/v1/processes", params={"$filter": "contains(name,'a')", "$orderBy": "name",
                                                     "$maxpagesize": "2"})).json()
    assert [p["name"] for p in first["data"]] == ["a1", "a2"]
    second = (await http.get(first["@nextLink"])).json()
    assert [p["name"] for p in second["data"]] == ["a3"] and "@nextLink" not in second
    changed = await http.get(first["@nextLink"] + "&$orderBy=dueDate")
    assert_error(changed, 400, "VALIDATION_ERROR", "$orderBy")


async def test_delete_moves_to_the_trash(http: httpx.AsyncClient) -> None:
    made = await create(http)
    stale = await http.delete(f"/v1/processes/{made['id']}", headers={"If-Match": '"7"'})
    body = assert_error(stale, 412, "CONFLICT", "If-Match")
    assert body["meta"]["currentRevision"] == "1"
    gone = await http.delete(f"/v1/processes/{made['id']}", headers={"If-Match": '"1"'})
    assert gone.status_code == 204 and gone.content == b"" and gone.headers["etag"] == '"2"'
    assert_error(await http.get(f"/v1/processes/{made['id']}"), 404, "NOT_FOUND", "id")
    assert (await http.get("/v1/processes")).json() == {"data": []}
    assert_error(await http.delete(f"/v1/processes/{made['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize("process_id", ["0" * 32, "not-an-id", "A" * 32])
async def test_unknown_ids_are_404(http: httpx.AsyncClient, process_id: str) -> None:
    for method, path in (("GET", ""), ("DELETE", ""), ("POST", "/validation"), ("POST", "/run")):
        response = await http.request(method, f"/v1/processes/{process_id}{path}")
        assert_error(response, 404, "NOT_FOUND", "id")
    assert_error(await http.get(f"/v1/processRuns/{process_id}"), 404, "NOT_FOUND", "id")


async def test_bodies_are_checked_against_the_seed_models(http: httpx.AsyncClient) -> None:
    body = process_body()
    del body["autoClose"]
    assert_error(await http.post("/v1/processes", json=body), 400, "REQUIRED", "autoClose")
    wrong = process_body("X", job("T", extra_field=1))
    assert_error(await http.post("/v1/processes", json=wrong), 400, "VALIDATION_ERROR",
                 "root.children[0].job.extra_field")
    blank = process_body("   ")
    assert_error(await http.post("/v1/processes", json=blank), 400, "VALIDATION_ERROR", "name")
    typed = process_body(autoClose="true")
    assert_error(await http.post("/v1/processes", json=typed), 400, "VALIDATION_ERROR", "autoClose")
    not_json = await http.post("/v1/processes", content=b"{", headers={"content-type": "application/json"})
    assert_error(not_json, 400, "VALIDATION_ERROR", "body")
    text = await http.post("/v1/processes", content=b"{}", headers={"content-type": "text/plain"})
    assert_error(text, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type")
    window = process_body(businessStartDate="2025-02-01", businessEndDate="2025-01-01")
    assert_error(await http.post("/v1/processes", json=window), 400, "VALIDATION_ERROR", "businessEndDate")


async def test_read_only_fields_are_ignored_unknown_ones_refused(http: httpx.AsyncClient) -> None:
    """A response can be sent back as a request: ids, revisions, stamps and generated groups are ignored."""
    first = await create(http, process_body("Round trip", {"type": "job", "job": {"arguments": {
        "type": "certification", "certificationArgs": {"title": "C", "signerSteps": [
            {"mode": "everyone", "users": [DEV_USER_ID]}]}}, "tags": [{"category": "a", "value": "b"}]}}))
    again = await create(http, first)
    assert again["id"] != first["id"] and again["revision"] == 1
    assert again["created"]["dateTime"] != first["created"]["dateTime"] or again["id"] != first["id"]

    def shape(p: dict[str, Any]) -> Any:
        node = p["root"]["children"][0]["job"]
        return node["arguments"], [t["category"] for t in node["tags"]], "generated" in node
    assert shape(again) == shape(first) == shape(first)
    assert again["root"]["children"][0]["job"]["generated"]["id"] != first["root"]["children"][0]["job"]["generated"]["id"]


async def test_patch_batch_validation_and_etags(http: httpx.AsyncClient) -> None:
    made = await create(http, process_body("P", job("Old title"), group("Old group")))
    pid = made["id"]
    job_id = made["root"]["children"][0]["job"]["id"]
    group_id = made["root"]["children"][1]["group"]["id"]
    patched = await patch(http, pid, [{"op": "replace", "path": "/name", "value": "New"},
                                      {"op": "replace", "path": "/calendarIds", "value": ["c1"]},
                                      {"op": "replace", "path": "/dueDate", "value": "2025-03-31"}],
                          **{"If-Match": '"1"'})
    assert patched.status_code == 200 and patched.headers["etag"] == '"2"'
    assert (patched.json()["name"], patched.json()["calendars"], patched.json()["dueDate"]) == ("New", ["c1"],
                                                                                               "2025-03-31")
    removed = await patch(http, pid, [{"op": "remove", "path": "/dueDate"}])
    assert "dueDate" not in removed.json() and removed.headers["etag"] == '"3"'
    assert_error(await patch(http, pid, [{"op": "remove", "path": "/name"}]), 400, "VALIDATION_ERROR", "/name")
    assert_error(await patch(http, pid, [{"op": "move", "path": "/name", "from": "/x"}]), 400, "VALIDATION_ERROR",
                 "/name")
    assert_error(await patch(http, pid, [{"op": "replace", "path": "/autoClose", "value": 1}]), 400,
                 "VALIDATION_ERROR", "/autoClose")
    assert_error(await patch(http, pid, [], **{"If-Match": '"1"'}), 412, "CONFLICT", "If-Match")
    as_json = await http.patch(f"/v1/processes/{pid}", json=[])
    assert_error(as_json, 415, "UNSUPPORTED_MEDIA_TYPE")
    empty = await patch(http, pid, [])
    assert empty.status_code == 200 and empty.headers["etag"] == '"3"'

    batch = await http.post(f"/v1/processes/{pid}/batchUpdates", headers={"If-Match": '"3"'}, json={"data": [
        {"id": job_id, "newName": "New title", "type": "jobName"},
        {"type": "groupName", "groupNameUpdate": {"id": group_id, "newName": "New group"}}]})
    assert batch.status_code == 200 and batch.headers["etag"] == '"4"'
    kids = batch.json()["root"]["children"]
    assert kids[0]["job"]["arguments"]["sendTaskArgs"]["title"] == "New title"
    assert kids[1]["group"]["name"] == "New group"
    none = await http.post(f"/v1/processes/{pid}/batchUpdates", json={"data": []})
    assert none.status_code == 200 and none.headers["etag"] == '"4"'
    wrong = await http.post(f"/v1/processes/{pid}/batchUpdates", json={"data": [
        {"id": group_id, "newName": "x", "type": "jobName"}, {"id": "0" * 32, "newName": "y", "type": "jobName"}]})
    body = assert_error(wrong, 404, "VALIDATION_ERROR", "data[0]")
    assert [(d["code"], d["target"]) for d in body["details"]] == [("VALIDATION_ERROR", "data[0]"),
                                                                   ("NOT_FOUND", "data[1]")]
    too_many = await http.post(f"/v1/processes/{pid}/batchUpdates", json={"data": [
        {"id": job_id, "newName": "x", "type": "jobName"}] * 3001})
    assert_error(too_many, 400, "VALIDATION_ERROR", "data")

    checked = await http.post(f"/v1/processes/{pid}/validation")
    assert checked.status_code == 200 and checked.json() == {"errors": []}
    await patch(http, pid, [{"op": "replace", "path": "/relativeDates", "value": True}])
    problems = (await http.post(f"/v1/processes/{pid}/validation")).json()["errors"]
    assert [e["code"] for e in problems] == ["MISSING_BUSINESS_WINDOW"]
    refused = await http.post(f"/v1/processes/{pid}/run")
    assert_error(refused, 409, "MISSING_BUSINESS_WINDOW", pid)


async def test_runs_and_job_runs(http: httpx.AsyncClient) -> None:
    made = await create(http, process_body("Runnable", job("First"), job("Second", triggerType="manual")))
    started = await http.post(f"/v1/processes/{made['id']}/run")
    assert started.status_code == 201, started.text
    run = started.json()
    assert started.headers["location"] == f"/v1/processRuns/{run['id']}"
    assert (run["process"], run["status"], run["managerUser"]) == (made["id"], "running", DEV_USER_ID)
    assert run["statusCounts"] == {"waiting": 1, "running": 1, "cancelling": 0, "complete": 0, "cancelled": 0,
                                   "error": 0, "errorHold": 0}
    read = await http.get(started.headers["location"])
    assert read.json() == run and read.headers["etag"] == f'"{run["revision"]}"'
    second = run["root"]["children"][1]["job"]
    assert (second["status"], second["eligibleToStart"], second["triggerType"]) == ("waiting", False, "manual")
    added = await http.post(f"/v1/processRuns/{run['id']}/jobRuns", json={
        "jobs": [{"arguments": {"type": "sendTask", "sendTaskArgs": {"title": "Added", "assignee": DEV_USER_ID}}}],
        "relativeSiblingId": second["id"]})
    assert added.status_code == 201, added.text
    assert [(j["name"], j["ordinal"], j["sourceJobId"]) for j in added.json()["data"]] == [("Added", 1, None)]
    summary = (await http.get("/v1/processes")).json()["data"][0]["run"]
    assert summary["id"] == run["id"] and summary["statusCounts"]["waiting"] == 2
    elsewhere = await http.post(f"/v1/processRuns/{run['id']}/jobRuns", json={
        "jobs": [{"arguments": {"type": "sendTask"}}], "parentGroupId": "0" * 32})
    assert_error(elsewhere, 404, "NOT_FOUND", "parentGroupId")
    empty = await http.post(f"/v1/processRuns/{run['id']}/jobRuns", json={"jobs": []})
    assert_error(empty, 400, "VALIDATION_ERROR", "jobs")


async def test_tokens_scopes_and_http_limits(settings: Settings, engine: Any, token: str) -> None:
    _, reader = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    tight = Settings(database_url=settings.database_url, max_body_bytes=2000, rate_limit_per_second=0.01,
                     rate_limit_burst=3)
    app = create_app(tight)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://test") as http:
        missing = await http.get("/v1/processes")
        assert_error(missing, 401, "UNAUTHENTICATED", "Authorization")
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert_error(await http.get("/v1/processes", headers={"Authorization": "Bearer pgt_nope"}), 401,
                     "UNAUTHENTICATED")
        as_reader = {"Authorization": f"Bearer {reader}"}
        assert (await http.get("/v1/processes", headers=as_reader)).status_code == 200
        body = assert_error(await http.post("/v1/processes", json=process_body(), headers=as_reader), 403,
                            "FORBIDDEN", "Authorization")
        assert body["meta"] == {"requiredScope": "write", "scopes": "[\"read\"]"}
        big = await http.post("/v1/processes", json=process_body("x" * 3000), headers=as_reader)
        assert_error(big, 413, "LIMIT_EXCEEDED", "body")
        # The burst of 3 is one budget for both doors: the GraphQL request spends one of them.
        graphql = await http.post("/graphql", json={"query": "{ viewer { scopes } }"}, headers=as_reader)
        assert graphql.status_code == 200
        limited = await http.get("/v1/processes", headers=as_reader)
        assert_error(limited, 429, "RATE_LIMITED")
        assert int(limited.headers["retry-after"]) >= 1


async def test_requests_are_counted_and_logged(http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="processgraph.requests")
    await http.get("/v1/processes")
    await http.get(f"/v1/processes/{'0' * 32}")
    metrics = (await http.get("/metrics")).text
    assert 'processgraph_requests_total{operation="GET /v1/processes"} 1.0' in metrics
    assert 'processgraph_requests_total{operation="GET /v1/processes/{id}"} 1.0' in metrics
    assert 'processgraph_errors_total{code="NOT_FOUND"} 1.0' in metrics
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "processgraph.requests"]
    assert any(line["operation"] == "GET /v1/processes/{id}" and line["errorCodes"] == ["NOT_FOUND"]
               for line in lines), lines
    response = await http.get("/v1/processes")
    assert len(response.headers["x-request-id"]) == 32


async def test_unsupported_methods_are_405_with_allow(http: httpx.AsyncClient) -> None:
    response = await http.put("/v1/processes", json={})
    body = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST" and body["meta"] == {"allowed": "[\"GET\",\"POST\"]"}


async def _statements(http: httpx.AsyncClient) -> float:
    metrics = (await http.get("/metrics")).text
    (line,) = [x for x in metrics.splitlines() if x.startswith("processgraph_sql_statements_total ")]
    return float(line.split()[1])


async def test_statement_counts_do_not_grow_with_the_data(http: httpx.AsyncClient) -> None:
    """A page of summaries with their runs (a page, its runs, their status counts) and a process with its tree
    (the process, its groups, its jobs) take the same few statements however many rows there are (counted at
    the app's engine, /metrics; connection set-up statements included)."""
    async def made(count: int) -> str:
        last = ""
        for i in range(count):
            last = (await create(http, process_body(f"P{i}", job("A"), group("G", job("B"), job("C")))))["id"]
            assert (await http.post(f"/v1/processes/{last}/run")).status_code == 201
        return last

    counts = []
    for more in (2, 8):
        last = await made(more)
        await http.get("/v1/processes")  # the token lookup is cached from here on
        before = await _statements(http)
        listed = (await http.get("/v1/processes?$maxpagesize=1000")).json()["data"]
        after_list = await _statements(http)
        await http.get(f"/v1/processes/{last}")
        after_read = await _statements(http)
        assert all("run" in p for p in listed)
        counts.append((after_list - before, after_read - after_list))
    assert counts[0] == counts[1] and max(counts[0]) <= 6, counts
