"""No stale or foreign answer from several gateway processes (issue 29, point 5), under workload (f).

Workload (f): many users of one workspace, each with their own token, reading Zipf-skewed over many processes
(a process tree, a page of summaries with the user's own filter, a run tree, the user's inbox) and writing one
request in ten (JSON patches, batch renames of a few items, job actions that advance runs), with every layer
of the fast path on (the defaults: kept answers, tree cache, page layer, token cache). Here three real gateway
processes serve one PostgreSQL database to five users of one workspace and to a user of another workspace,
and the randomized comparisons of tests/test_tree_cache.py and tests/test_answers.py are made across them:

- in rounds, every user takes random steps at once, each through a random gateway; every answer is checked for
  foreign data (another workspace's ids, another user's inbox or viewer, rows outside the user's filter), and
  answers of one process at one revision must be the same wherever they were given;
- after a write committed through one gateway (its response returned), the writer's next read goes through
  another and must show it: no gateway learns of a write by message, each read checks the versions it uses
  against the database (app/fast/cache.py, app/fast/answers.py), so there is no delay to wait for;
- between rounds, with no write under way, every user's reads are sent three times through one gateway (the
  first fills the tree cache, the second is kept, the third is given again) and once through another, and
  each answer must be the truth: the same read in this process with every layer off (`layers_off`).

Of these reads the inbox is never kept (it reads the clock for `overdue`), nor is anything that asks for
`viewer` (its workspace is read outside `fetch_plain`): a kept answer one user could be given of another's is
one of the same body, the page of a shared filter, which is the same for every user of a workspace and differs
for the other workspace's user. So the acting user in the kept answers' key is checked here across workspaces;
the inbox and its viewer check the tree cache, the page layer and the token cache per user.

The random choices come from the seed (PROCESSGRAPH_RANDOM_SEED overrides it; a failure names it). The steps'
interleaving across gateways is the machine's, so a seed replays the same choices, not the same timing.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth
from app.auth.service import READ, WRITE, Actor
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings
from tests.factories import CREATE
from tests.helpers import GraphQLClient
from tests.servers import Server, running_servers
from tests.test_tree_cache import layers_off

WORKLOADS = Path(__file__).resolve().parent.parent / "bench" / "workloads"
TREE = (WORKLOADS / "a_process_tree.graphql").read_text()
# A run's tree and its flat nodes (generated signer and approver job runs among them), with who they wait for.
RUN = """query Run($id: ID!) { processRun(id: $id) { id name status revision statusCounts { status count }
  root { id name status children { __typename ... on GroupRun { id name status children { __typename
    ... on GroupRun { id name status } ... on JobRun { id name status actionStatus } } }
    ... on JobRun { id name status actionStatus } } }
  nodes { __typename ... on GroupRun { id name status eligibleToStart parentId ordinal revision statusCounts { status count } }
    ... on JobRun { id name action status actionStatus eligibleToStart parentId ordinal revision
      arguments { __typename ... on SendTaskArgs { title assignee approver }
                  ... on GeneratedCertificationArgs { user certificationStep } } } } } }"""
# The user's own page: the same body for users with the same filter (the other workspace's user among them),
# told apart only by the token; kept and given again (no viewer: `viewer` reads outside `fetch_plain`).
PAGE = """query Page($filter: String!) {
  processes(first: 20, orderBy: {field: NAME}, filter: {nameContains: $filter}) {
    edges { cursor node { id name revision dueDate autoClose modified { user { id } } run { id status } } }
    pageInfo { hasNextPage endCursor } } }"""
# The same body for every user.
INBOX = """query Inbox { viewer { user { id } jobRuns { id runId name action status actionStatus revision
  arguments { __typename ... on SendTaskArgs { title assignee approver }
              ... on GeneratedCertificationArgs { user certificationStep } } } } }"""
READS = {"tree": TREE, "page": PAGE, "run": RUN, "inbox": INBOX}
NODES = "query($id: ID!) { process(id: $id, excludeGeneratedJobs: true) { nodes { __typename " \
        "... on ProcessGroup { id parentId } ... on ProcessJob { id parentId action } } } }"
PATCH = """mutation($id: ID!, $ops: [PatchOperationInput!]!) { processPatch(input: {id: $id, operations: $ops}) {
  errors { code message } process { id revision name } } }"""
BATCH = """mutation($id: ID!, $data: [BatchUpdateItemInput!]!) { processBatchUpdate(input: {id: $id, data: $data}) {
  errors { code message } process { id revision } } }"""


def job_action(name: str, input_type: str = "RunActionInput") -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code message }} "
            "node { ... on JobRun { id status actionStatus } } run { id revision } } }")


SEED = 29
STEPS = 8  # per user and round, at once
ROUNDS = 5
USERS = 5
# Each user's filter: two share one (the same page body), and the other workspace's user has it too.
FILTERS = ["team-a", "team-a", "team-b", "p1", "team-c"]
DONE = {"COMPLETE", "CANCELLED", "ERROR", "ERROR_HOLD", "SKIPPED"}
ACTION_RANK = {"WAITING": 0, "SENT": 1, "RETURNED": 1, "APPROVAL": 2}


def progress(job: dict[str, Any]) -> tuple[int, int]:
    """How far a job run has come; the actions taken here (submit, approve, sign) only ever advance it."""
    if job["status"] in DONE:
        return 3, 0
    return (1 if job["status"] == "RUNNING" else 0), ACTION_RANK.get(job["actionStatus"], 3)


@dataclass
class User:
    name: str
    actor: Actor
    token: str
    filter: str
    truth: GraphQLClient  # every layer off, acting as this user
    processes: list[str] = field(default_factory=list)  # most read first (Zipf)
    runs: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.actor.user_id


class Fleet:
    """The gateways, the users and what each workspace holds; sends reads and writes and checks each answer."""

    def __init__(self, servers: list[Server], http: httpx.AsyncClient) -> None:
        self.servers, self.http = servers, http
        self.users: list[User] = []
        self.ids: dict[str, set[str]] = {}  # by workspace: the ids no other workspace's answer may hold
        self.nodes: dict[str, list[dict[str, Any]]] = {}  # a process's groups and jobs (never added or removed)
        self.seen: dict[tuple[str, int], bytes] = {}  # a process tree's answer at a revision, wherever given
        self.writes = {"patch": 0, "batch": 0, "job": 0, "refused": 0}

    def workspace(self, user: User) -> str:
        return user.actor.workspace_id

    async def send(self, server: Server, user: User, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = await self.http.post(f"{server.base_url}/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {user.token}"})
        assert r.status_code == 200, (server.base_url, r.status_code, r.text)
        body: dict[str, Any] = orjson.loads(r.content)
        assert "errors" not in body, (server.base_url, user.name, body)
        self.no_foreign(user, r.text)
        return dict(body["data"])

    def no_foreign(self, user: User, text: str) -> None:
        """No id of another workspace's processes, runs, nodes or users in an answer to `user`."""
        for workspace, ids in self.ids.items():
            if workspace != self.workspace(user):
                leaked = [i for i in ids if i in text]
                assert not leaked, f"{user.name} got ids of workspace {workspace}: {leaked}\n{text[:2000]}"

    def mine(self, user: User, kind: str, data: dict[str, Any]) -> None:
        """What differs per user is this user's: the viewer, the inbox's job runs, the page's filter."""
        if kind == "inbox":
            assert data["viewer"]["user"]["id"] == user.id, (user.name, kind, data["viewer"])
            for job in data["viewer"]["jobRuns"]:
                args = job["arguments"]
                assert user.id in (args.get("assignee"), args.get("approver"), args.get("user")), (user.name, job)
        if kind == "page":
            for edge in data["processes"]["edges"]:
                assert user.filter.casefold() in edge["node"]["name"].casefold(), (user.name, edge)

    async def read(self, user: User, kind: str, server: Server, variables: dict[str, Any]) -> dict[str, Any]:
        data = await self.send(server, user, READS[kind], variables)
        self.mine(user, kind, data)
        if kind == "tree" and data["process"] is not None:  # one revision, one answer, on every gateway
            at = (data["process"]["id"], data["process"]["revision"])
            body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
            assert self.seen.setdefault(at, body) == body, f"two answers of {at}:\n{self.seen[at]!r}\n{body!r}"
        return data

    def pick(self, rng: random.Random, ids: list[str]) -> str:
        """Zipf over the user's processes or runs: the k-th most read is read 1/k as often as the first."""
        return rng.choices(ids, weights=[1 / (k + 1) for k in range(len(ids))])[0]

    def read_of(self, rng: random.Random, user: User) -> tuple[str, dict[str, Any]]:
        """A read of workload (f) for `user`; now and then one of the other workspace's process (answered null)."""
        kind = rng.choices(["tree", "page", "run", "inbox", "probe"], weights=[35, 20, 25, 15, 5])[0]
        if kind == "probe":
            other = next(u for u in self.users if self.workspace(u) != self.workspace(user))
            return "tree", {"id": self.pick(rng, other.processes)}
        if kind == "tree":
            return kind, {"id": self.pick(rng, user.processes)}
        if kind == "run":
            return kind, {"id": self.pick(rng, user.runs)}
        if kind == "page":
            return kind, {"filter": user.filter}
        return kind, {}

    async def walk(self, user: User, rng: random.Random, steps: int) -> None:
        """`steps` random steps of `user` through random gateways, while every other user takes theirs."""
        for _ in range(steps):
            server = rng.choice(self.servers)
            if rng.random() < 0.1:
                await self.write(user, rng, server)
                continue
            kind, variables = self.read_of(rng, user)
            for _ in range(2):  # the second may be the first's kept answer
                await self.read(user, kind, server, variables)

    async def write(self, user: User, rng: random.Random, writer: Server) -> None:
        """A write through `writer`, then the same user's next read through another gateway shows it."""
        reader = rng.choice([s for s in self.servers if s is not writer])
        kind = rng.choices(["patch", "batch", "job"], weights=[3, 3, 4])[0]
        if kind == "job":
            if await self.job(user, rng, writer, reader):
                return
            kind = rng.choice(["patch", "batch"])  # nothing waits for the user
        pid = self.pick(rng, user.processes)
        op: dict[str, Any] = {}
        renamed: dict[str, str] = {}
        if kind == "patch":
            name = f"{user.filter} {rng.choice(['north', 'south', 'east'])} {rng.randrange(10**6)}"
            op = rng.choice([{"op": "replace", "path": "/name", "value": name},
                             {"op": "replace", "path": "/dueDate", "value": f"2031-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"},
                             {"op": "replace", "path": "/autoClose", "value": rng.random() < 0.5}])
            done = (await self.send(writer, user, PATCH, {"id": pid, "ops": [op]}))["processPatch"]
        else:
            items = rng.sample([n for n in self.nodes[pid] if n["parentId"] is not None and n.get("action") != "CERTIFICATION"], 3)
            renamed = {n["id"]: f"{n['__typename'][7:].lower()} {rng.randrange(10**6)}" for n in items}
            data = [{"type": "JOB_NAME", "jobNameUpdate": {"id": n["id"], "newName": renamed[n["id"]]}}
                    if n["__typename"] == "ProcessJob" else
                    {"type": "GROUP_NAME", "groupNameUpdate": {"id": n["id"], "newName": renamed[n["id"]]}}
                    for n in items]
            done = (await self.send(writer, user, BATCH, {"id": pid, "data": data}))["processBatchUpdate"]
        if done["errors"]:
            self.writes["refused"] += 1
            return
        self.writes[kind] += 1
        process = (await self.read(user, "tree", reader, {"id": pid}))["process"]
        written = done["process"]["revision"]
        assert process["revision"] >= written, ("a stale tree after a write through another gateway", pid,
                                                 process["revision"], written)
        if process["revision"] == written:  # nobody else wrote it since: exactly what was written
            if op.get("path") == "/name":
                assert process["name"] == op["value"], (pid, process["name"], op)
            found = {n["id"]: n.get("name") or n["arguments"]["title"] for n in walk_tree(process["root"])}
            assert {i: found[i] for i in renamed} == renamed, (pid, renamed)
        page = await self.read(user, "page", reader, {"filter": user.filter})
        revisions = {e["node"]["id"]: e["node"]["revision"] for e in page["processes"]["edges"]}
        if pid in revisions:  # the page shows the write too (unless a rename took it out of the filter)
            assert revisions[pid] >= written, ("a stale page after a write through another gateway", pid)

    async def job(self, user: User, rng: random.Random, writer: Server, reader: Server) -> bool:
        """Advance a job run waiting for `user` (from their inbox, read through `writer`); False when none waits."""
        waiting = (await self.read(user, "inbox", writer, {}))["viewer"]["jobRuns"]
        if not waiting:
            return False
        job = rng.choice(waiting)
        if "SIGNER" in job["action"]:
            name, input_type = "jobRunSign", "JobRunSignInput"
        elif job["actionStatus"] == "APPROVAL" or "APPROVER" in job["action"]:
            name, input_type = "jobRunApprove", "RunActionInput"
        else:
            name, input_type = "jobRunSubmit", "RunActionInput"
        done = (await self.send(writer, user, job_action(name, input_type), {"input": {"id": job["id"]}}))[name]
        if done["errors"]:
            self.writes["refused"] += 1
            return True
        self.writes["job"] += 1
        run = (await self.read(user, "run", reader, {"id": job["runId"]}))["processRun"]
        now = next(n for n in run["nodes"] if n["id"] == job["id"])
        assert run["revision"] >= done["run"]["revision"], ("a stale run after a job action through another gateway",
                                                             job["runId"], run["revision"], done["run"]["revision"])
        assert progress(now) >= progress(done["node"]), ("a job run behind its action", now, done["node"])
        inbox = (await self.read(user, "inbox", reader, {}))["viewer"]["jobRuns"]
        if done["node"]["status"] in DONE:
            assert job["id"] not in {j["id"] for j in inbox}, ("a done job run still in the inbox", job["id"])
        return True

    async def settled(self, user: User, rng: random.Random) -> None:
        """With no write under way: each of the user's reads is the truth, three times through one gateway (the
        first fills the tree cache, the second is kept, the third given again) and once through another."""
        reads = [("page", {"filter": user.filter}), ("inbox", {})] + [self.read_of(rng, user) for _ in range(5)]
        for kind, variables in reads:
            truth = await user.truth.raw(READS[kind], variables)
            assert not truth.errors, truth.errors
            one, other = rng.sample(self.servers, 2)
            for server in (one, one, one, other):
                data = await self.read(user, kind, server, variables)
                assert data == truth.data, (f"not the truth through {server.base_url}", user.name, kind, variables)


