"""JSON Patch: exactly the seed's path/op table, seed JSON values, all or nothing (issue 3 point 1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import sort_key
from app.process.draft import PROCESSES
from app.process.patch import PATHS
from tests.factories import CREATE
from tests.helpers import GraphQLClient
from tests.rest.helpers import patch as rest_patch

PATCH = """mutation($id: ID!, $ops: [PatchOperationInput!]!, $rev: Int) {
  processPatch(input: {id: $id, operations: $ops, expectedRevision: $rev}) {
    errors { code message target meta }
    process { id revision name autoClose ipmBetaEnabled iwmOptOut relativeDates certAutoApprove dueDate
      businessStartDate businessEndDate businessDaysOfWeek businessDateExclusions businessDateInclusions calendars
      defaultCertSignerReminders { mode reminders { daysFromDue subject body } }
      defaultCertApproverReminders { mode }
      root { parallel triggerType revision } }
  }
}"""

# A valid value for every patchable path, in the seed's JSON spelling.
VALUES: dict[str, Any] = {
    "/dueDate": "2025-06-30",
    "/businessStartDate": "2025-01-01",
    "/businessEndDate": "2025-12-31",
    "/businessDaysOfWeek": ["monday", "friday"],
    "/businessDateExclusions": ["2025-12-25"],
    "/businessDateInclusions": ["2025-12-27"],
    "/calendarIds": ["cal-1", "cal-2"],
    "/name": "Renamed",
    "/autoClose": True,
    "/ipmBetaEnabled": True,
    "/iwmOptOut": True,
    "/relativeDates": True,
    "/root/parallel": True,
    "/root/triggerType": "manual",
    "/certAutoApprove": True,
    "/defaultCertSignerReminders": {"mode": "custom", "reminders": [{"daysFromDue": -2, "subject": "s", "body": "b"}]},
    "/defaultCertApproverReminders": {"mode": "none"},
}
WINDOW = {"businessStartDate": "2025-01-01", "businessEndDate": "2025-12-31"}


async def _process(gql: GraphQLClient, **fields: Any) -> str:
    data = await gql(CREATE, {"input": {"name": "P", "root": {"name": "R"}, **fields}})
    return str(data["processCreate"]["process"]["id"])


def test_the_table_is_the_seeds() -> None:
    assert set(VALUES) == set(PATHS)
    rr = {p for p, (ops, *_rest) in PATHS.items() if ops == ("remove", "replace")}
    assert rr == {"/dueDate", "/businessStartDate", "/businessEndDate", "/businessDaysOfWeek",
                  "/businessDateExclusions", "/businessDateInclusions", "/calendarIds",
                  "/defaultCertSignerReminders", "/defaultCertApproverReminders"}


@pytest.mark.parametrize("path", sorted(VALUES))
async def test_every_listed_pair_is_accepted_and_every_unlisted_op_refused(gql: GraphQLClient, path: str) -> None:
    allowed = PATHS[path][0]
    for op in ("add", "remove", "replace", "move", "copy", "test"):
        pid = await _process(gql, **WINDOW)
        operation: dict[str, Any] = {"op": op, "path": path}
        if op != "remove":
            operation["value"] = VALUES[path]
        # removing one end of the business window alone would break both-or-neither
        extra = []
        if op == "remove" and path in ("/businessStartDate", "/businessEndDate"):
            other = "/businessEndDate" if path == "/businessStartDate" else "/businessStartDate"
            extra = [{"op": "remove", "path": other}]
        payload = (await gql(PATCH, {"id": pid, "ops": [operation, *extra]}))["processPatch"]
        if op in allowed:
            assert payload["errors"] == [], (op, path, payload["errors"])
        else:
            assert payload["process"] is None
            (error,) = payload["errors"]
            assert error["target"] == path and error["meta"]["index"] == 0 and error["meta"]["op"] == op


async def test_replace_values_land_in_the_seed_spelling(gql: GraphQLClient) -> None:
    pid = await _process(gql)
    ops = [{"op": "replace", "path": p, "value": v} for p, v in VALUES.items()]
    payload = (await gql(PATCH, {"id": pid, "ops": ops, "rev": 1}))["processPatch"]
    assert payload["errors"] == []
    p = payload["process"]
    assert p["revision"] == 2 and p["name"] == "Renamed" and p["dueDate"] == "2025-06-30"
    assert p["businessDaysOfWeek"] == ["MONDAY", "FRIDAY"] and p["calendars"] == ["cal-1", "cal-2"]
    assert p["businessDateExclusions"] == ["2025-12-25"] and p["businessDateInclusions"] == ["2025-12-27"]
    assert p["root"] == {"parallel": True, "triggerType": "MANUAL", "revision": 2}
    assert p["defaultCertSignerReminders"] == {"mode": "CUSTOM", "reminders": [
        {"daysFromDue": -2, "subject": "s", "body": "b"}]}
    assert p["defaultCertApproverReminders"] == {"mode": "NONE"}
    assert all(p[k] is True for k in ("autoClose", "ipmBetaEnabled", "iwmOptOut", "relativeDates", "certAutoApprove"))


async def test_remove_clears(gql: GraphQLClient) -> None:
    pid = await _process(gql, dueDate="2025-01-01", calendars=["c"], **WINDOW,
                         defaultCertSignerReminders={"mode": "DEFAULT"})
    ops = [{"op": "remove", "path": p} for p in ("/dueDate", "/calendarIds", "/businessStartDate",
                                                   "/businessEndDate", "/defaultCertSignerReminders")]
    p = (await gql(PATCH, {"id": pid, "ops": ops}))["processPatch"]["process"]
    assert (p["dueDate"], p["calendars"], p["businessStartDate"], p["defaultCertSignerReminders"]) == (
        None, [], None, None)


@pytest.mark.parametrize(("path", "value"), [
    ("/dueDate", "2025-13-01"), ("/dueDate", 20250101), ("/businessDaysOfWeek", ["funday"]),
    ("/businessDaysOfWeek", ["monday", "monday"]), ("/name", ""), ("/autoClose", "yes"),
    ("/root/triggerType", "WHEN_ELIGIBLE"), ("/calendarIds", "cal-1"),
    ("/defaultCertSignerReminders", {"mode": "custom", "reminders": [
        {"daysFromDue": 1, "subject": "s", "body": "b"}] * 4}),
])
async def test_values_are_checked_against_the_field_type(gql: GraphQLClient, path: str, value: Any) -> None:
    pid = await _process(gql)
    payload = (await gql(PATCH, {"id": pid, "ops": [
        {"op": "replace", "path": "/name", "value": "fine"}, {"op": "replace", "path": path, "value": value}]}))
    (error,) = payload["processPatch"]["errors"]
    assert error["code"] == "VALIDATION_ERROR" and error["target"] == path and error["meta"]["index"] == 1


async def test_all_or_nothing_and_every_bad_operation_reported(gql: GraphQLClient) -> None:
    pid = await _process(gql)
    ops = [{"op": "replace", "path": "/name", "value": "changed"}, {"op": "replace", "path": "/revision", "value": 9},
           {"op": "remove", "path": "/name"}, {"op": "replace", "path": "/dueDate", "value": "bad"}]
    payload = (await gql(PATCH, {"id": pid, "ops": ops}))["processPatch"]
    assert [(e["target"], e["meta"]["index"]) for e in payload["errors"]] == [
        ("/revision", 1), ("/name", 2), ("/dueDate", 3)]
    read = await gql("query($id: ID!) { process(id: $id) { name revision } }", {"id": pid})
    assert read["process"] == {"name": "P", "revision": 1}


async def test_business_window_is_checked_after_the_whole_patch(gql: GraphQLClient) -> None:
    pid = await _process(gql)
    half = [{"op": "replace", "path": "/businessStartDate", "value": "2025-01-01"}]
    (error,) = (await gql(PATCH, {"id": pid, "ops": half}))["processPatch"]["errors"]
    assert error["code"] == "REQUIRED" and error["target"] == "/businessEndDate"
    both = [*half, {"op": "replace", "path": "/businessEndDate", "value": "2025-02-01"}]
    assert (await gql(PATCH, {"id": pid, "ops": both}))["processPatch"]["errors"] == []


async def test_an_empty_patch_changes_nothing(gql: GraphQLClient) -> None:
    pid = await _process(gql)
    payload = (await gql(PATCH, {"id": pid, "ops": []}))["processPatch"]
    assert payload["errors"] == [] and payload["process"]["revision"] == 1
    same = [{"op": "replace", "path": "/name", "value": "P"}]
    assert (await gql(PATCH, {"id": pid, "ops": same}))["processPatch"]["process"]["revision"] == 1


async def test_cert_auto_approve_regenerates_certification_groups(gql: GraphQLClient) -> None:
    cert = {"certification": {"title": "c", "signerSteps": [{"mode": "EVERYONE", "users": ["s"]}],
                              "approverSteps": [{"mode": "EVERYONE", "users": ["a"]}]}}
    data = await gql(CREATE, {"input": {"name": "P", "root": {"name": "R", "children": [{"job": {"arguments": cert}}]}}})
    pid = data["processCreate"]["process"]["id"]
    query = """query($id: ID!) { process(id: $id) { root { children { ... on ProcessJob { revision generated {
        id children { ... on ProcessGroup { children { ... on ProcessJob { id action } } } } } } } } } }"""
    before = (await gql(query, {"id": pid}))["process"]["root"]["children"][0]
    await gql(PATCH, {"id": pid, "ops": [{"op": "replace", "path": "/certAutoApprove", "value": True}]})
    after = (await gql(query, {"id": pid}))["process"]["root"]["children"][0]
    assert after["generated"]["id"] != before["generated"]["id"]
    assert after["generated"]["children"][1]["children"][0]["action"] == "CERTIFICATION_CONDITIONAL_APPROVER_GENERATED"
    assert after["revision"] == before["revision"]  # the job's own fields did not change


async def test_read_only_root_refuses_root_paths(gql: GraphQLClient) -> None:
    data = await gql(CREATE, {"input": {"name": "P", "root": {"name": "R", "readOnly": True}}})
    pid = data["processCreate"]["process"]["id"]
    (error,) = (await gql(PATCH, {"id": pid, "ops": [{"op": "replace", "path": "/root/parallel", "value": True}]}))[
        "processPatch"]["errors"]
    assert error["code"] == "READ_ONLY" and error["target"] == "/root/parallel"


async def test_a_renamed_process_is_found_and_ordered_by_its_new_name(gql_uncached: GraphQLClient) -> None:
    """The list's name filter and NAME order read the name's sort key (`name_key`), which a rename writes
    with the name: the process leaves the old name's filter, enters the new one's, and sorts by the new name
    (the cursor holds the key). Found by tests/test_gateways_random.py: the sort key kept the old name."""
    ids = [await _process(gql_uncached, name=name) for name in ("alpha one", "beta two")]
    await gql_uncached(PATCH, {"id": ids[0], "ops": [{"op": "replace", "path": "/name", "value": "zeta one"}]})
    page = """query($filter: String) { processes(first: 10, orderBy: {field: NAME}, filter: {nameContains: $filter}) {
        edges { cursor node { id name } } } }"""

    async def names(needle: str | None) -> list[str]:
        edges = (await gql_uncached(page, {"filter": needle}))["processes"]["edges"]
        return [e["node"]["name"] for e in edges]

    assert await names("alpha") == [] and await names("zeta") == ["zeta one"]
    assert await names(None) == ["beta two", "zeta one"]


async def test_every_write_of_a_process_name_writes_its_sort_key(gql: GraphQLClient, http: httpx.AsyncClient,
                                                                   engine: AsyncEngine) -> None:
    """`name_key` is app.db.sort_key(name) after each write that sets a process's name: create, copy (named
    and by default), processPatch and REST PATCH /name; trash and restore keep it. Names whose casefold is
    not their lower() ('ß') show a key computed any other way."""
    copy = """mutation($id: ID!, $name: String) { processCopy(input: {id: $id, name: $name}) {
        errors { code } process { id } } }"""
    trash = "mutation($id: ID!) { processTrash(input: {id: $id}) { errors { code } } }"
    restore = "mutation($id: ID!) { processRestore(input: {id: $id}) { errors { code } } }"
    created = await _process(gql, name="Éclair Straße")
    named = (await gql(copy, {"id": created, "name": "GROẞE Copy"}))["processCopy"]["process"]["id"]
    default = (await gql(copy, {"id": created}))["processCopy"]["process"]["id"]
    await gql(PATCH, {"id": named, "ops": [{"op": "replace", "path": "/name", "value": "Maße ΣΑΣ"}]})
    response = await rest_patch(http, default, [{"op": "replace", "path": "/name", "value": "Fuß REST"}])
    assert response.status_code == 200, response.text
    await gql(trash, {"id": created})
    await gql(restore, {"id": created})
    async with engine.connect() as conn:
        rows = (await conn.execute(select(PROCESSES.c.id, PROCESSES.c.name, PROCESSES.c.name_key))).all()
    assert {r.id: r.name for r in rows} == {created: "Éclair Straße", named: "Maße ΣΑΣ", default: "Fuß REST"}
    assert [r.name_key for r in rows] == [sort_key(r.name) for r in rows]
    assert sort_key("Fuß REST") == "fuss rest" != "Fuß REST".lower()
