"""Tree edits: add, update, move, remove, copy; dense ordinals; read-only groups (issue 3 point 3)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.factories import CREATE, READ_TREE
from tests.helpers import GraphQLClient

PAYLOAD = "errors { code message target meta } process { id revision } node { ... on ProcessGroup { id } ... on ProcessJob { id } }"
JOB_ADD = f"mutation($input: JobAddInput!) {{ jobAdd(input: $input) {{ {PAYLOAD} }} }}"
GROUP_ADD = f"mutation($input: GroupAddInput!) {{ groupAdd(input: $input) {{ {PAYLOAD} }} }}"
GROUP_UPDATE = f"mutation($input: GroupUpdateInput!) {{ groupUpdate(input: $input) {{ {PAYLOAD} }} }}"
JOB_UPDATE = f"mutation($input: JobUpdateInput!) {{ jobUpdate(input: $input) {{ {PAYLOAD} }} }}"
MOVE = f"mutation($input: NodeMoveInput!) {{ nodeMove(input: $input) {{ {PAYLOAD} }} }}"
REMOVE = f"mutation($input: NodeRemoveInput!) {{ nodeRemove(input: $input) {{ {PAYLOAD} }} }}"
COPY = f"mutation($input: ProcessCopyInput!) {{ processCopy(input: $input) {{ {PAYLOAD} }} }}"


async def _new(gql: GraphQLClient, root: dict[str, Any] | None = None) -> tuple[str, str]:
    data = await gql(CREATE, {"input": {"name": "P", "root": root or {"name": "R"}}})
    pid = data["processCreate"]["process"]["id"]
    nodes = (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]
    return pid, next(n["id"] for n in nodes if n["parentId"] is None)


async def _tree(gql: GraphQLClient, pid: str) -> tuple[dict[str | None, list[str]], dict[str, dict[str, Any]]]:
    nodes = (await gql(READ_TREE, {"id": pid, "exclude": True}))["process"]["nodes"]
    by_id = {n["id"]: n for n in nodes}
    kids: dict[str | None, list[str]] = {}
    for n in sorted(nodes, key=lambda n: n["ordinal"]):
        kids.setdefault(n["parentId"], []).append(n["id"])
    for parent, ids in kids.items():
        assert [by_id[i]["ordinal"] for i in ids] == list(range(len(ids))), f"ordinals under {parent} not dense"
        assert parent is None or parent in by_id, "no orphans"
    return kids, by_id


async def _ok(gql: GraphQLClient, mutation: str, input_: dict[str, Any]) -> dict[str, Any]:
    data = await gql(mutation, {"input": input_})
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    return dict(payload)


async def _refused(gql: GraphQLClient, mutation: str, input_: dict[str, Any]) -> dict[str, Any]:
    data = await gql(mutation, {"input": input_})
    (payload,) = data.values()
    assert payload["process"] is None and payload["errors"]
    return dict(payload["errors"][0])


def _job(title: str) -> dict[str, Any]:
    return {"arguments": {"sendTask": {"title": title}}}


async def test_add_at_a_position(gql: GraphQLClient) -> None:
    pid, root = await _new(gql)
    a = (await _ok(gql, JOB_ADD, {"parentId": root, "job": _job("a")}))["node"]["id"]
    c = (await _ok(gql, JOB_ADD, {"parentId": root, "job": _job("c")}))["node"]["id"]
    b = (await _ok(gql, JOB_ADD, {"parentId": root, "job": _job("b"), "position": {"before": c}}))["node"]["id"]
    z = (await _ok(gql, JOB_ADD, {"parentId": root, "job": _job("z"), "position": {"index": 0}}))["node"]["id"]
    d = (await _ok(gql, JOB_ADD, {"parentId": root, "job": _job("d"), "position": {"after": c}}))["node"]["id"]
    g = await _ok(gql, GROUP_ADD, {"parentId": root, "position": {"index": 1}, "expectedRevision": 6, "group": {
        "name": "G", "children": [{"job": _job("g1")}, {"group": {"name": "G2"}}]}})
    assert g["process"]["revision"] == 7
    kids, by_id = await _tree(gql, pid)
    assert kids[root] == [z, g["node"]["id"], a, b, c, d]
    assert [by_id[i]["name"] for i in kids[g["node"]["id"]]] == ["g1", "G2"]


async def test_positions_and_parents_are_checked(gql: GraphQLClient) -> None:
    pid, root = await _new(gql, {"name": "R", "children": [{"job": _job("a")}]})
    kids, _ = await _tree(gql, pid)
    (a,) = kids[root]
    err = await _refused(gql, JOB_ADD, {"parentId": root, "job": _job("x"), "position": {"index": 5}})
    assert err["code"] == "VALIDATION_ERROR" and err["target"] == "position.index" and err["meta"]["max"] == 1
    err = await _refused(gql, JOB_ADD, {"parentId": a, "job": _job("x")})
    assert err["code"] == "NOT_FOUND" and err["target"] == "parentId"
    err = await _refused(gql, JOB_ADD, {"parentId": root, "job": _job("x"), "position": {"before": root}})
    assert err["target"] == "position.before"
    err = await _refused(gql, JOB_ADD, {"parentId": "0123456789abcdef0123456789abcdef", "job": _job("x")})
    assert err["code"] == "NOT_FOUND"


async def test_update_group_and_job(gql: GraphQLClient) -> None:
    pid, root = await _new(gql, {"name": "R", "children": [
        {"group": {"name": "G", "dueDate": "2025-01-01"}}, {"job": {**_job("j"), "tags": [{"category": "a", "value": "b"}]}}]})
    kids, _ = await _tree(gql, pid)
    g, j = kids[root]
    await _ok(gql, GROUP_UPDATE, {"id": g, "name": "G2", "parallel": True, "triggerType": "MANUAL", "dueDate": None})
    await _ok(gql, JOB_UPDATE, {"id": j, "triggerType": "MANUAL", "tags": [{"category": "x", "value": "y"}],
                                "arguments": {"contentRequest": {"title": "now a request", "document": "d"}}})
    _, by_id = await _tree(gql, pid)
    assert (by_id[g]["name"], by_id[g]["parallel"], by_id[g]["triggerType"], by_id[g]["dueDate"]) == (
        "G2", True, "MANUAL", None)
    assert by_id[j]["action"] == "CONTENT_REQUEST" and by_id[j]["tags"] == [{"category": "x", "value": "y"}]
    assert by_id[j]["name"] == "now a request" and by_id[j]["revision"] == 2 and by_id[g]["revision"] == 2
    err = await _refused(gql, GROUP_UPDATE, {"id": g, "name": ""})
    assert err["code"] == "REQUIRED" and err["target"] == "name"
    err = await _refused(gql, GROUP_UPDATE, {"id": j, "name": "x"})
    assert err["code"] == "NOT_FOUND"


async def test_certification_argument_changes_regenerate(gql: GraphQLClient) -> None:
    cert = {"certification": {"title": "c", "signerSteps": [{"mode": "EVERYONE", "users": ["s1"]}]}}
    pid, root = await _new(gql, {"name": "R", "children": [{"job": {"arguments": cert}}]})
    query = "query($id: ID!) { process(id: $id) { nodes { ... on ProcessJob { id action arguments { ... on GeneratedCertificationArgs { user } } } } } }"
    before = {n["id"] for n in (await gql(query, {"id": pid}))["process"]["nodes"] if n}
    kids, _ = await _tree(gql, pid)
    (job,) = kids[root]
    cert["certification"]["signerSteps"] = [{"mode": "SOMEONE", "users": ["s2", "s3"]}]
    await _ok(gql, JOB_UPDATE, {"id": job, "arguments": cert})
    nodes = (await gql(query, {"id": pid}))["process"]["nodes"]
    signers = [n["arguments"]["user"] for n in nodes if n and n.get("action") == "CERTIFICATION_SIGNER_GENERATED"]
    assert signers == ["s2", "s3"]
    assert not (before - {job}) & {n["id"] for n in nodes if n}, "regenerated rows have new ids"


async def test_move_within_and_across_parents(gql: GraphQLClient) -> None:
    pid, root = await _new(gql, {"name": "R", "children": [
        {"job": _job("a")}, {"group": {"name": "G", "children": [{"job": _job("g1")}, {"group": {"name": "H"}}]}},
        {"job": _job("b")}]})
    kids, _ = await _tree(gql, pid)
    a, g, b = kids[root]
    g1, h = kids[g]
    await _ok(gql, MOVE, {"id": b, "parentId": root, "position": {"index": 0}})
    await _ok(gql, MOVE, {"id": a, "parentId": h})
    await _ok(gql, MOVE, {"id": g1, "parentId": root, "position": {"after": g}})
    kids, _ = await _tree(gql, pid)
    assert kids[root] == [b, g, g1] and kids[g] == [h] and kids[h] == [a]
    err = await _refused(gql, MOVE, {"id": g, "parentId": h})
    assert err["code"] == "VALIDATION_ERROR" and err["target"] == "parentId"
    err = await _refused(gql, MOVE, {"id": g, "parentId": g})
    assert err["code"] == "VALIDATION_ERROR"
    err = await _refused(gql, MOVE, {"id": root, "parentId": g})
    assert err["code"] == "VALIDATION_ERROR"


async def test_remove_takes_the_subtree(gql: GraphQLClient) -> None:
    pid, root = await _new(gql, {"name": "R", "children": [
        {"job": _job("a")}, {"group": {"name": "G", "children": [{"job": _job("g1")}]}}, {"job": _job("b")}]})
    kids, _ = await _tree(gql, pid)
    a, g, b = kids[root]
    await _ok(gql, REMOVE, {"id": g})
    kids, by_id = await _tree(gql, pid)
    assert kids[root] == [a, b] and len(by_id) == 3 and by_id[b]["ordinal"] == 1 and by_id[b]["revision"] == 2
    err = await _refused(gql, REMOVE, {"id": root})
    assert err["code"] == "VALIDATION_ERROR"


async def test_read_only_groups_refuse_edits(gql: GraphQLClient) -> None:
    pid, root = await _new(gql, {"name": "R", "children": [
        {"group": {"name": "L", "readOnly": True, "children": [{"job": _job("in")}, {"group": {"name": "inner"}}]}},
        {"job": _job("out")}]})
    kids, by_id = await _tree(gql, pid)
    locked, out = kids[root]
    inside, inner = kids[locked]
    assert by_id[inside]["readOnly"] is True and by_id[out]["readOnly"] is False
    refused: list[tuple[str, dict[str, Any]]] = [
        (JOB_ADD, {"parentId": locked, "job": _job("x")}),
        (JOB_ADD, {"parentId": inner, "job": _job("x")}),
        (GROUP_UPDATE, {"id": locked, "name": "x"}),
        (GROUP_UPDATE, {"id": locked, "name": "x", "readOnly": False}),
        (GROUP_UPDATE, {"id": inner, "name": "x"}),
        (JOB_UPDATE, {"id": inside, "triggerType": "MANUAL"}),
        (MOVE, {"id": inside, "parentId": root}),
        (MOVE, {"id": out, "parentId": locked}),
        (MOVE, {"id": locked, "parentId": root, "position": {"index": 1}}),
        (REMOVE, {"id": inside}),
        (REMOVE, {"id": locked}),
    ]
    for mutation, input_ in refused:
        err = await _refused(gql, mutation, input_)
        assert err["code"] == "READ_ONLY", (mutation, input_, err)
    err = await _refused(gql, GROUP_UPDATE, {"id": inner, "readOnly": False})
    assert err["code"] == "READ_ONLY"  # locked from above, not by itself
    assert (await gql("query($id: ID!) { process(id: $id) { revision } }", {"id": pid}))["process"]["revision"] == 1
    await _ok(gql, GROUP_UPDATE, {"id": locked, "readOnly": False})
    await _ok(gql, JOB_UPDATE, {"id": inside, "triggerType": "MANUAL"})


async def test_copy_makes_new_ids_and_the_same_tree(gql: GraphQLClient) -> None:
    cert = {"certification": {"title": "c", "signerSteps": [{"mode": "EVERYONE", "users": ["s1"]}]}}
    pid, _ = await _new(gql, {"name": "R", "children": [
        {"group": {"name": "G", "children": [{"job": {"arguments": cert, "tags": [{"category": "k", "value": "v"}]}}]}},
        {"job": _job("b")}]})
    copy = await _ok(gql, COPY, {"id": pid, "name": "Copied"})
    cid = copy["process"]["id"]
    assert cid != pid and copy["process"]["revision"] == 1
    original, copied = (await gql(READ_TREE, {"id": pid}))["process"], (await gql(READ_TREE, {"id": cid}))["process"]
    assert copied["name"] == "Copied"
    assert not {n["id"] for n in original["nodes"]} & {n["id"] for n in copied["nodes"]}

    def shape(p: dict[str, Any]) -> list[tuple[Any, ...]]:
        return sorted((n["__typename"], n.get("name"), n["ordinal"], str(n.get("tags"))) for n in p["nodes"])
    assert shape(original) == shape(copied)


@pytest.mark.parametrize("seed", range(3))
async def test_random_edit_sequences_keep_ordinals_dense(gql: GraphQLClient, seed: int) -> None:
    """Property: after every step of a random edit sequence the tree equals a model of it, ordinals dense."""
    rng = random.Random(seed)
    pid, root = await _new(gql)
    model: dict[str, list[str]] = {root: []}
    groups = [root]

    def subtree(node: str) -> list[str]:
        out = [node]
        for child in model.get(node, []):
            out += subtree(child)
        return out

    def parent_of(node: str) -> str:
        return next(p for p, kids in model.items() if node in kids)

    def position(parent: str, moving: str | None = None) -> tuple[dict[str, Any] | None, int]:
        siblings = [c for c in model[parent] if c != moving]
        choice = rng.choice(["none", "index", "before", "after"] if siblings else ["none", "index"])
        if choice == "none":
            return None, len(siblings)
        if choice == "index":
            i = rng.randint(0, len(siblings))
            return {"index": i}, i
        s = rng.choice(siblings)
        i = siblings.index(s)
        return ({"before": s}, i) if choice == "before" else ({"after": s}, i + 1)

    for step in range(25):
        nodes = [n for n in subtree(root) if n != root]
        action = rng.choice(["job", "group", "move", "remove"] if nodes else ["job", "group"])
        if action in ("job", "group"):
            parent = rng.choice(groups)
            pos, index = position(parent)
            input_: dict[str, Any] = {"parentId": parent, "position": pos}
            if action == "job":
                new = (await _ok(gql, JOB_ADD, {**input_, "job": _job(f"j{step}")}))["node"]["id"]
            else:
                new = (await _ok(gql, GROUP_ADD, {**input_, "group": {"name": f"g{step}"}}))["node"]["id"]
                model[new] = []
                groups.append(new)
            model[parent].insert(index, new)
        elif action == "move":
            node = rng.choice(nodes)
            target = rng.choice(groups)
            if target in subtree(node):
                err = await _refused(gql, MOVE, {"id": node, "parentId": target})
                assert err["code"] == "VALIDATION_ERROR"
            else:
                pos, index = position(target, moving=node)
                await _ok(gql, MOVE, {"id": node, "parentId": target, "position": pos})
                model[parent_of(node)].remove(node)
                model[target].insert(index, node)
        else:
            node = rng.choice(nodes)
            await _ok(gql, REMOVE, {"id": node})
            gone = subtree(node)
            model[parent_of(node)].remove(node)
            for n in gone:
                model.pop(n, None)
            groups = [g for g in groups if g not in gone]
        kids, _ = await _tree(gql, pid)
        assert {p: k for p, k in kids.items() if p is not None} == {p: k for p, k in model.items() if k}, step


async def test_a_payload_after_an_earlier_read_in_the_same_request_shows_the_write(gql: GraphQLClient) -> None:
    """Two edits in one request: the second payload's tree (read to the depth it selects) is not the one
    the first payload cached."""
    pid, _ = await _new(gql, {"name": "R", "children": [{"group": {"name": "G"}}]})
    _, by_id = await _tree(gql, pid)
    group = next(i for i, n in by_id.items() if n.get("name") == "G")
    tree = "process { root { children { ... on ProcessGroup { id name } } } }"
    query = (f"mutation($a: GroupUpdateInput!, $b: GroupUpdateInput!) {{ a: groupUpdate(input: $a) {{ {tree} }} "
             f"b: groupUpdate(input: $b) {{ {tree} }} }}")
    data = await gql(query, {"a": {"id": group, "name": "first"}, "b": {"id": group, "name": "second"}})
    assert data["a"]["process"]["root"]["children"] == [{"id": group, "name": "first"}]
    assert data["b"]["process"]["root"]["children"] == [{"id": group, "name": "second"}]
