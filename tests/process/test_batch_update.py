"""Batch renames: the seed's BatchUpdate, atomic, every failing item reported (issue 3 point 2)."""

from __future__ import annotations

from typing import Any

from tests.factories import CREATE, READ_TREE
from tests.helpers import GraphQLClient, SqlCounter

BATCH = """mutation($id: ID!, $data: [BatchUpdateItemInput!]!, $rev: Int) {
  processBatchUpdate(input: {id: $id, data: $data, expectedRevision: $rev}) {
    errors { code message target meta }
    process { id revision }
  }
}"""


async def _setup(gql: GraphQLClient, jobs: int = 3, *, read_only_group: bool = False) -> tuple[str, dict[str, Any]]:
    cert = {"certification": {"title": "cert", "signerSteps": [{"mode": "EVERYONE", "users": ["s"]}]}}
    children: list[dict[str, Any]] = [{"job": {"arguments": {"sendTask": {"title": f"job {i}"}}}} for i in range(jobs)]
    children.append({"group": {"name": "G", "readOnly": read_only_group,
                               "children": [{"job": {"arguments": {"sendTask": {"title": "locked"}}}}]}})
    children.append({"job": {"arguments": cert}})
    data = await gql(CREATE, {"input": {"name": "P", "root": {"name": "R", "children": children}}})
    pid = data["processCreate"]["process"]["id"]
    nodes = (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]
    return pid, {n["name"]: n for n in nodes}


def job(id_: str, name: str) -> dict[str, Any]:
    return {"type": "JOB_NAME", "jobNameUpdate": {"id": id_, "newName": name}}


def group(id_: str, name: str) -> dict[str, Any]:
    return {"type": "GROUP_NAME", "groupNameUpdate": {"id": id_, "newName": name}}


async def test_renames_jobs_and_groups(gql: GraphQLClient) -> None:
    pid, nodes = await _setup(gql)
    payload = (await gql(BATCH, {"id": pid, "rev": 1, "data": [
        job(nodes["job 0"]["id"], "first"), group(nodes["G"]["id"], "Group G"), job(nodes["cert"]["id"], "SOX")]}))
    assert payload["processBatchUpdate"]["errors"] == []
    assert payload["processBatchUpdate"]["process"]["revision"] == 2
    after = {n["id"]: n for n in (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]}
    assert after[nodes["job 0"]["id"]]["name"] == "first"
    assert after[nodes["job 0"]["id"]]["arguments"]["title"] == "first"
    assert after[nodes["G"]["id"]]["name"] == "Group G" and after[nodes["G"]["id"]]["revision"] == 2
    assert after[nodes["job 1"]["id"]]["revision"] == 1


async def test_one_bad_item_changes_nothing_and_every_bad_item_is_reported(gql: GraphQLClient) -> None:
    pid, nodes = await _setup(gql, read_only_group=True)
    generated = next(n for n in nodes.values() if n["__typename"] == "ProcessJob" and n["readOnly"]
                     and n["action"] == "CERTIFICATION_SIGNER_GENERATED")
    unknown = "0123456789abcdef0123456789abcdef"
    data = [
        job(nodes["job 0"]["id"], "fine"),            # 0 ok
        job(unknown, "x"),                            # 1 unknown id
        job(nodes["G"]["id"], "x"),                   # 2 a group id in a jobName item
        job(nodes["job 1"]["id"], "a"),               # 3 ok
        job(nodes["job 1"]["id"], "b"),               # 4 the same id twice
        job(nodes["job 2"]["id"], ""),                # 5 empty name
        job(nodes["locked"]["id"], "x"),              # 6 under a read-only group
        job(generated["id"], "x"),                    # 7 generated
        {"type": "GROUP_NAME", "jobNameUpdate": {"id": nodes["job 2"]["id"], "newName": "x"}},  # 8 mismatch
    ]
    payload = (await gql(BATCH, {"id": pid, "data": data}))["processBatchUpdate"]
    assert payload["process"] is None
    got = [(e["code"], e["target"], e["meta"]["index"], e["meta"]["id"]) for e in payload["errors"]]
    assert got == [
        ("NOT_FOUND", "data[1]", 1, unknown),
        ("VALIDATION_ERROR", "data[2]", 2, nodes["G"]["id"]),
        ("VALIDATION_ERROR", "data[4]", 4, nodes["job 1"]["id"]),
        ("REQUIRED", "data[5]", 5, nodes["job 2"]["id"]),
        ("READ_ONLY", "data[6]", 6, nodes["locked"]["id"]),
        ("READ_ONLY", "data[7]", 7, generated["id"]),
        ("VALIDATION_ERROR", "data[8]", 8, nodes["job 2"]["id"]),
    ]
    after = await gql(READ_TREE, {"id": pid})
    assert after["process"]["revision"] == 1
    assert {n["name"] for n in after["process"]["nodes"]} >= {"job 0", "job 1", "job 2"}


async def test_more_than_3000_items_are_refused(gql: GraphQLClient) -> None:
    pid, nodes = await _setup(gql)
    data = [job(nodes["job 0"]["id"], f"n{i}") for i in range(3001)]
    (error,) = (await gql(BATCH, {"id": pid, "data": data}))["processBatchUpdate"]["errors"]
    assert error["code"] == "LIMIT_EXCEEDED" and error["meta"] == {"limit": 3000, "actual": 3001}


async def test_an_empty_batch_leaves_the_revision_alone(gql: GraphQLClient) -> None:
    pid, _ = await _setup(gql)
    payload = (await gql(BATCH, {"id": pid, "data": []}))["processBatchUpdate"]
    assert payload["errors"] == [] and payload["process"]["revision"] == 1


async def test_3000_renames_in_a_bounded_number_of_statements(gql: GraphQLClient, sql: SqlCounter) -> None:
    pid, _ = await _setup(gql, jobs=3000)
    nodes = (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]
    ids = [n["id"] for n in nodes if n["__typename"] == "ProcessJob" and n["name"].startswith("job ")]
    assert len(ids) == 3000
    sql.reset()
    payload = (await gql(BATCH, {"id": pid, "data": [job(i, f"renamed {k}") for k, i in enumerate(ids)]}))
    assert payload["processBatchUpdate"]["errors"] == []
    # lock+load (4), one executemany UPDATE, process UPDATE, history INSERT, re-read
    assert sql.count <= 10, sql.statements
    after = (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]
    assert sum(1 for n in after if n["name"].startswith("renamed ")) == 3000
