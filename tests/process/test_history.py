"""History: every write recorded with who/when/what; inverses restore the state before (issue 3 point 7)."""

from __future__ import annotations

from typing import Any

from app.process.history import apply
from tests.factories import CREATE, READ_TREE
from tests.helpers import GraphQLClient

HISTORY = """query($id: ID!, $first: Int, $after: String) { process(id: $id) { revision history(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { revision mutation at user { id } operations inverse } } } } }"""

DOC = """query($id: ID!) { process(id: $id, excludeGeneratedJobs: true) {
  name autoClose certAutoApprove relativeDates ipmBetaEnabled iwmOptOut dueDate businessStartDate businessEndDate
  businessDaysOfWeek businessDateExclusions businessDateInclusions calendars
  defaultCertSignerReminders { mode reminders { daysFromDue subject body } }
  defaultCertApproverReminders { mode reminders { daysFromDue subject body } }
  root { id } nodes { __typename ... on ProcessGroup { id parentId ordinal name parallel triggerType readOnly dueDate }
    ... on ProcessJob { id parentId ordinal action triggerType tags { category value }
      arguments { __typename ... on SendTaskArgs { title assignee dueDate } ... on CertificationArgs { title
        signerSteps { mode users } } } } } } }"""

_SEED = {"WHEN_ELIGIBLE": "whenEligible", "MANUAL": "manual", "SEND_TASK": "sendTask", "CERTIFICATION": "certification",
         "CONTENT_REQUEST": "contentRequest", "EVERYONE": "everyone", "SOMEONE": "someone"}


def _doc_from_api(p: dict[str, Any]) -> dict[str, Any]:
    """The documented history document, rebuilt from what the API returns."""
    def reminders(r: dict[str, Any] | None) -> dict[str, Any] | None:
        if r is None:
            return None
        mode = {"DEFAULT": "default", "PROCESS_DEFAULT": "processDefault", "CUSTOM": "custom", "NONE": "none"}[r["mode"]]
        return {"mode": mode, "reminders": r["reminders"]} if mode == "custom" else {"mode": mode}

    nodes: dict[str, Any] = {}
    for n in p["nodes"]:
        if n["__typename"] == "ProcessGroup":
            nodes[n["id"]] = {"kind": "group", "parentId": n["parentId"], "ordinal": n["ordinal"], "name": n["name"],
                              "parallel": n["parallel"], "triggerType": _SEED[n["triggerType"]],
                              "readOnly": n["readOnly"], "dueDate": n["dueDate"]}
        elif n["action"] in _SEED:
            args = {k: v for k, v in n["arguments"].items() if k != "__typename" and v is not None}
            if "signerSteps" in args:
                args["signerSteps"] = [{"mode": _SEED[s["mode"]], "users": s["users"]} for s in args["signerSteps"]]
            nodes[n["id"]] = {"kind": "job", "parentId": n["parentId"], "ordinal": n["ordinal"],
                              "action": _SEED[n["action"]], "arguments": args,
                              "triggerType": _SEED[n["triggerType"]], "tags": n["tags"]}
    return {
        "name": p["name"], "autoClose": p["autoClose"], "certAutoApprove": p["certAutoApprove"],
        "relativeDates": p["relativeDates"], "ipmBetaEnabled": p["ipmBetaEnabled"], "iwmOptOut": p["iwmOptOut"],
        "dueDate": p["dueDate"], "businessStartDate": p["businessStartDate"], "businessEndDate": p["businessEndDate"],
        "businessDaysOfWeek": None if p["businessDaysOfWeek"] is None else [d.lower() for d in p["businessDaysOfWeek"]],
        "businessDateExclusions": p["businessDateExclusions"], "businessDateInclusions": p["businessDateInclusions"],
        "calendarIds": p["calendars"], "defaultCertSignerReminders": reminders(p["defaultCertSignerReminders"]),
        "defaultCertApproverReminders": reminders(p["defaultCertApproverReminders"]),
        "trashed": False, "rootId": p["root"]["id"], "nodes": nodes,
    }


async def _state(gql: GraphQLClient, pid: str) -> dict[str, Any]:
    return _doc_from_api((await gql(DOC, {"id": pid}))["process"])


async def _mut(gql: GraphQLClient, query: str, input_: dict[str, Any]) -> dict[str, Any]:
    (payload,) = (await gql(query, {"input": input_})).values()
    assert payload["errors"] == [], payload["errors"]
    return dict(payload)


def _m(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code message }} }} }}"


