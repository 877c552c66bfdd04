"""Diff and revert (issue 33 point 2), through GraphQL: `process.diff` composes the stored patches between two
revisions; `processRevert` applies the inverse patches as one new revision, under the rules of every write."""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.process import limits
from app.process.history import apply
from app.settings import DEV_USER_ID
from tests.factories import CREATE, READ_TREE
from tests.helpers import GraphQLClient, SqlCounter
from tests.process.test_history import _m, _mut, _state

DIFF = """query($id: ID!, $from: Int!, $to: Int!) { process(id: $id) { revision diff(fromRevision: $from, toRevision: $to) {
  fromRevision toRevision operations
  nodesAdded { id kind name parentId } nodesRemoved { id kind name parentId }
  nodesRenamed { id kind fromName toName }
  nodesMoved { id kind name fromParentId toParentId fromOrdinal toOrdinal }
  nodesChanged { id kind name fields } processFieldsChanged { field fromValue toValue } } } }"""
REVERT = """mutation($input: ProcessRevertInput!) { processRevert(input: $input) {
  clientMutationId errors { code message target meta } process { id revision } } }"""
LAST_ENTRY = "query($id: ID!) { process(id: $id) { history(first: 1) { edges { node { revision mutation user { id } } } } } }"
RUN_START = """mutation($input: RunStartInput!) { runStart(input: $input) { errors { code message }
  run { id nodes { __typename ... on JobRun { id sourceJobId status name } ... on GroupRun { id sourceGroupId } } } } }"""
READ_RUN = """query($id: ID!) { processRun(id: $id) { id status
  nodes { __typename ... on JobRun { id sourceJobId status name } ... on GroupRun { id sourceGroupId } } } }"""


def _job(title: str, **args: Any) -> dict[str, Any]:
    return {"job": {"arguments": {"sendTask": {"title": title, "assignee": DEV_USER_ID, **args}}}}


async def _create(gql: GraphQLClient, root: dict[str, Any], name: str = "P") -> tuple[str, dict[str, str]]:
    created = await gql(CREATE, {"input": {"name": name, "root": root}})
    assert created["processCreate"]["errors"] == [], created
    pid = created["processCreate"]["process"]["id"]
    nodes = (await gql(READ_TREE, {"id": pid, "exclude": True}))["process"]["nodes"]
    return pid, {n["name"]: n["id"] for n in nodes}


async def _revert(gql: GraphQLClient, pid: str, to: int, **extra: Any) -> dict[str, Any]:
    return dict((await gql(REVERT, {"input": {"id": pid, "toRevision": to, **extra}}))["processRevert"])


async def _revision(gql: GraphQLClient, pid: str) -> int:
    return int((await gql(DIFF, {"id": pid, "from": 1, "to": 1}))["process"]["revision"])


async def _rich_history(gql: GraphQLClient) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    """A process after writes of every kind (a certification regenerated, a group with children removed);
    the state read after each revision (`states[r - 1]` is the state at revision r)."""
    cert = {"certification": {"title": "c", "signerSteps": [{"mode": "EVERYONE", "users": ["s1"]}]}}
    pid, by_name = await _create(gql, {"name": "R", "children": [
        {"job": {"arguments": {"sendTask": {"title": "t1", "assignee": "u"}}, "tags": [{"category": "a", "value": "b"}]}},
        {"group": {"name": "G", "children": [{"job": {"arguments": cert}}, _job("g2")]}}]})
    states = [await _state(gql, pid)]
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("processPatch", "ProcessPatchInput", {"id": pid, "operations": [
            {"op": "replace", "path": "/name", "value": "Renamed"},
            {"op": "replace", "path": "/businessDaysOfWeek", "value": ["monday"]},
            {"op": "replace", "path": "/certAutoApprove", "value": True},
            {"op": "replace", "path": "/dueDate", "value": "2026-01-31"}]}),
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
    return pid, by_name, states


async def test_diff_applied_to_the_old_state_gives_the_new(gql: GraphQLClient) -> None:
    pid, _, states = await _rich_history(gql)
    last = len(states)
    for low, high in ((1, last), (2, 5), (3, 4), (4, last), (5, 5), (last, 1), (7, 2)):
        diff = (await gql(DIFF, {"id": pid, "from": low, "to": high}))["process"]["diff"]
        assert (diff["fromRevision"], diff["toRevision"]) == (low, high)
        assert apply(states[low - 1], diff["operations"]) == states[high - 1], (low, high)
    assert (await gql(DIFF, {"id": pid, "from": 5, "to": 5}))["process"]["diff"]["operations"] == []


