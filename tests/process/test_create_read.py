"""Create a process with a whole tree and read it back (docs/data-model.md, The model's rules; issue 2 points 3-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.settings import DEV_USER_ID
from tests.factories import CREATE, READ_TREE, normalize_input, process_input, rebuild
from tests.helpers import GraphQLClient


async def create(gql: GraphQLClient, input_: dict) -> dict:
    data = await gql(CREATE, {"input": input_})
    payload = data["processCreate"]
    assert payload["errors"] == [], payload["errors"]
    return payload["process"]


async def test_create_returns_the_tree_it_was_given(gql: GraphQLClient) -> None:
    given = process_input("Q4 close", nodes=40, autoClose=True, dueDate="2025-03-31",
                          businessStartDate="2025-01-01", businessEndDate="2025-12-31",
                          businessDaysOfWeek=["MONDAY", "TUESDAY"], calendars=["cal-1"])
    before = datetime.now(UTC)
    created = await create(gql, given)
    assert len(created["id"]) == 32 and created["revision"] == 1

    data = await gql(READ_TREE, {"id": created["id"]})
    process = data["process"]
    assert process["name"] == "Q4 close" and process["autoClose"] is True and process["dueDate"] == "2025-03-31"
    assert rebuild(process["nodes"], process["root"]["id"]) == normalize_input(given["root"])
    for action in (process["created"], process["modified"]):
        assert action["user"]["id"] == DEV_USER_ID
        stamp = datetime.fromisoformat(action["dateTime"])
        assert stamp.tzinfo is not None and before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    ids = [n["id"] for n in process["nodes"]]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
    assert all(n["revision"] == 1 for n in process["nodes"])


async def test_parent_and_parent_id_follow_the_seed(gql: GraphQLClient) -> None:
    root = {"name": "R", "children": [
        {"group": {"name": "A", "children": [{"job": {"arguments": {"sendTask": {"title": "deep"}}}}]}},
        {"job": {"arguments": {"sendTask": {"title": "top"}}}},
    ]}
    created = await create(gql, {"name": "P", "root": root})
    nodes = {n["name"]: n for n in (await gql(READ_TREE, {"id": created["id"]}))["process"]["nodes"]}
    assert nodes["R"]["parentId"] is None and nodes["R"]["parent"] is None
    assert nodes["A"]["parentId"] == nodes["R"]["id"] and nodes["A"]["parent"] is None  # child of the root
    assert nodes["top"]["parentId"] == nodes["R"]["id"] and nodes["top"]["parent"] is None
    assert nodes["deep"]["parentId"] == nodes["A"]["id"] and nodes["deep"]["parent"] == nodes["A"]["id"]


async def test_certification_generates_a_read_only_group(gql: GraphQLClient) -> None:
    cert = {"certification": {"title": "SOX", "signerSteps": [{"mode": "EVERYONE", "users": ["s1", "s2"]}],
                              "approverSteps": [{"mode": "SOMEONE", "users": ["a1", "a2"]}]}}
    created = await create(gql, {"name": "P", "certAutoApprove": True,
                                 "root": {"name": "R", "children": [{"job": {"arguments": cert}}]}})
    query = """query($id: ID!, $x: Boolean!) { process(id: $id, excludeGeneratedJobs: $x) {
      root { children { ... on ProcessJob { id action generated { readOnly parentId parallel children {
        ... on ProcessGroup { name parallel readOnly children { ... on ProcessJob { action readOnly
          arguments { ... on GeneratedCertificationArgs { user certificationStep certificationJob } } } } }
        ... on ProcessJob { action readOnly } } } } } }
      nodes { __typename } } }"""
    full = (await gql(query, {"id": created["id"], "x": False}))["process"]
    job = full["root"]["children"][0]
    gen = job["generated"]
    assert gen["readOnly"] is True and gen["parentId"] == job["id"] and gen["parallel"] is False
    signer, approver, finalizer = gen["children"]
    assert signer["parallel"] is True and [c["arguments"]["user"] for c in signer["children"]] == ["s1", "s2"]
    assert {c["action"] for c in signer["children"]} == {"CERTIFICATION_SIGNER_GENERATED"}
    # certAutoApprove makes approvers conditional
    assert {c["action"] for c in approver["children"]} == {"CERTIFICATION_CONDITIONAL_APPROVER_GENERATED"}
    assert [c["arguments"]["certificationStep"] for c in approver["children"]] == [1, 1]
    assert all(c["arguments"]["certificationJob"] == job["id"] for c in signer["children"])
    assert finalizer == {"action": "CERTIFICATION_PHASE_FINALIZER_GENERATED", "readOnly": True}
    # root + cert job + generated group + 2 step groups + 4 step jobs + finalizer
    assert len(full["nodes"]) == 10

    hidden = (await gql(query, {"id": created["id"], "x": True}))["process"]
    assert hidden["root"]["children"][0]["generated"] is None
    assert len(hidden["nodes"]) == 2


async def test_unknown_ids_read_as_null(gql: GraphQLClient) -> None:
    data = await gql("""{ a: process(id: "0123456789abcdef0123456789abcdef") { id }
                          b: process(id: "not-an-id") { id }
                          c: node(id: "0123456789abcdef0123456789abcdef") { id }
                          d: nodes(ids: ["0123456789abcdef0123456789abcdef", "x"]) { id } }""")
    assert data == {"a": None, "b": None, "c": None, "d": [None, None]}


async def test_node_fetches_every_kind(gql: GraphQLClient) -> None:
    created = await create(gql, process_input(nodes=5))
    nodes = (await gql(READ_TREE, {"id": created["id"]}))["process"]["nodes"]
    group = next(n for n in nodes if n["__typename"] == "ProcessGroup" and n["parentId"])
    job = next(n for n in nodes if n["__typename"] == "ProcessJob")
    data = await gql("""query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on ProcessGroup { name } ... on ProcessJob { name } ... on User { name } ... on Process { name } } }""",
                     {"ids": [created["id"], group["id"], job["id"], DEV_USER_ID]})
    assert [(n["__typename"], n["id"]) for n in data["nodes"]] == [
        ("Process", created["id"]), ("ProcessGroup", group["id"]), ("ProcessJob", job["id"]), ("User", DEV_USER_ID)]
    assert data["nodes"][3]["name"] == "Development User"


async def test_client_mutation_id_is_echoed(gql: GraphQLClient) -> None:
    data = await gql(CREATE, {"input": {**process_input(nodes=1), "clientMutationId": "abc-1"}})
    assert data["processCreate"]["clientMutationId"] == "abc-1"
