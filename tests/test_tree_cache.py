"""The gateway's shared tree cache (app/fast/cache.py, issue 16): invisible to clients, bounded, off at 0.

`gql` has a cache as a server does; `gql_uncached` has none (TREE_CACHE_MB=0). Every answer of the cached
client is compared with the uncached one on the same database, after every write of a random sequence of
definition edits and run actions.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.fast.cache import SharedCache
from app.settings import DEV_USER_ID, Settings, SettingsError, load_settings
from tests.factories import CREATE
from tests.helpers import GraphQLClient, SqlCounter
from tests.run.helpers import People, do, people
from tests.servers import running_server

WORKLOADS = Path(__file__).resolve().parent.parent / "bench" / "workloads"

ARGS = """arguments { __typename
  ... on SendTaskArgs { title instructions assignee approver dueDate approverDueDate document }
  ... on CertificationArgs { title document dueDate signerSteps { mode users } approverSteps { mode users } }
  ... on GeneratedCertificationArgs { certificationStep user certificationJob } }"""
PG = """id name ordinal parallel triggerType readOnly revision dueDate parent parentId
  created { dateTime user { id } } modified { dateTime user { id } }"""
PNODE = f"""__typename
  ... on ProcessGroup {{ {PG} }}
  ... on ProcessJob {{ id name ordinal action triggerType readOnly revision parent parentId tags {{ category value }}
                      modified {{ dateTime user {{ id }} }} {ARGS} }}"""
RG = "id name status eligibleToStart childrenEligibleToStartCount ordinal revision parentId statusCounts { status count }"
RNODE = f"""__typename
  ... on GroupRun {{ {RG} }}
  ... on JobRun {{ id name status actionStatus eligibleToStart ordinal revision exception comment dueDate {ARGS} }}"""

# Reads of the shapes the cache keeps: whole trees, shallow ones, with and without generated nodes.
READS = {
    "tree": f"""query($id: ID!) {{ process(id: $id) {{ id name revision root {{ {PG}
        children {{ {PNODE} ... on ProcessGroup {{ children {{ {PNODE} ... on ProcessGroup {{ children {{ {PNODE} }} }} }} }}
                    ... on ProcessJob {{ generated {{ id name children {{ {PNODE} }} }} }} }} }} }} }}""",
    "shallow": f"""query($id: ID!) {{ process(id: $id, excludeGeneratedJobs: true) {{ id revision
        root {{ id name children {{ {PNODE} ... on ProcessGroup {{ children {{ __typename ... on ProcessJob {{ id name }}
        }} }} }} }} nodes {{ {PNODE} }} }} }}""",
    "list": """{ processes(first: 20, orderBy: {field: NAME}) { edges { node { id name revision process { id revision
        root { id name children { __typename ... on ProcessGroup { id name revision children { __typename
        ... on ProcessJob { id name revision readOnly } } } ... on ProcessJob { id name action revision } } } } } } } }""",
    # The summaries (workload c) with their cursors in every order, and the latest run, which changes
    # without the process's revision (a run start).
    "summaries": """query($order: ProcessOrderField!, $direction: OrderDirection!) {
        processes(first: 50, orderBy: {field: $order, direction: $direction}) { edges { cursor node {
        id name autoClose certAutoApprove relativeDates dueDate revision created { dateTime user { id } }
        modified { dateTime user { id } } trashed { dateTime } run { id status } } } } }""",
    # Short pages: the second one after the first one's end cursor, `hasNextPage` and `hasPreviousPage`.
    "paged": """query($after: String) { processes(first: 2, after: $after, orderBy: {field: NAME}) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name revision dueDate } } } }""",
    "trash": """{ trashedProcesses(first: 50) { edges { cursor node { id name revision trashed { dateTime user { id } }
        modified { dateTime user { id } } } } } }""",
    "validation": "query($id: ID!) { processValidation(id: $id) { errors { code target } } }",
    "run": f"""query($id: ID!) {{ processRun(id: $id) {{ id status revision statusCounts {{ status count }}
        root {{ {RG} children {{ {RNODE} ... on GroupRun {{ children {{ {RNODE} }} }}
                                          ... on JobRun {{ generated {{ id status children {{ {RNODE} }} }} }} }} }} }} }}""",
    "run_flat": f"""query($id: ID!) {{ processRun(id: $id, excludeGeneratedJobs: true) {{ id status
        statusCounts {{ status count }} nodes {{ {RNODE} }} root {{ id children {{ {RNODE} }} }} }} }}""",
    "node": f"""query($id: ID!) {{ node(id: $id) {{ {PNODE} ... on JobRun {{ id status actionStatus revision }} }} }}""",
}


WRITES = {
    "rename": """mutation($id: ID!, $node: ID!, $name: String!) { processBatchUpdate(input: {id: $id, data: [
        {type: GROUP_NAME, groupNameUpdate: {id: $node, newName: $name}}]}) { errors { code message } } }""",
    "retitle": """mutation($node: ID!, $name: String!, $who: String!) { jobUpdate(input: {id: $node, arguments: {
        sendTask: {title: $name, assignee: $who}}}) { errors { code message } } }""",
    "edit": """mutation($node: ID!, $name: String!) { jobRunEdit(input: {id: $node, title: $name}) { errors { code message } } }""",
    "add": """mutation($run: ID!, $name: String!, $who: String!) { runJobRunsAdd(input: {runId: $run, jobs: [{
        arguments: {sendTask: {title: $name, assignee: $who}}}]}) { errors { code message } } }""",
    "submit": """mutation($node: ID!) { jobRunSubmit(input: {id: $node}) { errors { code message } } }""",
}

def _process(name: str, p: People) -> dict[str, Any]:
    def send(title: str, approver: bool = False) -> dict[str, Any]:
        args = {"title": title, "assignee": p.id("ann"), **({"approver": p.id("bob")} if approver else {})}
        return {"job": {"arguments": {"sendTask": args}, "tags": [{"category": "area", "value": title}]}}
    cert = {"job": {"arguments": {"certification": {
        "title": f"{name} cert", "signerSteps": [{"mode": "EVERYONE", "users": [p.id("ann"), p.id("bob")]}],
        "approverSteps": [{"mode": "SOMEONE", "users": [p.id("bob")]}]}}}}
    return {"name": name, "root": {"name": "R", "parallel": True, "children": [
        send(f"{name} a", approver=True), cert,
        {"group": {"name": f"{name} G", "parallel": False, "children": [
            send(f"{name} b"), {"group": {"name": f"{name} H", "children": [send(f"{name} c")]}}]}}]}}


class World:
    """Processes, their runs and the ids to act on, as the uncached client reads them."""

    def __init__(self, gql: GraphQLClient, plain: GraphQLClient, p: People, rng: random.Random) -> None:
        self.gql, self.plain, self.p, self.rng = gql, plain, p, rng
        self.processes: list[str] = []
        self.runs: list[str] = []

    async def create(self, name: str) -> None:
        data = await self.plain(CREATE, {"input": _process(name, self.p)})
        assert data["processCreate"]["errors"] == []
        self.processes.append(data["processCreate"]["process"]["id"])

    async def process_nodes(self, pid: str) -> list[dict[str, Any]]:
        return list((await self.plain(READS["shallow"], {"id": pid}))["process"]["nodes"])

    async def run_nodes(self, rid: str) -> list[dict[str, Any]]:
        return list((await self.plain(READS["run_flat"], {"id": rid}))["processRun"]["nodes"])

    async def compare(self, which: str | None = None) -> None:
        """Every read (or one, at random ids) answers the same with and without the shared cache."""
        names = [which] if which else list(READS)
        for name in names:
            for variables in await self._variables(name):
                cached = await self.gql.raw(READS[name], variables)
                plain = await self.plain.raw(READS[name], variables)
                assert not plain.errors and not cached.errors, (plain.errors, cached.errors)
                assert cached.data == plain.data, (name, variables)

    async def _variables(self, name: str) -> list[dict[str, Any]]:
        if name in ("list", "trash"):
            return [{}]
        if name == "paged":
            first = await self.plain(READS["paged"], {"after": None})
            return [{"after": None}, {"after": first["processes"]["pageInfo"]["endCursor"]}]
        if name == "summaries":
            return [{"order": order, "direction": direction} for order in ("NAME", "DUE_DATE", "RUN_CREATED")
                    for direction in ("ASC", "DESC")]
        if name in ("run", "run_flat"):
            return [{"id": r} for r in self.runs]
        if name == "node":
            pid = self.rng.choice(self.processes)
            ids = [n["id"] for n in await self.process_nodes(pid)]
            if self.runs:
                ids += [n["id"] for n in await self.run_nodes(self.rng.choice(self.runs))]
            return [{"id": i} for i in self.rng.sample(ids, 3)]
        return [{"id": pid} for pid in self.processes]

    async def run(self, steps: int) -> None:
        """Three processes, then `steps` random edits and run actions, every read compared along the way."""
        for name in ("alpha", "beta", "gamma"):
            await self.create(name)
        await self.compare()
        for step in range(steps):
            if self.rng.random() < 0.5:
                await self.edit(step)
            else:
                await self.act(step)
            await self.compare(self.rng.choice(list(READS)))
            if step % 10 == 9:
                await self.compare()
        await self.compare()

    async def edit(self, step: int) -> None:
        """One definition write through the cached client, chosen at random (refusals are fine too)."""
        rng, pid = self.rng, self.rng.choice(self.processes)
        nodes = await self.process_nodes(pid)
        jobs = [n for n in nodes if n["__typename"] == "ProcessJob"]
        groups = [n for n in nodes if n["__typename"] == "ProcessGroup"]
        kind = rng.choice(["patch", "rename", "group", "job", "update", "remove", "move", "trash"])
        if kind == "patch":  # the summary's own fields
            op = rng.choice([{"op": "replace", "path": "/name", "value": f"P{step} {rng.random():.3f}"},
                             {"op": "replace", "path": "/autoClose", "value": rng.random() < 0.5},
                             {"op": "replace", "path": "/dueDate", "value": f"2027-0{rng.randint(1, 9)}-1{step % 10}"}])
            await self.gql("""mutation($id: ID!, $ops: [PatchOperationInput!]!) { processPatch(input: {id: $id,
                operations: $ops}) { errors { code message } } }""", {"id": pid, "ops": [op]})
        elif kind == "trash":  # out of the lists and into the trash's, compared there, and back
            trash = "mutation($id: ID!) { processTrash(input: {id: $id}) { errors { code } } }"
            assert (await self.gql(trash, {"id": pid}))["processTrash"]["errors"] == []
            for name in ("summaries", "trash", "list"):
                await self.compare(name)
            restore = "mutation($id: ID!) { processRestore(input: {id: $id}) { errors { code } } }"
            assert (await self.gql(restore, {"id": pid}))["processRestore"]["errors"] == []
        elif kind == "rename":
            node = rng.choice(nodes)
            item = ({"type": "JOB_NAME", "jobNameUpdate": {"id": node["id"], "newName": f"job {step}"}}
                    if node["__typename"] == "ProcessJob" else
                    {"type": "GROUP_NAME", "groupNameUpdate": {"id": node["id"], "newName": f"group {step}"}})
            await self.gql("""mutation($id: ID!, $data: [BatchUpdateItemInput!]!) { processBatchUpdate(input:
                {id: $id, data: $data}) { errors { code message } } }""", {"id": pid, "data": [item]})
        elif kind == "group":
            await self.gql("""mutation($input: GroupAddInput!) { groupAdd(input: $input) { errors { code }
                process { root { id children { __typename } } } } }""", {"input": {
                "parentId": rng.choice(groups)["id"], "group": {"name": f"added {step}", "children": [
                    {"job": {"arguments": {"sendTask": {"title": f"in {step}", "assignee": self.p.id("ann")}}}}]}}})
        elif kind == "job":
            await self.gql("""mutation($input: JobAddInput!) { jobAdd(input: $input) { errors { code message } } }""",
                           {"input": {"parentId": rng.choice(groups)["id"], "position": {"index": 0}, "job": {
                               "arguments": {"sendTask": {"title": f"new {step}", "assignee": self.p.id("bob")}},
                               "tags": [{"category": "step", "value": str(step)}]}}})
        elif kind == "update" and jobs:
            await self.gql("""mutation($input: JobUpdateInput!) { jobUpdate(input: $input) { errors { code }
                node { ... on ProcessJob { id name } } } }""", {"input": {
                "id": rng.choice(jobs)["id"], "triggerType": rng.choice(["MANUAL", "WHEN_ELIGIBLE"]),
                "tags": [{"category": "t", "value": str(step)}]}})
        elif kind == "remove" and len(jobs) > 3:
            await self.gql("""mutation($input: NodeRemoveInput!) { nodeRemove(input: $input) { errors { code message } } }""",
                           {"input": {"id": rng.choice(jobs)["id"]}})
        elif kind == "move" and jobs:
            await self.gql("""mutation($input: NodeMoveInput!) { nodeMove(input: $input) { errors { code message } } }""",
                           {"input": {"id": rng.choice(jobs)["id"], "parentId": rng.choice(groups)["id"]}})

    async def act(self, step: int) -> None:
        """One run action (start, submit, approve, sign, edit, add, skip), at random; refusals are fine."""
        rng = self.rng
        if not self.runs or rng.random() < 0.15:
            data = await self.gql("""mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code }
                run { id statusCounts { count } } } }""", {"id": rng.choice(self.processes)})
            run = data["runStart"]["run"]
            if run is not None:
                self.runs.append(run["id"])
            return
        rid = rng.choice(self.runs)
        jobs = [n for n in await self.run_nodes(rid) if n["__typename"] == "JobRun"]
        job = rng.choice(jobs)
        ann, bob = self.p["ann"], self.p["bob"]
        kind = rng.choice(["submit", "approve", "sign", "edit", "add", "skip", "start"])
        if kind == "submit":
            await do(ann, "jobRunSubmit", {"id": job["id"]})
        elif kind == "approve":
            await do(bob, "jobRunApprove", {"id": job["id"]})
        elif kind == "sign":
            await do(rng.choice([ann, bob]), "jobRunSign", {"id": job["id"]}, "JobRunSignInput")
        elif kind == "edit":  # no event, no status: only the job run's arguments change
            await do(self.gql, "jobRunEdit", {"id": job["id"], "title": f"edited {step}"}, "JobRunEditInput")
        elif kind == "add":
            await do(self.gql, "runJobRunsAdd", {"runId": rid, "jobs": [
                {"arguments": {"sendTask": {"title": f"late {step}", "assignee": self.p.id("ann")}}}]},
                "RunJobRunsAddInput")
        elif kind == "skip":
            await do(self.gql, "jobRunSkip", {"id": job["id"], "comment": "skip"})
        else:
            await do(self.gql, "jobRunStart", {"id": job["id"]})


# The fast path's layers all on (the defaults), or all off (docs/architecture.md, its switches table).
def layers_off(settings: Settings) -> Settings:
    return replace(settings, tree_cache_mb=0, page_cache=False, answer_cache_mb=0)


@pytest.mark.parametrize(("seed", "layers"), [(1, "on"), (2, "on"), (1, "off")])
@pytest.mark.timeout(240)
async def test_random_edits_run_actions_and_reads_answer_as_without_the_cache(
    gql: GraphQLClient, gql_uncached: GraphQLClient, engine: AsyncEngine, settings: Settings, seed: int,
    layers: str
) -> None:
    """The differential suite: random edits, run actions and reads, each read compared with the uncached
    client's, with every layer of the fast path on, and again with every layer off (its switches)."""
    if layers == "off":
        off = layers_off(settings)
        gql = GraphQLClient(engine=engine, settings=off, cache=SharedCache(off.tree_cache_mb * 1024 * 1024))
        assert gql.cache is not None and not gql.cache.enabled
    assert gql.cache is not None
    p = await people(engine, settings, gql, "ann", "bob")
    await World(gql, gql_uncached, p, random.Random(seed)).run(40)
    if layers == "on":  # the cache answered (this test is about its hits), and kept within its budget
        assert gql.cache.hits > 50 and gql.cache.size <= gql.cache.budget
    else:
        assert len(gql.cache) == 0 and gql.cache.hits == 0