def walk_tree(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for c in node.get("children") or [] for n in walk_tree(c))]


def process_input(name: str, people: list[str], i: int) -> dict[str, Any]:
    """Jobs for the users by turns: some at once, some one after another, a certification with signers and
    an approver; most with an approver, so that job actions take two steps."""
    def who(k: int) -> str:
        return people[(i + k) % len(people)]

    def send(title: str, k: int, approver: bool = True) -> dict[str, Any]:
        return {"job": {"arguments": {"sendTask": {"title": title, "assignee": who(k),
                                                   **({"approver": who(k + 1)} if approver else {})}}}}
    cert = {"job": {"arguments": {"certification": {
        "title": f"{name} cert", "signerSteps": [{"mode": "EVERYONE", "users": [who(0), who(2)]}],
        "approverSteps": [{"mode": "SOMEONE", "users": [who(3)]}]}}}}
    return {"name": name, "dueDate": "2031-06-30", "root": {"name": "R", "parallel": True, "children": [
        send(f"{name} a", 0), send(f"{name} b", 1, approver=False), cert,
        {"group": {"name": f"{name} G", "parallel": False, "children": [
            send(f"{name} c", 2), {"group": {"name": f"{name} H", "children": [send(f"{name} d", 3)]}}]}},
        {"group": {"name": f"{name} K", "parallel": True, "children": [send(f"{name} e", 4), send(f"{name} f", 1)]}}]}}