async def test_diff_in_words(gql: GraphQLClient) -> None:
    pid, ids = await _create(gql, {"name": "R", "children": [
        _job("a"), _job("b"), _job("c"), {"group": {"name": "G", "children": [_job("g1")]}}]})
    await _mut(gql, _m("processBatchUpdate", "ProcessBatchUpdateInput"), {"id": pid, "data": [
        {"type": "JOB_NAME", "jobNameUpdate": {"id": ids["a"], "newName": "a2"}}]})
    await _mut(gql, _m("nodeMove", "NodeMoveInput"), {"id": ids["c"], "parentId": ids["R"], "position": {"index": 0}})
    added = await _mut(gql, """mutation($input: JobAddInput!) { jobAdd(input: $input) { errors { code } job { id } } }""",
                       {"parentId": ids["G"], "job": {"arguments": {"sendTask": {"title": "d"}}}})
    await _mut(gql, _m("nodeRemove", "NodeRemoveInput"), {"id": ids["b"]})
    await _mut(gql, _m("jobUpdate", "JobUpdateInput"), {"id": ids["g1"], "triggerType": "MANUAL"})
    await _mut(gql, _m("processPatch", "ProcessPatchInput"), {"id": pid, "operations": [
        {"op": "replace", "path": "/name", "value": "P2"}, {"op": "replace", "path": "/dueDate", "value": "2026-02-01"}]})
    forward = (await gql(DIFF, {"id": pid, "from": 1, "to": 7}))["process"]["diff"]
    d_id = added["job"]["id"]
    assert forward["nodesAdded"] == [{"id": d_id, "kind": "JOB", "name": "d", "parentId": ids["G"]}]
    assert forward["nodesRemoved"] == [{"id": ids["b"], "kind": "JOB", "name": "b", "parentId": ids["R"]}]
    assert forward["nodesRenamed"] == [{"id": ids["a"], "kind": "JOB", "fromName": "a", "toName": "a2"}]
    # c went first; a and G only shifted because of it and of b's removal: one move
    assert forward["nodesMoved"] == [{"id": ids["c"], "kind": "JOB", "name": "c", "fromParentId": ids["R"],
                                      "toParentId": ids["R"], "fromOrdinal": 2, "toOrdinal": 0}]
    assert forward["nodesChanged"] == [{"id": ids["g1"], "kind": "JOB", "name": "g1", "fields": ["triggerType"]}]
    assert forward["processFieldsChanged"] == [{"field": "dueDate", "fromValue": None, "toValue": "2026-02-01"},
                                               {"field": "name", "fromValue": "P", "toValue": "P2"}]
    back = (await gql(DIFF, {"id": pid, "from": 7, "to": 1}))["process"]["diff"]
    assert [n["id"] for n in back["nodesAdded"]] == [ids["b"]] and [n["id"] for n in back["nodesRemoved"]] == [d_id]
    assert back["nodesRenamed"] == [{"id": ids["a"], "kind": "JOB", "fromName": "a2", "toName": "a"}]
    # back, a and c swap places around each other: either one moved (the fewest moves), never both
    assert len(back["nodesMoved"]) == 1 and back["nodesMoved"][0]["id"] in (ids["a"], ids["c"])


@pytest.mark.parametrize(("low", "high", "target", "actual"), [
    (0, 1, "fromRevision", 0), (1, 3, "toRevision", 3), (-5, 2, "fromRevision", -5)])
async def test_diff_refuses_revisions_the_process_never_had(gql: GraphQLClient, low: int, high: int, target: str,
                                                            actual: int) -> None:
    pid, _ = await _create(gql, {"name": "R"})
    await _mut(gql, _m("processPatch", "ProcessPatchInput"), {"id": pid, "operations": [
        {"op": "replace", "path": "/name", "value": "Q"}]})
    result = await gql.raw(DIFF, {"id": pid, "from": low, "to": high})
    assert result.data == {"process": None} or result.data is None
    (error,) = result.errors
    ext = error.extensions
    assert (ext["code"], ext["target"], ext["meta"]) == ("VALIDATION_ERROR", target, {"min": 1, "max": 2,
                                                                                       "actual": actual})
    assert f"{target} must be a revision of this process, from 1 to its current revision 2" in error.message