async def test_a_kept_page_answers_only_a_request_for_the_same_page(
    gql: GraphQLClient, gql_uncached: GraphQLClient, engine: AsyncEngine, settings: Settings
) -> None:
    """The same rows asked for after another cursor (hasPreviousPage), or followed by other rows
    (hasNextPage), are another page: each answer as without the cache."""
    p = await people(engine, settings, gql, "ann", "bob")
    ids = [(await gql(CREATE, {"input": _process(f"kp-{i}", p)}))["processCreate"]["process"]["id"] for i in range(4)]
    page = """query($first: Int!, $after: String) { processes(first: $first, after: $after, orderBy: {field: NAME},
        filter: {nameContains: "kp-"}) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } } } }"""

    async def same(variables: dict[str, Any]) -> dict[str, Any]:
        cached, plain = await gql(page, variables), await gql_uncached(page, variables)
        assert cached == plain, variables
        return cached

    first = await same({"first": 1, "after": None})
    await same({"first": 2, "after": None})
    trash = "mutation($id: ID!) { processTrash(input: {id: $id}) { errors { code } } }"
    assert (await gql(trash, {"id": ids[0]}))["processTrash"]["errors"] == []
    # kp-1 and kp-2 now, first with no cursor, then after the trashed kp-0's cursor
    none = await same({"first": 2, "after": None})
    after = await same({"first": 2, "after": first["processes"]["pageInfo"]["endCursor"]})
    assert none["processes"]["edges"] == after["processes"]["edges"]
    assert (none["processes"]["pageInfo"]["hasPreviousPage"], after["processes"]["pageInfo"]["hasPreviousPage"]) == (
        False, True)
    assert none["processes"]["pageInfo"]["hasNextPage"] is True
    assert (await gql(trash, {"id": ids[3]}))["processTrash"]["errors"] == []
    last = await same({"first": 2, "after": None})  # the same two rows, and nothing after them
    assert last["processes"]["edges"] == none["processes"]["edges"] and last["processes"]["pageInfo"]["hasNextPage"] is False