async def build(engine: AsyncEngine, settings: Settings, fleet: Fleet, rng: random.Random) -> None:
    """Five users of the default workspace, each with a token, twelve processes and seven runs; a second
    workspace with its own user (and three more to assign jobs to), processes and run, whose names match the
    first's filters."""
    truth = layers_off(settings)

    async def user(name: str, workspace: str, flt: str) -> User:
        uid = await auth.create_user(engine, workspace_id=workspace, name=name, email=f"{name}@example.com")
        _, token = await auth.create_token(engine, user_id=uid, scopes=[READ, WRITE])
        actor = Actor(user_id=uid, workspace_id=workspace, scopes=frozenset({READ, WRITE}))
        return User(name, actor, token, flt, GraphQLClient(engine=engine, settings=truth, actor=actor))

    users = [await user(f"user{k}", DEFAULT_WORKSPACE_ID, FILTERS[k]) for k in range(USERS)]
    other_ws = await auth.create_workspace(engine, name="Elsewhere")
    olga = await user("olga", other_ws, FILTERS[0])
    manager = GraphQLClient(engine=engine, settings=truth)
    olga_manager = GraphQLClient(engine=engine, settings=truth, actor=olga.actor)
    teams = ["team-a", "team-b", "team-c"]

    async def create(client: GraphQLClient, name: str, people: list[str], i: int) -> str:
        made = (await client(CREATE, {"input": process_input(name, people, i)}))["processCreate"]
        assert made["errors"] == [], made
        pid = str(made["process"]["id"])
        fleet.nodes[pid] = (await client(NODES, {"id": pid}))["process"]["nodes"]
        return pid

    async def start(client: GraphQLClient, pid: str) -> str:
        started = (await client("mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code } "
                                "run { id } } }", {"id": pid}))["runStart"]
        assert started["errors"] == [], started
        return str(started["run"]["id"])

    ids = [u.id for u in users]
    processes = [await create(manager, f"{teams[i % 3]} p{i}", ids, i) for i in range(12)]
    runs = [await start(manager, pid) for pid in processes[:7]]
    others = [await auth.create_user(engine, workspace_id=other_ws, name=n, email=f"{n}@example.com")
              for n in ("oskar", "otto", "ove")]
    olgas = [olga.id, *others]  # signers and approver of a certification all different, as in the first
    foreign = [await create(olga_manager, f"{FILTERS[0]} elsewhere {i}", olgas, i) for i in range(2)]
    olga.processes, olga.runs = foreign, [await start(olga_manager, foreign[0])]
    for u in users:  # each user has their own favourites
        u.processes, u.runs = rng.sample(processes, len(processes)), rng.sample(runs, len(runs))
    fleet.users = [*users, olga]
    node_ids = {pid: {n["id"] for n in fleet.nodes[pid]} for pid in fleet.nodes}
    fleet.ids = {DEFAULT_WORKSPACE_ID: {*processes, *runs, *ids, DEV_USER_ID, *(i for p in processes for i in node_ids[p])},
                 other_ws: {*foreign, *olga.runs, olga.id, *others, *(i for p in foreign for i in node_ids[p])}}