async def test_diff_names_both_arguments_when_both_are_wrong(gql: GraphQLClient) -> None:
    pid, _ = await _create(gql, {"name": "R"})
    (error,) = (await gql.raw(DIFF, {"id": pid, "from": 0, "to": 2})).errors
    assert error.extensions["target"] == "fromRevision"
    assert [(d["code"], d["target"]) for d in error.extensions["details"]] == [
        ("VALIDATION_ERROR", "fromRevision"), ("VALIDATION_ERROR", "toRevision")]


async def test_revert_restores_the_old_tree_and_can_be_reverted(gql: GraphQLClient) -> None:
    pid, ids, states = await _rich_history(gql)
    last = len(states)
    for to in (4, 1):
        before = await _revision(gql, pid)
        done = await _revert(gql, pid, to, expectedRevision=before, clientMutationId="r")
        assert done["errors"] == [] and done["clientMutationId"] == "r"
        assert done["process"]["revision"] == before + 1
        assert await _state(gql, pid) == states[to - 1]
        entry = (await gql(LAST_ENTRY, {"id": pid}))["process"]["history"]["edges"][0]["node"]
        assert entry == {"revision": before + 1, "mutation": "processRevert", "user": {"id": DEV_USER_ID}}
        # the history keeps everything: the revert is one revision whose diff leads back to the old state
        diff = (await gql(DIFF, {"id": pid, "from": before, "to": before + 1}))["process"]["diff"]
        assert apply(states[-1] if to == 4 else states[3], diff["operations"]) == states[to - 1]
    # the certification came back (with its old id) and its generated group was derived again
    tree = (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]
    assert ids["c"] in {n["id"] for n in tree} and any(n["parentId"] == ids["c"] for n in tree)
    # a revert of the revert: back to the state before it, the last write's state
    now = await _revision(gql, pid)
    assert (await _revert(gql, pid, now - 1))["errors"] == []
    assert await _state(gql, pid) == states[3]
    assert (await _revert(gql, pid, last))["errors"] == []
    assert await _state(gql, pid) == states[-1]
    # to the current revision: nothing changes, no revision is added
    now = await _revision(gql, pid)
    assert (await _revert(gql, pid, now))["process"]["revision"] == now


async def test_revert_conflict_and_bad_revision_write_nothing(gql: GraphQLClient) -> None:
    pid, _ = await _create(gql, {"name": "R", "children": [_job("a")]})
    for i in range(3):
        await _mut(gql, _m("processPatch", "ProcessPatchInput"), {"id": pid, "operations": [
            {"op": "replace", "path": "/name", "value": f"n{i}"}]})
    stale = await _revert(gql, pid, 1, expectedRevision=2)
    assert stale["process"] is None
    assert [(e["code"], e["target"], e["meta"]) for e in stale["errors"]] == [
        ("CONFLICT", "expectedRevision", {"id": pid, "currentRevision": 4, "expectedRevision": 2})]
    assert "revision 4" in stale["errors"][0]["message"]
    for bad in (0, 5):
        refused = await _revert(gql, pid, bad)
        assert [(e["code"], e["target"], e["meta"]) for e in refused["errors"]] == [
            ("VALIDATION_ERROR", "toRevision", {"min": 1, "max": 4, "actual": bad})]
    unknown = await _revert(gql, pid[::-1], 1)
    assert [(e["code"], e["target"]) for e in unknown["errors"]] == [("NOT_FOUND", "id")]
    assert await _revision(gql, pid) == 4


