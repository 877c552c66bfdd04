"""One domain, two doors (issue 17, point 5): GraphQL and REST answer the same data.

A set of processes (every field, nested and read-only groups, tags (written through GraphQL: REST's are
read-only), a certification with its generated nodes, one written through each door), a run part-way through and the process list are read both ways
and compared field by field after the documented spelling mapping (docs/rest-api.md, "Spelling"):

- enums: GraphQL's UPPER_SNAKE values are the seed's spellings (`WHEN_ELIGIBLE` is `whenEligible`);
- a null in GraphQL is a field left out in REST where the seed's type is not nullable, and so are the
  empty `reminders` of a schedule that is not `custom`;
- date-times are the same instants (GraphQL writes `+00:00`, REST `Z`);
- children: GraphQL's union members (`__typename`) are REST's `{type, group|job}`; job arguments, a
  union in GraphQL, are REST's `{type: <action>, <action>Args: {...}}`;
- statusCounts: GraphQL's list of `{status, count}` is REST's map from status to count;
- GraphQL's derived fields (`parentId`, a job's `name`, `manager`, ...) have no REST counterpart.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from app.settings import DEV_USER_ID
from tests.helpers import GraphQLClient
from tests.rest.helpers import create, patch

ARGS = """arguments { __typename
  ... on SendTaskArgs { title instructions assignee approver dueDate approverDueDate document }
  ... on ContentRequestArgs { title instructions assignee approver document section dueDate }
  ... on CertificationArgs { title document dueDate signerSteps { mode users } approverSteps { mode users } }
  ... on GeneratedCertificationArgs { certificationStep user certificationJob } }"""
STAMPS = "created { dateTime user { id } } modified { dateTime user { id } }"
TREE_NODE = f"""__typename
  ... on ProcessGroup {{ id name parallel triggerType readOnly dueDate ordinal parent revision {STAMPS}
                        children {{ ... on ProcessGroup {{ id }} ... on ProcessJob {{ id }} }} }}
  ... on ProcessJob {{ id action triggerType ordinal parent readOnly revision {STAMPS} tags {{ id category value }}
                      generated {{ id }} {ARGS} }}"""
PROCESS = f"""query($id: ID!) {{ process(id: $id) {{
  id name autoClose certAutoApprove relativeDates ipmBetaEnabled iwmOptOut dueDate businessStartDate
  businessEndDate businessDaysOfWeek businessDateExclusions businessDateInclusions calendars processTemplate
  sourceProcessRun revision {STAMPS}
  defaultCertApproverReminders {{ mode reminders {{ daysFromDue subject body }} }}
  defaultCertSignerReminders {{ mode reminders {{ daysFromDue subject body }} }}
  root {{ id }} nodes {{ {TREE_NODE} }} }} }}"""
RUN_SUMMARY = f"id name process managerUser status dueDate completedDate {STAMPS} statusCounts {{ status count }}"
RUN = f"""query($id: ID!) {{ processRun(id: $id) {{ {RUN_SUMMARY} revision root {{ id }}
  nodes {{ __typename
    ... on GroupRun {{ id name status parallel triggerType eligibleToStart childrenEligibleToStartCount dueDate
                      ordinal sourceGroupId revision statusCounts {{ status count }}
                      children {{ ... on GroupRun {{ id }} ... on JobRun {{ id }} }} }}
    ... on JobRun {{ id name action status actionStatus eligibleToStart triggerType ordinal sourceJobId exception
                    comment revision generated {{ id }} {ARGS} }} }} }} }}"""
LIST = f"""query($order: ProcessOrder) {{ processes(first: 1000, orderBy: $order) {{ edges {{ node {{
  id name autoClose certAutoApprove relativeDates dueDate processTemplate sourceProcessRun revision {STAMPS}
  run {{ {RUN_SUMMARY} }} }} }} }} }}"""
CREATE = """mutation($input: ProcessCreateInput!) { processCreate(input: $input) { errors { code } process { id } } }"""
SUBMIT = "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code message } } }"


def seed_spelling(value: str) -> str:
    """`WHEN_ELIGIBLE` -> `whenEligible`: GraphQL's enum values are the seed's spellings in UPPER_SNAKE."""
    head, *rest = value.lower().split("_")
    return head + "".join(part.title() for part in rest)


ENUM_FIELDS = {"triggerType", "action", "status", "actionStatus", "mode"}
TIMES = {"dateTime", "completedDate"}


def as_rest(value: Any, key: str = "") -> Any:
    """A GraphQL answer in the REST door's spelling (the mapping in this module's docstring)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "__typename" or v is None or (k == "reminders" and v == []):
                continue  # a GraphQL null is a REST field left out (nullable REST fields are compared apart)
            out[k] = as_rest(v, k)
        return out
    if isinstance(value, list):
        return [as_rest(v, key) for v in value]
    if key in ENUM_FIELDS or key == "businessDaysOfWeek":
        return seed_spelling(value)
    if key in TIMES:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def rest_times(value: Any, key: str = "") -> Any:
    """REST's date-times as instants, its nulls left out (so both sides compare alike)."""
    if isinstance(value, dict):
        return {k: rest_times(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [rest_times(v, key) for v in value]
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if key in TIMES else value


def arguments(gql_args: dict[str, Any], action: str) -> dict[str, Any]:
    kind = gql_args["__typename"]
    key = {"SendTaskArgs": "sendTaskArgs", "ContentRequestArgs": "contentRequestArgs",
           "CertificationArgs": "certificationArgs"}.get(kind, "generatedCertificationArgs")
    body = as_rest({k: v for k, v in gql_args.items() if not (k.endswith("Steps") and v == [])})
    return {"type": seed_spelling(action), key: body}


def rest_nodes(group: dict[str, Any], out: dict[str, dict[str, Any]], kids_key: str = "children") -> None:
    """Every group and job of a REST tree (generated ones included), by id."""
    out[group["id"]] = group
    for child in group[kids_key]:
        node = child.get("group") or child.get("job")
        if child["type"] == "group":
            rest_nodes(node, out, kids_key)
        else:
            out[node["id"]] = node
            if "generated" in node:
                rest_nodes(node["generated"], out, kids_key)


def compare_tree(graphql_nodes: list[dict[str, Any]], rest_root: dict[str, Any]) -> int:
    by_id: dict[str, dict[str, Any]] = {}
    rest_nodes(rest_root, by_id)
    assert {n["id"] for n in graphql_nodes} == set(by_id)
    for node in graphql_nodes:
        rest = rest_times(by_id[node["id"]])
        kind = node["__typename"]
        mapped = as_rest({k: v for k, v in node.items() if k not in ("children", "arguments", "generated")})
        if kind == "ProcessGroup":
            assert [c["group"]["id"] if c["type"] == "group" else c["job"]["id"] for c in rest["children"]] == [
                c["id"] for c in node["children"]]
            rest = {k: v for k, v in rest.items() if k != "children"}
        else:
            assert rest.pop("arguments") == rest_times(arguments(node["arguments"], node["action"]))
            generated = rest.pop("generated", None)
            assert (generated or {}).get("id") == (node["generated"] or {}).get("id")
        assert rest == mapped, (kind, node["id"])
    return len(graphql_nodes)


def compare_run_summary(graphql: dict[str, Any], rest: dict[str, Any]) -> None:
    counts = {seed_spelling(c["status"]): c["count"] for c in graphql["statusCounts"]}
    assert rest["statusCounts"] == counts
    plain = {k: v for k, v in graphql.items() if k != "statusCounts"}
    assert rest_times({k: v for k, v in rest.items() if k not in ("statusCounts", "root", "revision")}) == \
        as_rest(plain | {"revision": None, "root": None})


async def test_processes_run_and_list_read_alike(http: httpx.AsyncClient, gql: GraphQLClient) -> None:
    # ---- processes, one written through each door ----
    rich = await create(http, {
        "name": "Two doors", "autoClose": True, "certAutoApprove": True, "relativeDates": True, "iwmOptOut": True,
        "dueDate": "2025-03-31", "businessStartDate": "2025-01-01", "businessEndDate": "2025-12-31",
        "businessDaysOfWeek": ["monday", "tuesday", "friday"], "businessDateExclusions": ["2025-01-06"],
        "businessDateInclusions": ["2025-01-11"], "calendars": ["cal-a", "cal-b"],
        "defaultCertSignerReminders": {"mode": "custom", "reminders": [
            {"daysFromDue": -2, "subject": "Soon", "body": "Please sign"}]},
        "defaultCertApproverReminders": {"mode": "processDefault"},
        "root": {"name": "Root", "parallel": True, "readOnly": False, "triggerType": "manual", "children": [
            {"type": "job", "job": {"triggerType": "manual", "tags": [{"category": "area", "value": "finance"}],
                                    "arguments": {"type": "sendTask", "sendTaskArgs": {
                                        "title": "Review", "instructions": "Read it", "assignee": DEV_USER_ID,
                                        "approver": DEV_USER_ID, "dueDate": "2025-02-03",
                                        "approverDueDate": "2025-02-04", "document": "doc-1"}}}},
            {"type": "group", "group": {"name": "Locked", "parallel": False, "readOnly": True, "dueDate": "2025-03-01",
                                        "children": [{"type": "job", "job": {"arguments": {
                                            "type": "contentRequest", "contentRequestArgs": {
                                                "title": "Narrative", "assignee": DEV_USER_ID, "document": "d",
                                                "section": "s"}}}}]}},
            {"type": "job", "job": {"arguments": {"type": "certification", "certificationArgs": {
                "title": "SOX", "document": "letter", "signerSteps": [{"mode": "everyone", "users": [DEV_USER_ID]}],
                "approverSteps": [{"mode": "someone", "users": [DEV_USER_ID]}]}}}},
            {"type": "job", "job": {}},
        ]}})
    assert (await patch(http, rich["id"], [{"op": "replace", "path": "/name", "value": "Two doors, patched"}])
            ).status_code == 200
    made = await gql(CREATE, {"input": {"name": "Through GraphQL", "dueDate": "2024-12-31", "root": {
        "name": "Main", "children": [{"job": {"arguments": {"sendTask": {"title": "Only", "assignee": DEV_USER_ID}},
                                              "tags": [{"category": "area", "value": "finance"}]}}]}}})
    plain_id = made["processCreate"]["process"]["id"]

    compared = 0
    for pid in (rich["id"], plain_id):
        graphql = (await gql(PROCESS, {"id": pid}))["process"]
        rest = (await http.get(f"/v1/processes/{pid}")).json()
        compared += compare_tree(graphql["nodes"], rest["root"])
        top = {k: v for k, v in graphql.items() if k not in ("nodes", "root")}
        assert rest["root"]["id"] == graphql["root"]["id"]
        assert rest_times({k: v for k, v in rest.items() if k != "root"}) == as_rest(top)
    assert compared >= 12  # the rich tree's groups, jobs and generated nodes, and the plain one's

    # ---- a run part-way through ----
    run = (await http.post(f"/v1/processes/{plain_id}/run")).json()
    job_run = run["root"]["children"][0]["job"]["id"]
    assert (await gql(SUBMIT, {"id": job_run}))["jobRunSubmit"]["errors"] == []
    second = (await gql(CREATE, {"input": {"name": "Second run", "root": {"name": "R", "parallel": True, "children": [
        {"job": {"arguments": {"sendTask": {"title": "A", "assignee": DEV_USER_ID}}}},
        {"job": {"triggerType": "MANUAL", "arguments": {"sendTask": {"title": "B", "assignee": DEV_USER_ID}}}},
        {"job": {"arguments": {"certification": {"title": "C", "signerSteps": [
            {"mode": "EVERYONE", "users": [DEV_USER_ID]}]}}}}]}}}))["processCreate"]["process"]["id"]
    runs = [run["id"], (await http.post(f"/v1/processes/{second}/run")).json()["id"]]
    for run_id in runs:
        graphql = (await gql(RUN, {"id": run_id}))["processRun"]
        rest = (await http.get(f"/v1/processRuns/{run_id}")).json()
        compare_run_summary({k: v for k, v in graphql.items() if k not in ("nodes", "root", "revision")}, rest)
        assert (rest["revision"], rest["root"]["id"]) == (graphql["revision"], graphql["root"]["id"])
        by_id: dict[str, dict[str, Any]] = {}
        rest_nodes(rest["root"], by_id)
        assert {n["id"] for n in graphql["nodes"]} == set(by_id)
        for node in graphql["nodes"]:
            got = rest_times(by_id[node["id"]])
            if node["__typename"] == "GroupRun":
                assert got.pop("statusCounts") == {seed_spelling(c["status"]): c["count"] for c in node["statusCounts"]}
                assert [c.get("group", c.get("job"))["id"] for c in got.pop("children")] == [
                    c["id"] for c in node["children"]]
                want = as_rest({k: v for k, v in node.items() if k not in ("statusCounts", "children")})
            else:
                assert got.pop("arguments") == rest_times(arguments(node["arguments"], node["action"]))
                assert got.pop("generated", {}).get("id") == (node["generated"] or {}).get("id")
                want = as_rest({k: v for k, v in node.items() if k not in ("arguments", "generated")})
            assert got == want, node["id"]

    # ---- the list, in each order ----
    for order, rest_order in ((None, None), ({"field": "NAME", "direction": "ASC"}, "name"),
                              ({"field": "DUE_DATE", "direction": "DESC"}, "dueDate desc"),
                              ({"field": "RUN_CREATED", "direction": "ASC"}, "runCreated asc")):
        edges = (await gql(LIST, {"order": order}))["processes"]["edges"]
        params = {"$orderBy": rest_order} if rest_order else {}
        data = (await http.get("/v1/processes", params=params)).json()["data"]
        assert [e["node"]["id"] for e in edges] == [p["id"] for p in data] and len(data) == 3
        for edge, summary in zip(edges, data, strict=True):
            node = edge["node"]
            run_summary = node.pop("run")
            assert ("run" in summary) == (run_summary is not None)
            if run_summary is not None:
                compare_run_summary(run_summary, summary.pop("run"))
            assert rest_times(summary) == as_rest(node)
    assert re.fullmatch(r"[0-9a-f]{32}", runs[1])