async def answered(http: httpx.AsyncClient, server: Server, token: str) -> dict[str, float]:
    """A gateway's kept answers given and its tree cache's hits, from /metrics."""
    text = (await http.get(f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {token}"})).text
    found = {"given": 0.0, "hits": 0.0}
    for line in text.splitlines():
        if line.startswith('processgraph_answer_cache_lookups{result="given"}'):
            found["given"] = float(line.split()[-1])
        elif line.startswith('processgraph_tree_cache_lookups{result="hit"}'):
            found["hits"] = float(line.split()[-1])
    return found


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(150)
async def test_several_gateways_give_no_stale_or_foreign_answer_under_workload_f(
    engine: AsyncEngine, settings: Settings, db_url: str, tmp_path: Path
) -> None:
    """Three gateways, every layer on, six users at once: every answer is the user's own and of their own
    workspace, a write through one gateway is seen by the writer's next read through another, and with no
    write under way every read through any gateway is the truth (every layer off), given again or not."""
    seed = int(os.environ.get("PROCESSGRAPH_RANDOM_SEED") or SEED)
    rng = random.Random(seed)
    # No rate limit: a few hundred requests per token and gateway in a few seconds (it is no cache layer).
    with running_servers(tmp_path, ["f1", "f2", "f3"], database_url=db_url, RATE_LIMIT_PER_SECOND="0") as servers:
        async with httpx.AsyncClient(timeout=30) as http:
            fleet = Fleet(servers, http)
            try:
                await build(engine, settings, fleet, rng)
                for round_ in range(ROUNDS):
                    await asyncio.gather(*(fleet.walk(u, random.Random(f"{seed}/{round_}/{u.name}"), STEPS)
                                           for u in fleet.users))
                    await asyncio.gather(*(fleet.settled(u, random.Random(f"{seed}/{round_}/{u.name}/settled"))
                                           for u in fleet.users))
                counted = [await answered(http, s, fleet.users[0].token) for s in servers]
            except BaseException as exc:
                exc.add_note(f"seed {seed} (PROCESSGRAPH_RANDOM_SEED={seed} repeats its choices); writes {fleet.writes}")
                raise
    # The comparisons were made with the layers answering: kept answers given and trees found on every gateway,
    # and writes of every kind committed.
    assert all(c["given"] > 0 and c["hits"] > 0 for c in counted), counted
    assert fleet.writes["patch"] > 0 and fleet.writes["batch"] > 0 and fleet.writes["job"] > 3, fleet.writes