async def test_revert_obeys_read_only_groups(gql: GraphQLClient) -> None:
    """A group read-only now and at the target revision refuses a revert that changes what it holds; a revert
    that lifts the lock (the group was not read-only then) goes through, as lifting and editing would."""
    pid, ids = await _create(gql, {"name": "R", "children": [{"group": {"name": "L", "readOnly": True,
                                                                          "children": [_job("a")]}}]})
    group_update = _m("groupUpdate", "GroupUpdateInput")
    await _mut(gql, group_update, {"id": ids["L"], "readOnly": False})
    await _mut(gql, _m("jobAdd", "JobAddInput"), {"parentId": ids["L"], "job": {"arguments": {"sendTask": {"title": "b"}}}})
    await _mut(gql, group_update, {"id": ids["L"], "readOnly": True})
    state = await _state(gql, pid)
    refused = await _revert(gql, pid, 1)
    assert refused["process"] is None
    (error,) = refused["errors"]
    assert (error["code"], error["target"], error["meta"]["readOnlyGroupId"]) == ("READ_ONLY", "toRevision", ids["L"])
    assert await _state(gql, pid) == state and await _revision(gql, pid) == 4
    # L was not read-only at 2: the revert lifts the lock and takes b out, as lifting and removing would
    assert (await _revert(gql, pid, 2))["errors"] == []
    nodes = (await _state(gql, pid))["nodes"]
    assert [n["arguments"]["title"] for n in nodes.values() if n["kind"] == "job"] == ["a"]
    assert nodes[ids["L"]]["readOnly"] is False