async def test_inverses_walk_back_through_every_write(gql: GraphQLClient) -> None:
    cert = {"certification": {"title": "c", "signerSteps": [{"mode": "EVERYONE", "users": ["s1"]}]}}
    created = await gql(CREATE, {"input": {"name": "History", "root": {"name": "R", "children": [
        {"job": {"arguments": {"sendTask": {"title": "t1", "assignee": "u"}}, "tags": [{"category": "a", "value": "b"}]}},
        {"group": {"name": "G", "children": [{"job": {"arguments": cert}}]}}]}}})
    pid = created["processCreate"]["process"]["id"]
    nodes = (await gql(READ_TREE, {"id": pid, "exclude": True}))["process"]["nodes"]
    by_name = {n["name"]: n["id"] for n in nodes}
    states = [await _state(gql, pid)]

    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("processPatch", "ProcessPatchInput", {"id": pid, "operations": [
            {"op": "replace", "path": "/name", "value": "Renamed"},
            {"op": "replace", "path": "/businessDaysOfWeek", "value": ["monday"]},
            {"op": "replace", "path": "/certAutoApprove", "value": True},
            {"op": "replace", "path": "/defaultCertSignerReminders", "value": {"mode": "custom", "reminders": [
                {"daysFromDue": 1, "subject": "s", "body": "b"}]}}]}),
        ("processBatchUpdate", "ProcessBatchUpdateInput", {"id": pid, "data": [
            {"type": "JOB_NAME", "jobNameUpdate": {"id": by_name["t1"], "newName": "t1 renamed"}},
            {"type": "GROUP_NAME", "groupNameUpdate": {"id": by_name["G"], "newName": "G renamed"}}]}),
        ("jobAdd", "JobAddInput", {"parentId": by_name["G"], "position": {"index": 0},
                                   "job": {"arguments": {"sendTask": {"title": "new", "dueDate": "2025-01-02"}}}}),
        ("groupAdd", "GroupAddInput", {"parentId": by_name["R"], "group": {"name": "H", "children": [
            {"job": {"arguments": {"sendTask": {"title": "h1"}}}}]}}),
        ("nodeMove", "NodeMoveInput", {"id": by_name["t1"], "parentId": by_name["G"], "position": {"index": 1}}),
        ("jobUpdate", "JobUpdateInput", {"id": by_name["c"], "tags": [{"category": "x", "value": "y"}],
                                         "arguments": {"certification": {"title": "c2", "signerSteps": [
                                             {"mode": "SOMEONE", "users": ["s2"]}]}}}),
        ("groupUpdate", "GroupUpdateInput", {"id": by_name["G"], "parallel": True, "dueDate": "2025-03-03"}),
        ("nodeRemove", "NodeRemoveInput", {"id": by_name["G"]}),
    ]
    for name, input_type, input_ in writes:
        await _mut(gql, _m(name, input_type), input_)
        states.append(await _state(gql, pid))

    data = (await gql(HISTORY, {"id": pid}))["process"]
    entries = [e["node"] for e in data["history"]["edges"]]
    assert [e["mutation"] for e in entries] == [w[0] for w in reversed(writes)] + ["processCreate"]
    assert [e["revision"] for e in entries] == list(range(len(writes) + 1, 0, -1)) and data["revision"] == len(writes) + 1
    assert all(e["user"]["id"] == gql.actor.user_id and e["at"] for e in entries)

    # Walking back: the inverse of each entry, newest first, gives exactly the state before it.
    befores: list[dict[str, Any] | None] = [*reversed(states[:-1]), None]
    current: dict[str, Any] | None = states[-1]
    for entry, before in zip(entries, befores, strict=True):
        assert apply(before, entry["operations"]) == current, entry["mutation"]
        current = apply(current, entry["inverse"])
        assert current == before, entry["mutation"]
    assert entries[-1]["operations"][0]["path"] == ""


async def test_history_pages_newest_first(gql: GraphQLClient) -> None:
    created = await gql(CREATE, {"input": {"name": "P", "root": {"name": "R"}}})
    pid = created["processCreate"]["process"]["id"]
    for i in range(4):
        await _mut(gql, _m("processPatch", "ProcessPatchInput"), {"id": pid, "operations": [
            {"op": "replace", "path": "/name", "value": f"n{i}"}]})
    first = (await gql(HISTORY, {"id": pid, "first": 2}))["process"]["history"]
    assert [e["node"]["revision"] for e in first["edges"]] == [5, 4] and first["pageInfo"]["hasNextPage"]
    rest = (await gql(HISTORY, {"id": pid, "first": 10, "after": first["pageInfo"]["endCursor"]}))["process"]["history"]
    assert [e["node"]["revision"] for e in rest["edges"]] == [3, 2, 1] and not rest["pageInfo"]["hasNextPage"]
    assert rest["edges"][0]["node"]["operations"] == [{"op": "replace", "path": "/name", "value": "n1"}]
    assert rest["edges"][0]["node"]["inverse"] == [{"op": "replace", "path": "/name", "value": "n0"}]
