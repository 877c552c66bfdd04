"""Trash, restore, purge (docs/data-model.md, Delete; issue 2 point 5)."""

from __future__ import annotations

from tests.factories import CREATE, process_input
from tests.helpers import GraphQLClient

TRASH = """mutation($id: ID!, $rev: Int) { processTrash(input: {id: $id, expectedRevision: $rev, clientMutationId: "t"}) {
  clientMutationId errors { code target meta } trashedProcess { id revision trashed { user { id } dateTime } } } }"""
RESTORE = """mutation($id: ID!, $rev: Int) { processRestore(input: {id: $id, expectedRevision: $rev}) {
  errors { code target meta } process { id revision root { id } } } }"""
PURGE = """mutation($id: ID!) { processPurge(input: {id: $id}) { errors { code target } purgedProcessId } }"""
VISIBLE = """query($id: ID!) { process(id: $id) { id } node(id: $id) { id }
  processes { totalCount edges { node { id } } } trashedProcesses { totalCount edges { node { id revision } } } }"""


async def _create(gql: GraphQLClient) -> dict:
    data = await gql(CREATE, {"input": process_input(nodes=6)})
    return data["processCreate"]["process"]


async def test_trash_hides_restore_shows_purge_deletes(gql: GraphQLClient) -> None:
    p = await _create(gql)
    other = await _create(gql)

    trashed = (await gql(TRASH, {"id": p["id"], "rev": 1}))["processTrash"]
    assert trashed["errors"] == [] and trashed["clientMutationId"] == "t"
    assert trashed["trashedProcess"]["revision"] == 2 and trashed["trashedProcess"]["trashed"]["dateTime"]

    seen = await gql(VISIBLE, {"id": p["id"]})
    assert seen["process"] is None and seen["node"] is None
    assert seen["processes"]["totalCount"] == 1 and seen["processes"]["edges"][0]["node"]["id"] == other["id"]
    assert seen["trashedProcesses"]["edges"] == [{"node": {"id": p["id"], "revision": 2}}]

    restored = (await gql(RESTORE, {"id": p["id"], "rev": 2}))["processRestore"]
    assert restored["errors"] == [] and restored["process"]["revision"] == 3 and restored["process"]["root"]["id"]
    seen = await gql(VISIBLE, {"id": p["id"]})
    assert seen["process"] == {"id": p["id"]} and seen["trashedProcesses"]["totalCount"] == 0

    refused = (await gql(PURGE, {"id": p["id"]}))["processPurge"]
    assert refused["purgedProcessId"] is None and refused["errors"][0]["code"] == "INVALID_STATE"

    await gql(TRASH, {"id": p["id"]})
    purged = (await gql(PURGE, {"id": p["id"]}))["processPurge"]
    assert purged == {"errors": [], "purgedProcessId": p["id"]}
    seen = await gql(VISIBLE, {"id": p["id"]})
    assert seen["trashedProcesses"]["totalCount"] == 0 and seen["processes"]["totalCount"] == 1
    again = (await gql(RESTORE, {"id": p["id"]}))["processRestore"]
    assert again["errors"][0]["code"] == "NOT_FOUND"


async def test_a_stale_expected_revision_is_refused_with_conflict(gql: GraphQLClient) -> None:
    p = await _create(gql)
    data = (await gql(TRASH, {"id": p["id"], "rev": 7}))["processTrash"]
    assert data["trashedProcess"] is None
    (error,) = data["errors"]
    assert error["code"] == "CONFLICT" and error["meta"]["currentRevision"] == 1
    assert error["meta"]["expectedRevision"] == 7
    assert (await gql(VISIBLE, {"id": p["id"]}))["process"] == {"id": p["id"]}


async def test_mutations_on_unknown_ids_say_not_found(gql: GraphQLClient) -> None:
    for mutation, field in ((TRASH, "processTrash"), (RESTORE, "processRestore"), (PURGE, "processPurge")):
        for id_ in ("0123456789abcdef0123456789abcdef", "nope"):
            errors = (await gql(mutation, {"id": id_}))[field]["errors"]
            assert [(e["code"], e["target"]) for e in errors] == [("NOT_FOUND", "id")]


async def test_trashing_twice_says_not_found(gql: GraphQLClient) -> None:
    p = await _create(gql)
    await gql(TRASH, {"id": p["id"]})
    errors = (await gql(TRASH, {"id": p["id"]}))["processTrash"]["errors"]
    assert errors[0]["code"] == "NOT_FOUND"