async def test_revert_runs_the_write_time_checks(gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A state that breaks a rule in force now (here: a tree limit lowered since) is refused naming
    `toRevision`, with the rule's own code, limit and path; nothing is written."""
    pid, ids = await _create(gql, {"name": "R", "children": [_job("a"), _job("b"), _job("c")]})
    await _mut(gql, _m("nodeRemove", "NodeRemoveInput"), {"id": ids["c"]})
    state = await _state(gql, pid)
    monkeypatch.setattr(limits, "MAX_TREE_NODES", 2)
    refused = await _revert(gql, pid, 1)
    (error,) = refused["errors"]
    assert (error["code"], error["target"]) == ("LIMIT_EXCEEDED", "toRevision")
    assert error["meta"] == {"limit": 2, "actual": 3, "path": "root", "toRevision": 1}
    assert "at revision 1 breaks a rule now" in error["message"]
    assert await _state(gql, pid) == state and await _revision(gql, pid) == 2


async def test_running_runs_keep_their_copy(gql: GraphQLClient) -> None:
    """Runs never change with a revert: a revert may remove a node a running run was copied from (as any
    edit may), and bringing a node back under its old id makes the run's sourceJobId name it again."""
    pid, ids = await _create(gql, {"name": "R", "children": [_job("a")]})
    await _mut(gql, _m("jobAdd", "JobAddInput"), {"parentId": ids["R"], "job": {"arguments": {"sendTask": {
        "title": "b", "assignee": DEV_USER_ID}}}})
    started = (await gql(RUN_START, {"input": {"processId": pid}}))["runStart"]
    assert started["errors"] == []
    run_id = started["run"]["id"]
    run_before = (await gql(READ_RUN, {"id": run_id}))["processRun"]
    b_id = next(n["sourceJobId"] for n in run_before["nodes"] if n.get("name") == "b")
    assert (await _revert(gql, pid, 1))["errors"] == []  # removes b, which the running run was copied from
    assert b_id not in (await _state(gql, pid))["nodes"]
    assert (await gql(READ_RUN, {"id": run_id}))["processRun"] == run_before
    assert (await _revert(gql, pid, 2))["errors"] == []
    assert b_id in (await _state(gql, pid))["nodes"]
    assert (await gql(READ_RUN, {"id": run_id}))["processRun"] == run_before


async def test_diff_reads_the_history_in_one_statement(gql: GraphQLClient, sql: SqlCounter) -> None:
    """The process row and the history up to the later revision: two statements, however long the history."""
    counts = []
    for writes in (2, 30):
        pid, _ = await _create(gql, {"name": "R", "children": [_job("a")]})
        for i in range(writes):
            await _mut(gql, _m("processPatch", "ProcessPatchInput"), {"id": pid, "operations": [
                {"op": "replace", "path": "/name", "value": f"n{i}"}]})
        sql.reset()
        diff = (await gql(DIFF, {"id": pid, "from": 1, "to": writes + 1}))["process"]["diff"]
        assert diff["processFieldsChanged"] == [{"field": "name", "fromValue": "P", "toValue": f"n{writes - 1}"}]
        counts.append(sql.count)
        assert sum("process_history" in s for s in sql.statements) == 1
    assert counts[0] == counts[1] == 2


async def test_a_diff_weighs_as_a_tree(gql: GraphQLClient) -> None:
    """100 summaries with a diff each cost 100 + 100 x 5,000 and are refused before anything runs; 99 pass."""
    query = """query($first: Int) { processes(first: $first) { edges { node { process {
      diff(fromRevision: 1, toRevision: 1) { operations } } } } } }"""
    refused = await gql.raw(query, {"first": 100})
    (error,) = refused.errors
    assert error.extensions["code"] == "LIMIT_EXCEEDED" and error.extensions["meta"]["actual"] == 500_100
    assert (await gql.raw(query, {"first": 99})).errors is None


def _descendants(nodes: dict[str, Any], node_id: str) -> set[str]:
    out, todo = {node_id}, [node_id]
    while todo:
        current = todo.pop()
        kids = [n for n, v in nodes.items() if v["parentId"] == current]
        out.update(kids)
        todo += kids
    return out


def _random_edit(rng: random.Random, pid: str, state: dict[str, Any], step: int) -> tuple[str, str, dict[str, Any]]:
    nodes = state["nodes"]
    root = state["rootId"]
    groups = sorted(n for n, v in nodes.items() if v["kind"] == "group")
    others = sorted(n for n in nodes if n != root)
    cert = {"certification": {"title": f"c{step}", "signerSteps": [{"mode": "EVERYONE", "users": [f"s{step}"]}]}}
    choices: list[tuple[str, str, dict[str, Any]]] = [
        ("jobAdd", "JobAddInput", {"parentId": rng.choice(groups), "position": {"index": 0},
                                   "job": {"arguments": rng.choice([cert, {"sendTask": {"title": f"j{step}"}}]),
                                           "tags": [{"category": "k", "value": f"v{step}"}]}}),
        ("groupAdd", "GroupAddInput", {"parentId": rng.choice(groups), "group": {"name": f"g{step}", "children": [
            {"job": {"arguments": {"sendTask": {"title": f"gj{step}"}}}}]}}),
        ("processPatch", "ProcessPatchInput", {"id": pid, "operations": [
            {"op": "replace", "path": "/name", "value": f"name {step}"},
            {"op": "replace", "path": "/certAutoApprove", "value": rng.random() < 0.5}]}),
    ]
    if others:
        moving = rng.choice(others)
        targets = [g for g in groups if g not in _descendants(nodes, moving)]
        choices += [
            ("nodeRemove", "NodeRemoveInput", {"id": rng.choice(others)}),
            ("nodeMove", "NodeMoveInput", {"id": moving, "parentId": rng.choice(targets), "position": {"index": 0}}),
            ("processBatchUpdate", "ProcessBatchUpdateInput", {"id": pid, "data": [
                {"type": "GROUP_NAME" if nodes[moving]["kind"] == "group" else "JOB_NAME",
                 ("groupNameUpdate" if nodes[moving]["kind"] == "group" else "jobNameUpdate"): {
                     "id": moving, "newName": f"renamed {step}"}}]}),
        ]
    return rng.choice(choices)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_edits_revert_to_every_state(gql: GraphQLClient, seed: int) -> None:
    """Random edits of every kind; then reverts to random earlier revisions (and of those reverts) each give
    exactly the state read at that revision, and every diff leads from one read to the other."""
    rng = random.Random(seed)
    pid, _ = await _create(gql, {"name": "R", "children": [_job("a"), {"group": {"name": "G", "children": [_job("b")]}}]})
    states = {1: await _state(gql, pid)}  # by revision (an edit that changes nothing adds none)

    async def record() -> int:
        revision = await _revision(gql, pid)
        states[revision] = await _state(gql, pid)
        return revision

    current = 1
    for step in range(14):
        name, input_type, input_ = _random_edit(rng, pid, states[current], step)
        await _mut(gql, _m(name, input_type), input_)
        current = await record()
    for _ in range(6):
        to = rng.randint(1, current)
        done = await _revert(gql, pid, to, expectedRevision=current)
        assert done["errors"] == [], done["errors"]
        current = await record()
        assert states[current] == states[to], (seed, to)
        low, high = rng.randint(1, current), rng.randint(1, current)
        diff = (await gql(DIFF, {"id": pid, "from": low, "to": high}))["process"]["diff"]
        assert apply(states[low], diff["operations"]) == states[high]
    generated = (await gql(READ_TREE, {"id": pid}))["process"]["nodes"]
    certs = [n["id"] for n in generated if n.get("action") == "CERTIFICATION"]
    assert all(any(n["parentId"] == c for n in generated) for c in certs)