async def test_a_second_read_of_an_unchanged_tree_is_one_statement_until_a_write(
    gql: GraphQLClient, sql: SqlCounter, engine: AsyncEngine, settings: Settings
) -> None:
    """The benchmark's tree reads: cold, the process (or run) row and the tree's statements; warm, the row
    alone; after a write (answered: its response returned), the tree is read again and shows it."""
    p = await people(engine, settings, gql, "ann", "bob")
    pid = (await gql(CREATE, {"input": _process("one", p)}))["processCreate"]["process"]["id"]
    rid = (await gql("mutation($id: ID!) { runStart(input: {processId: $id}) { run { id } } }",
                     {"id": pid}))["runStart"]["run"]["id"]
    tree = (WORKLOADS / "a_process_tree.graphql").read_text()
    page = (WORKLOADS / "b_process_list_trees.graphql").read_text()
    run = (WORKLOADS / "d_run_tree.graphql").read_text()

    async def count(query: str, variables: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        sql.reset()
        data = await gql(query, variables)
        return sql.count, data

    cold = [await count(tree, {"id": pid}), await count(page), await count(run, {"id": rid})]
    warm = [await count(tree, {"id": pid}), await count(page), await count(run, {"id": rid})]
    assert [n for n, _ in cold] == [3, 3, 3] and [n for n, _ in warm] == [1, 1, 1]  # (d): counts from the tree
    assert [d for _, d in cold] == [d for _, d in warm]
    # a definition write, then the tree read again (the row and the tree's two statements), with the write
    renamed = await gql(WRITES["rename"], {"id": pid, "node": cold[0][1]["process"]["root"]["children"][-1]["id"],
                                           "name": "renamed"})
    assert renamed["processBatchUpdate"]["errors"] == []
    n, after = await count(tree, {"id": pid})
    assert n == 3 and after["process"]["root"]["children"][-1]["name"] == "renamed"
    # a run action that records no event and leaves the run's own revision alone: the run tree is read again
    job = next(c for c in cold[2][1]["processRun"]["root"]["children"] if c["__typename"] == "JobRun")
    edited = await do(gql, "jobRunEdit", {"id": job["id"], "title": "edited"}, "JobRunEditInput")
    assert edited["errors"] == []
    n, after = await count(run, {"id": rid})
    assert n == 3 and after["processRun"]["revision"] == cold[2][1]["processRun"]["revision"]
    assert next(c for c in after["processRun"]["root"]["children"] if c["id"] == job["id"])["name"] == "edited"


async def test_a_repeated_page_reads_only_its_rows_versions_until_one_changes(
    gql: GraphQLClient, sql: SqlCounter, engine: AsyncEngine, settings: Settings
) -> None:
    """A page the cache has kept is looked up by what its key holds of the rows (id, revision, latest run):
    one narrow statement while nothing changed; after a write or a new run, that statement and the page's,
    and the answer shows the change."""
    p = await people(engine, settings, gql, "ann", "bob")
    ids = [(await gql(CREATE, {"input": _process(f"rp-{i}", p)}))["processCreate"]["process"]["id"] for i in range(3)]
    page = """{ processes(first: 10, orderBy: {field: NAME}, filter: {nameContains: "rp-"}) {
        edges { cursor node { id name revision run { id } } } pageInfo { hasNextPage endCursor } } }"""

    async def read() -> tuple[list[str], dict[str, Any]]:
        sql.reset()
        data = await gql(page)
        return list(sql.statements), data

    cold, first = await read()
    warm, again = await read()
    assert len(cold) == 1 and "created_at" in cold[0]  # the rows, once
    assert len(warm) == 1 and "latest_run_stamp" in warm[0] and "created_at" not in warm[0] and again == first
    # a write that bumps the revision: the versions, then the rows
    patched = await gql("""mutation($id: ID!) { processPatch(input: {id: $id, operations: [{op: "replace",
        path: "/name", value: "rp-1 renamed"}]}) { errors { code } } }""", {"id": ids[1]})
    assert patched["processPatch"]["errors"] == []
    after_write, renamed = await read()
    assert len(after_write) == 2 and "created_at" not in after_write[0] and "created_at" in after_write[1]
    assert [e["node"]["name"] for e in renamed["processes"]["edges"]] == ["rp-0", "rp-1 renamed", "rp-2"]
    # a new run leaves the revision alone, and changes the latest run
    run = (await gql("mutation($id: ID!) { runStart(input: {processId: $id}) { run { id } } }",
                     {"id": ids[2]}))["runStart"]["run"]["id"]
    after_run, started = await read()  # and the run's row, for `run`
    assert len(after_run) == 3 and "created_at" in after_run[1] and started["processes"]["edges"][2]["node"]["run"] == {
        "id": run}
    assert started["processes"]["edges"][2]["node"]["revision"] == renamed["processes"]["edges"][2]["node"]["revision"]
    warm, again = await read()
    assert len(warm) == 2 and "created_at" not in warm[0] and again == started


async def test_page_cache_false_turns_the_page_layer_off_and_leaves_the_tree_cache_on(
    gql: GraphQLClient, sql: SqlCounter, engine: AsyncEngine, settings: Settings
) -> None:
    """PAGE_CACHE=false (the page layer's own switch): a repeated page reads its rows each time, not their
    versions, and keeps no page or summary; trees are still kept."""
    off = GraphQLClient(engine=engine, settings=replace(settings, page_cache=False), cache=gql.cache)
    p = await people(engine, settings, gql, "ann", "bob")
    pid = (await gql(CREATE, {"input": _process("po-0", p)}))["processCreate"]["process"]["id"]
    page = '{ processes(first: 10, filter: {nameContains: "po-"}) { edges { cursor node { id name } } } }'
    assert gql.cache is not None
    gql.cache.clear()
    reads = []
    for _ in range(3):
        sql.reset()
        answer = await off(page)
        reads.append((answer, list(sql.statements)))
    assert all(len(statements) == 1 and "created_at" in statements[0] for _, statements in reads), reads
    assert len(gql.cache) == 0  # no page, no summary, no mark
    tree = "query($id: ID!) { process(id: $id) { root { name } } }"
    await off(tree, {"id": pid})
    assert len(gql.cache) > 0  # the tree cache is on


async def test_the_cache_stays_within_its_budget(
    gql_uncached: GraphQLClient, engine: AsyncEngine, settings: Settings
) -> None:
    """A budget smaller than the trees read: entries leave least recently used first, answers stay right."""
    budget = 60_000  # bytes (estimated): about two of these trees with their response fragments
    small = GraphQLClient(engine=engine, settings=settings, cache=SharedCache(budget))
    p = await people(engine, settings, gql_uncached, "ann", "bob")
    pids = [(await gql_uncached(CREATE, {"input": _process(f"p{i}", p)}))["processCreate"]["process"]["id"]
            for i in range(6)]
    assert small.cache is not None
    for pid in pids * 2:
        assert await small(READS["tree"], {"id": pid}) == await gql_uncached(READS["tree"], {"id": pid})
        assert 0 < small.cache.size <= budget and 0 < len(small.cache) < len(pids)


async def test_a_budget_of_zero_keeps_nothing(gql_uncached: GraphQLClient, engine: AsyncEngine,
                                               settings: Settings, sql: SqlCounter) -> None:
    off = GraphQLClient(engine=engine, settings=settings, cache=SharedCache(0))
    p = await people(engine, settings, gql_uncached, "ann", "bob")
    pid = (await gql_uncached(CREATE, {"input": _process("off", p)}))["processCreate"]["process"]["id"]
    tree = (WORKLOADS / "a_process_tree.graphql").read_text()
    for _ in range(2):
        sql.reset()
        await off(tree, {"id": pid})
        assert sql.count == 3
    assert off.cache is not None and len(off.cache) == 0


def test_the_setting_is_read_and_checked() -> None:
    assert load_settings({}, env_file=Path("/nonexistent")).tree_cache_mb == Settings().tree_cache_mb == 96
    assert load_settings({"TREE_CACHE_MB": "0"}, env_file=Path("/nonexistent")).tree_cache_mb == 0
    assert load_settings({"TREE_CACHE_MB": " 32 "}, env_file=Path("/nonexistent")).tree_cache_mb == 32
    for bad in ("-1", "lots", "1.5"):
        with pytest.raises(SettingsError, match="TREE_CACHE_MB"):
            load_settings({"TREE_CACHE_MB": bad}, env_file=Path("/nonexistent"))


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_write_through_one_gateway_is_seen_by_the_next_read_through_another(
    gql: GraphQLClient, db_url: str, tmp_path: Path
) -> None:
    """Two gateway processes with their caches on one PostgreSQL database: each read through one gateway
    right after a write answered by the other (edits and run actions) shows the write, although the reader
    held the tree before it."""
    def send(title: str) -> dict[str, Any]:
        return {"job": {"arguments": {"sendTask": {"title": title, "assignee": DEV_USER_ID}}}}
    root = {"name": "R", "parallel": True, "children": [
        send("first"), {"group": {"name": "G", "children": [send("second")]}}, send("third")]}
    pid = (await gql(CREATE, {"input": {"name": "Two", "root": root}}))["processCreate"]["process"]["id"]
    tree = (WORKLOADS / "a_process_tree.graphql").read_text()
    run = (WORKLOADS / "d_run_tree.graphql").read_text()
    with running_server(tmp_path, name="a", database_url=db_url) as a, \
            running_server(tmp_path, name="b", database_url=db_url) as b:
        headers = a.headers  # one database, one demo token
        async with httpx.AsyncClient(timeout=30, headers=headers) as http:
            async def call(server: Any, query: str, **variables: Any) -> dict[str, Any]:
                r = await http.post(f"{server.base_url}/graphql", json={"query": query, "variables": variables})
                assert r.status_code == 200 and "errors" not in r.json(), r.text
                return dict(r.json()["data"])

            started = await call(a, "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code } "
                                 "run { id } } }", id=pid)
            rid = started["runStart"]["run"]["id"]
            for step in range(12):
                writer, reader = (a, b) if step % 2 == 0 else (b, a)
                for _ in range(2):  # the reader holds both trees before the write
                    before = (await call(reader, tree, id=pid))["process"], (await call(reader, run, id=rid))["processRun"]
                group = next(c for c in before[0]["root"]["children"] if c["__typename"] == "ProcessGroup")
                job = next(c for c in before[0]["root"]["children"] if c["__typename"] == "ProcessJob")
                job_runs = [c for c in before[1]["root"]["children"] if c["__typename"] == "JobRun"]
                name = f"step {step}"
                kind = ["rename", "retitle", "edit", "add", "submit"][step % 5]
                if kind == "rename":
                    done = await call(writer, WRITES[kind], id=pid, node=group["id"], name=name)
                elif kind == "retitle":
                    done = await call(writer, WRITES[kind], node=job["id"], name=name, who=DEV_USER_ID)
                elif kind == "edit":
                    edited = next(j for j in job_runs if j["status"] == "RUNNING")
                    done = await call(writer, WRITES[kind], node=edited["id"], name=name)
                elif kind == "add":
                    done = await call(writer, WRITES[kind], run=rid, name=name, who=DEV_USER_ID)
                else:
                    sent = [j for j in job_runs if j["actionStatus"] == "SENT"]
                    done = await call(writer, WRITES[kind], node=sent[0]["id"])
                (payload,) = done.values()
                assert payload["errors"] == [], (kind, payload)
                # the write's response has returned: the other gateway's next read shows it
                process = (await call(reader, tree, id=pid))["process"]
                after = (await call(reader, run, id=rid))["processRun"]
                names = {c["id"]: c for c in process["root"]["children"]}
                runs = {c["id"]: c for c in after["root"]["children"]}
                if kind == "rename":
                    assert names[group["id"]]["name"] == name and process["revision"] == before[0]["revision"] + 1
                elif kind == "retitle":
                    assert names[job["id"]]["arguments"]["title"] == name
                elif kind == "edit":
                    assert runs[edited["id"]]["name"] == name
                elif kind == "add":
                    assert name in {c["name"] for c in runs.values()} and len(runs) == len(before[1]["root"]["children"]) + 1
                else:
                    assert runs[sent[0]["id"]]["actionStatus"] == "COMPLETE"
                    assert after["statusCounts"] != before[1]["statusCounts"]


async def test_the_metrics_show_what_the_cache_holds_and_how_often_it_answered(http: httpx.AsyncClient) -> None:
    """`/metrics` reports the cache's estimated bytes, its entries and its hits and misses (docs/operations.md)."""
    created = (await http.post("/graphql", json={"query": CREATE, "variables": {"input": {
        "name": "Metered", "root": {"name": "R", "children": [
            {"job": {"arguments": {"sendTask": {"title": "one", "assignee": DEV_USER_ID}}}}]}}}})).json()
    pid = created["data"]["processCreate"]["process"]["id"]

    def gauge(text: str, name: str) -> float:
        return float(next(line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")
                          or line.startswith(name + "{")))

    before = (await http.get("/metrics")).text
    tree = (WORKLOADS / "a_process_tree.graphql").read_text()
    answers = [(await http.post("/graphql", json={"query": tree, "variables": {"id": pid}})).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2] and answers[0]["data"]["process"]["id"] == pid
    after = (await http.get("/metrics")).text
    hits = 'processgraph_tree_cache_lookups{result="hit"}'
    # the second and third reads: from the tree cache, or (on PostgreSQL) the third one's whole answer given
    # again (app/fast/answers.py), which looks up no tree
    given = 'processgraph_answer_cache_lookups{result="given"}'
    answered = (gauge(after, hits) - gauge(before, hits)
                + (gauge(after, given) - gauge(before, given) if given in after else 0))
    assert answered >= 2
    assert gauge(after, "processgraph_tree_cache_entries") >= 1 and gauge(after, "processgraph_tree_cache_bytes") > 0
