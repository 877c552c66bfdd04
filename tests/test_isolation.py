"""Workspace isolation (docs/access-control.md, Workspaces; issue 4 point 3): no one sees or changes another workspace's objects.

A matrix built from the live schema by introspection: every root query and mutation, every field of an
object or interface type that takes or returns an ID, and every input field that takes an ID is a
*coordinate* ("Query.process", "NodeMoveInput.parentId", "ProcessJob.parentId"). CASES maps each
coordinate to a case; `test_every_id_coordinate_has_a_case` fails when one has none, so a field added
later without a case breaks the suite.

Each case runs as a user of workspace B against the objects of workspace A (the default workspace, set
up by its demo user with every kind of object: groups, a read-only group, jobs of every client action
with tags, a certification with its generated nodes, a history of several writes, a second process in
the trash, a second user). Every case asserts that

1. no id or name of A appears in the bytes of any response B gets, other than ids B's request sent;
2. A's rows (every table, revisions included) are unchanged;
3. counts and lists exclude A: B's `processes`, `trashedProcesses` and `users` are exactly B's rows
   (and A's, read by A, exactly A's);
4. each id of A, of every kind, gets exactly the response a fresh unknown id of the same shape gets
   (after the id itself, ids the request newly made and timestamps are replaced by placeholders).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
from graphql.utilities import introspection_from_schema
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.federation import ENTITIES, build_subgraph_schema
from app.api.schema import schema
from app.auth import service as auth
from app.auth.service import READ, WRITE, Actor
from app.db import metadata
from app.graphql.pagination import decode_int_cursor, encode_cursor
from app.ids import new_id
from app.main import create_app
from app.models_registry import import_all_models
from app.rest import PUBLIC_PATHS as PUBLIC_REST_PATHS
from app.rest.routes import OPERATIONS as REST_OPERATIONS
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings
from tests.factories import CREATE
from tests.helpers import GraphQLClient

ID_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
SUBGRAPH = build_subgraph_schema()
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


# ---------------------------------------------------------------------------------------------------------
# The coordinates, from the schema by introspection
# ---------------------------------------------------------------------------------------------------------

def _named(type_ref: dict[str, Any]) -> str:
    while type_ref.get("ofType") is not None:
        type_ref = type_ref["ofType"]
    return str(type_ref["name"])


def id_coordinates() -> set[str]:
    """Every root field, every output field taking or returning an ID or returning a User (people as
    objects), every input field taking an ID; of the subgraph's schema, the public one with `_entities` and
    `_service` (app/api/federation.py)."""
    data = cast(dict[str, Any], introspection_from_schema(SUBGRAPH._schema)["__schema"])
    roots = {(data.get(k) or {}).get("name") for k in ("queryType", "mutationType", "subscriptionType")} - {None}
    coordinates: set[str] = set()
    for t in data["types"]:
        name = str(t["name"])
        if name.startswith("__"):
            continue
        if t["kind"] in ("OBJECT", "INTERFACE"):
            for f in t["fields"] or ():
                takes_id = any(_named(a["type"]) == "ID" for a in f["args"])
                if name in roots or takes_id or _named(f["type"]) in ("ID", "User"):
                    coordinates.add(f"{name}.{f['name']}")
        elif t["kind"] == "INPUT_OBJECT":
            for field in t["inputFields"] or ():
                if _named(field["type"]) == "ID":
                    coordinates.add(f"{name}.{field['name']}")
    return coordinates


# ---------------------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------------------

ERRORS = "errors { code message target meta details { code message target meta } documentationUrl }"
EDIT = f"""{ERRORS} clientMutationId process {{ id name revision }}
  node {{ __typename ... on ProcessGroup {{ id parentId name }} ... on ProcessJob {{ id parentId name }} }}
  group {{ id parentId }} job {{ id parentId }}"""

TREE_NODE = """__typename
  ... on ProcessGroup { id parentId parent name readOnly revision created { user { id } } }
  ... on ProcessJob {
    id parentId parent name action readOnly revision tags { id category value }
    created { user { id } } modified { user { id } }
    arguments { __typename
      ... on SendTaskArgs { title instructions assignee approver document }
      ... on ContentRequestArgs { title assignee approver document section }
      ... on CertificationArgs { title document signerSteps { mode users } approverSteps { mode users } }
      ... on GeneratedCertificationArgs { certificationStep user certificationJob } }
    generated { id parentId name } }"""

FULL = f"""query Full($id: ID!, $exclude: Boolean! = false) {{
  process(id: $id, excludeGeneratedJobs: $exclude) {{
    id name revision calendars sourceProcessRun processTemplate
    created {{ dateTime user {{ id name email active }} }} modified {{ dateTime user {{ id name }} }}
    root {{ id parentId parent name children {{ __typename ... on ProcessGroup {{ id parentId }}
                                                      ... on ProcessJob {{ id parentId }} }} }}
    nodes {{ {TREE_NODE} }}
    history(first: 100) {{ pageInfo {{ hasNextPage endCursor }}
      edges {{ cursor node {{ revision mutation at user {{ id name }} operations inverse }} }} }}
  }}
}}"""

VALIDATE = f"query Validate($id: ID!) {{ processValidation(id: $id) {{ {ERRORS} }} }}"

SUMMARY = """totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id name revision dueDate created { user { id } } modified { user { id } }
    trashed { user { id } } run { id name process managerUser manager { id name } } process { id name } } }"""
LIST = f"""query List($first: Int, $after: String, $filter: ProcessFilter, $order: ProcessOrder) {{
  processes(first: $first, after: $after, filter: $filter, orderBy: $order) {{ {SUMMARY} }} }}"""
TRASHED = f"""query Trashed($first: Int, $after: String, $filter: ProcessFilter, $order: ProcessOrder) {{
  trashedProcesses(first: $first, after: $after, filter: $filter, orderBy: $order) {{ {SUMMARY} }} }}"""

NODE_SELECTION = """__typename id
  ... on Process { name revision nodes { __typename } }
  ... on ProcessGroup { name parentId parent readOnly }
  ... on ProcessJob { name parentId parent action tags { id } }
  ... on User { name email active }"""
NODE = f"query Node($id: ID!) {{ node(id: $id) {{ {NODE_SELECTION} }} }}"
NODES = f"query Nodes($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE_SELECTION} }} }}"

VIEWER = "query { viewer { user { id name email active } workspace { id name } scopes } }"
USERS = """query Users($first: Int, $after: String) { users(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id name email active } } } }"""

COUNTS = """query { processes { totalCount edges { node { id } } }
  trashedProcesses { totalCount edges { node { id } } } users { totalCount edges { node { id } } } }"""

PROCESS_CREATE = f"""mutation ProcessCreate($input: ProcessCreateInput!) {{ processCreate(input: $input) {{
  {ERRORS} clientMutationId
  process {{ id name revision calendars created {{ user {{ id }} }} nodes {{ {TREE_NODE} }} }} }} }}"""
LIFECYCLE_FIELDS = f"{ERRORS} clientMutationId"
TRASH = f"""mutation Trash($input: ProcessIdInput!) {{ processTrash(input: $input) {{ {LIFECYCLE_FIELDS}
  trashedProcess {{ id name revision trashed {{ user {{ id }} }} }} }} }}"""
RESTORE = f"""mutation Restore($input: ProcessIdInput!) {{ processRestore(input: $input) {{ {LIFECYCLE_FIELDS}
  process {{ id name revision }} }} }}"""
PURGE = f"""mutation Purge($input: ProcessIdInput!) {{ processPurge(input: $input) {{ {LIFECYCLE_FIELDS}
  purgedProcessId }} }}"""


def _edit(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {EDIT} }} }}"


PATCH = _edit("processPatch", "ProcessPatchInput")
BATCH = _edit("processBatchUpdate", "ProcessBatchUpdateInput")
GROUP_ADD = _edit("groupAdd", "GroupAddInput")
JOB_ADD = _edit("jobAdd", "JobAddInput")
GROUP_UPDATE = _edit("groupUpdate", "GroupUpdateInput")
JOB_UPDATE = _edit("jobUpdate", "JobUpdateInput")
NODE_MOVE = _edit("nodeMove", "NodeMoveInput")
NODE_REMOVE = _edit("nodeRemove", "NodeRemoveInput")
COPY = _edit("processCopy", "ProcessCopyInput")
RUN_NODES = """nodes { __typename ... on GroupRun { id name parentId sourceGroupId status }
    ... on JobRun { id name action parentId sourceJobId status actionStatus } }"""
RUN_START = f"""mutation RunStart($input: RunStartInput!) {{ runStart(input: $input) {{ {ERRORS} clientMutationId
    run {{ id status {RUN_NODES} }} }} }}"""
READ_RUN = f"""query ReadRun($id: ID!) {{ processRun(id: $id) {{ id name process managerUser manager {{ id name }} status
    statusCounts {{ status count }} {RUN_NODES}
    root {{ id children {{ ... on JobRun {{ id }} ... on GroupRun {{ id }} }} }}
    events(first: 1000) {{ edges {{ node {{ sequence nodeId nodeKind field toValue user {{ id name }} }} }} }} }} }}"""
RUNS = """query Runs($status: RunStatus) { processRuns(first: 1000, filter: {status: $status}) {
    edges { node { id name process managerUser manager { id name } status statusCounts { status count } } } } }"""


def _run_action(name: str, input_type: str) -> str:
    return f"""mutation Act($input: {input_type}!) {{ {name}(input: $input) {{ {ERRORS} clientMutationId
        run {{ id status }} node {{ ... on JobRun {{ id status }} ... on GroupRun {{ id status }} }}
        addedJobRuns {{ id }} }} }}"""


# ---------------------------------------------------------------------------------------------------------
# The two workspaces
# ---------------------------------------------------------------------------------------------------------

def a_process_input(alice: str) -> dict[str, Any]:
    """A's rich process: every client action, tags, a certification (generated nodes), a read-only group."""
    return {"name": "Alpha Ledger Close", "calendars": ["alpha-calendar"], "clientMutationId": "alpha-create",
            "root": {"name": "Alpha Root", "children": [
                {"job": {"arguments": {"sendTask": {
                    "title": "Alpha Review ledger", "instructions": "Alpha instructions", "assignee": alice,
                    "approver": DEV_USER_ID, "document": "alpha-attachment", "dueDate": "2025-01-15"}},
                    "tags": [{"category": "alpha-area", "value": "alpha-finance"}]}},
                {"job": {"arguments": {"contentRequest": {
                    "title": "Alpha Narrative", "assignee": DEV_USER_ID, "document": "alpha-letter",
                    "section": "alpha-section"}},
                    "triggerType": "MANUAL", "tags": [{"category": "alpha-kind", "value": "alpha-text"}]}},
                {"group": {"name": "Alpha Sign-off", "parallel": True, "children": [
                    {"job": {"arguments": {"certification": {
                        "title": "Alpha SOX 302", "document": "alpha-cert-letter",
                        "signerSteps": [{"mode": "EVERYONE", "users": [DEV_USER_ID, alice]}],
                        "approverSteps": [{"mode": "SOMEONE", "users": [alice]}]}},
                        "tags": [{"category": "alpha-area", "value": "alpha-control"}]}}]}},
                {"group": {"name": "Alpha Locked", "readOnly": True, "children": [
                    {"job": {"arguments": {"sendTask": {"title": "Alpha Frozen task", "assignee": alice}}}}]}},
            ]}}


def b_process_input(bea: str, bob: str) -> dict[str, Any]:
    return {"name": "Beta Plan", "root": {"name": "Beta Root", "children": [
        {"group": {"name": "Beta Group", "children": [
            {"job": {"arguments": {"sendTask": {"title": "Beta Inner", "assignee": bob}}}}]}},
        {"job": {"arguments": {"sendTask": {"title": "Beta Task", "assignee": bea}},
                 "tags": [{"category": "beta-area", "value": "beta-value"}]}},
        {"job": {"arguments": {"certification": {
            "title": "Beta Cert", "signerSteps": [{"mode": "EVERYONE", "users": [bea]}],
            "approverSteps": [{"mode": "SOMEONE", "users": [bob]}]}}}},
    ]}}


def _tables() -> dict[str, Table]:
    import_all_models()
    return dict(metadata.tables)


def ownership(workspace_id: str) -> dict[str, Any]:
    """For every table, the condition that selects a workspace's rows: `workspace_id` when the table has
    one, else a foreign key into a table already attributed (into users last). A table that cannot be
    attributed fails the test: a table added later must say whose rows it holds."""
    tables = _tables()
    conds: dict[str, Any] = {"workspace": tables["workspace"].c.id == workspace_id}
    pending = set(tables) - set(conds)
    while pending:
        found: dict[str, Any] = {}
        for name in sorted(pending):
            tbl = tables[name]
            if "workspace_id" in tbl.c:
                found[name] = tbl.c.workspace_id == workspace_id
                continue
            keys = sorted(((fk.parent, fk.column) for fk in tbl.foreign_keys
                           if fk.column.table.name in conds and fk.column.table.name != name),
                          key=lambda pair: (pair[1].table.name == "app_user", pair[0].name))
            if keys:
                column, referred = keys[0]
                found[name] = column.in_(select(referred).where(conds[referred.table.name]))
        assert found, f"tables {sorted(pending)} cannot be attributed to a workspace; extend ownership()"
        conds.update(found)
        pending -= set(found)
    return conds


async def workspace_rows(engine: AsyncEngine, workspace_id: str) -> dict[str, list[Any]]:
    """Every row of every table that belongs to a workspace."""
    tables = _tables()
    out: dict[str, list[Any]] = {}
    async with engine.connect() as conn:
        for name, cond in sorted(ownership(workspace_id).items()):
            out[name] = list((await conn.execute(select(tables[name]).where(cond))).mappings().all())
    return out


def _fingerprint(rows: dict[str, list[Any]]) -> dict[str, list[str]]:
    return {name: sorted(repr(sorted(dict(r).items())) for r in table_rows) for name, table_rows in rows.items()}


def _revisions(rows: dict[str, list[Any]]) -> dict[str, int]:
    return {r["id"]: r["revision"] for table_rows in rows.values() for r in table_rows if "revision" in r}


@dataclass
class World:
    engine: AsyncEngine
    settings: Settings
    a: GraphQLClient
    b: GraphQLClient
    b_ws: str
    a_probes: dict[str, str]  # kind of A's object -> its id
    a_secrets: dict[str, str]  # every id and name of A -> what it is
    b_ids: dict[str, str]  # B's objects by role
    b_known: set[str]  # every id in B's workspace at setup
    a_rows: dict[str, list[Any]]
    responses: int = 0
    b_http: httpx.AsyncClient | None = None  # B's bearer token against the ASGI app (the REST door)

    # ---- B's requests, each checked for A's ids and names ----

    async def as_b(self, query: str, variables: dict[str, Any] | None = None, *,
                   allow: Iterable[str] = (), subgraph: bool = False) -> dict[str, Any]:
        """Run an operation as B; fail when its response bytes hold an id or name of A that this request
        did not send itself (`allow`: ids B wrote into its own objects earlier in the case). `subgraph`: on
        the Federation subgraph's schema (FEDERATION on) in place of the public one."""
        client = self.b if not subgraph else GraphQLClient(
            engine=self.engine, settings=self.settings, actor=self.b.actor, schema=SUBGRAPH)
        result = await client.raw(query, variables)
        body = {"data": result.data, "errors": [e.formatted for e in result.errors] if result.errors else None}
        text = json.dumps(body, sort_keys=True, default=str)
        assert_no_leak(text, self.a_secrets, sent=ids_in(variables) | set(allow), what=query)
        self.responses += 1
        return body

    async def rest_b(self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None,
                     allow: Iterable[str] = ()) -> dict[str, Any]:
        """A REST request as B; the status, the body and the ETag/Location headers, checked for A's ids and
        names as `as_b` does."""
        assert self.b_http is not None
        content = None if body is None else json.dumps(body).encode()
        kind = "application/json-patch+json" if method == "PATCH" else "application/json"
        response = await self.b_http.request(method, path, content=content, headers={
            **({"content-type": kind} if content is not None else {}), **(headers or {})})
        assert response.status_code < 500, response.text
        out = {"status": response.status_code, "body": response.json() if response.content else None,
               "etag": response.headers.get("etag"), "location": response.headers.get("location")}
        assert_no_leak(response.text + str(out["location"]), self.a_secrets,
                       sent=ids_in([path, body, headers]) | set(allow), what=f"{method} {path}")
        self.responses += 1
        return out

    async def like_unknown(self, op: Callable[[str], Awaitable[dict[str, Any]]],
                           probes: dict[str, str] | None = None) -> dict[str, Any]:
        """Every id of A answers exactly as a fresh unknown id answers; returns the unknown id's answer."""
        unknown = new_id()
        body = await op(unknown)
        expected = normalize(body, unknown, self.b_known)
        for kind, probe in (self.a_probes if probes is None else probes).items():
            got = normalize(await op(probe), probe, self.b_known)
            assert got == expected, (f"A's {kind} id {probe} answers differently from an unknown id:\n"
                                     f"  A's id:  {got}\n  unknown: {expected}")
        return body


def ids_in(value: Any) -> set[str]:
    return set(ID_RE.findall(json.dumps(value, default=str))) if value else set()


def assert_no_leak(text: str, secrets: dict[str, str], *, sent: set[str], what: str) -> None:
    leaked = {s: label for s, label in secrets.items() if s in text and s not in sent}
    assert not leaked, f"B's response shows workspace A's {sorted(leaked.values())}:\n{what}\n{text[:3000]}"


def normalize(body: dict[str, Any], probe: str, stable: set[str]) -> str:
    """The response with the probed id as <PROBE>, ids made during the request as <NEWn> (in order of
    appearance, so references between them still compare) and timestamps as <TS>."""
    text = json.dumps(body, sort_keys=True, default=str).replace(probe, "<PROBE>")
    fresh: dict[str, str] = {}

    def replace(m: re.Match[str]) -> str:
        value = m.group(0)
        return value if value in stable else fresh.setdefault(value, f"<NEW{len(fresh)}>")

    return TS_RE.sub("<TS>", ID_RE.sub(replace, text))


def _index(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in nodes}


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings, gql: GraphQLClient) -> AsyncIterator[World]:
    # ---- workspace A: the default workspace, acted on by its demo user ----
    alice = await auth.create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Alice Alphason",
                                   email="alice@alpha.example")
    created = (await gql(CREATE, {"input": a_process_input(alice)}))["processCreate"]
    assert created["errors"] == [], created
    a_pid = created["process"]["id"]
    patched = await gql(PATCH, {"input": {"id": a_pid, "operations": [
        {"op": "replace", "path": "/dueDate", "value": "2025-03-31"}]}})
    assert patched["processPatch"]["errors"] == []
    archive = (await gql(CREATE, {"input": {"name": "Alpha Archive", "root": {"name": "Alpha Archive Root",
               "children": [{"job": {"arguments": {"sendTask": {"title": "Alpha Old task"}}}}]}}}))
    a_trashed = archive["processCreate"]["process"]["id"]
    assert (await gql(TRASH, {"input": {"id": a_trashed}}))["processTrash"]["errors"] == []

    tree = (await gql(FULL, {"id": a_pid}))["process"]
    by_name = _index(tree["nodes"])
    cert = by_name["Alpha SOX 302"]
    generated_top = cert["generated"]["id"]
    step_group = next(n for n in tree["nodes"] if n["__typename"] == "ProcessGroup" and n["parentId"] == generated_top)
    signer = next(n for n in tree["nodes"] if n.get("action") == "CERTIFICATION_SIGNER_GENERATED")

    # ---- workspace B ----
    b_ws = await auth.create_workspace(engine, name="Beta workspace")
    bea = await auth.create_user(engine, workspace_id=b_ws, name="Bea Betason", email="bea@beta.example")
    bob = await auth.create_user(engine, workspace_id=b_ws, name="Bob Betason", email="bob@beta.example")
    b = GraphQLClient(engine=engine, settings=settings,
                      actor=Actor(user_id=bea, workspace_id=b_ws, scopes=frozenset({READ, WRITE})))
    b_created = (await b(CREATE, {"input": b_process_input(bea, bob)}))["processCreate"]
    assert b_created["errors"] == [], b_created
    b_pid = b_created["process"]["id"]
    old = await b(CREATE, {"input": {"name": "Beta Old", "root": {"name": "Beta Old Root", "children": [
        {"job": {"arguments": {"sendTask": {"title": "Beta Old task", "assignee": bea}}}}]}}})
    b_trashed = old["processCreate"]["process"]["id"]
    assert (await b(TRASH, {"input": {"id": b_trashed}}))["processTrash"]["errors"] == []
    b_tree = (await b(FULL, {"id": b_pid}))["process"]
    b_nodes = _index(b_tree["nodes"])
    b_gen_top = b_nodes["Beta Cert"]["generated"]["id"]
    b_ids = {
        "workspace": b_ws, "user": bea, "user2": bob, "process": b_pid, "trashed": b_trashed,
        "root": b_tree["root"]["id"], "group": b_nodes["Beta Group"]["id"], "inner": b_nodes["Beta Inner"]["id"],
        "task": b_nodes["Beta Task"]["id"], "cert": b_nodes["Beta Cert"]["id"], "generated": b_gen_top,
        "signer": next(n["id"] for n in b_tree["nodes"] if n.get("action") == "CERTIFICATION_SIGNER_GENERATED"),
        "tag": b_nodes["Beta Task"]["tags"][0]["id"],
    }

    # ---- a run in each workspace ----
    a_run = (await gql(RUN_START, {"input": {"processId": a_pid}}))["runStart"]
    assert a_run["errors"] == [], a_run["errors"]
    a_run_nodes = {n["name"]: n for n in a_run["run"]["nodes"]}
    b_run = (await b(RUN_START, {"input": {"processId": b_pid}}))["runStart"]
    assert b_run["errors"] == [], b_run["errors"]
    b_run_nodes = {n["name"]: n for n in b_run["run"]["nodes"]}
    b_ids.update({"run": b_run["run"]["id"], "run_root": b_run_nodes["Beta Root"]["id"],
                  "run_group": b_run_nodes["Beta Group"]["id"], "run_task": b_run_nodes["Beta Task"]["id"],
                  "run_inner": b_run_nodes["Beta Inner"]["id"]})

    # ---- every id and name of A, read from the database ----
    a_rows = await workspace_rows(engine, DEFAULT_WORKSPACE_ID)
    secrets: dict[str, str] = {}
    for name, rows in a_rows.items():
        secrets.update((str(r["id"]), f"{name} id") for r in rows if "id" in r)
    for r in a_rows["workspace"]:
        secrets[r["name"]] = "workspace name"
    for r in a_rows["app_user"]:
        secrets[r["name"]] = "user name"
        secrets[r["email"]] = "user e-mail"
    for r in a_rows["process"]:
        secrets[r["name"]] = "process name"
        secrets.update(dict.fromkeys(r["calendars"] or (), "calendar"))
    for r in a_rows["process_group"]:
        if not r["generated"]:
            secrets[r["name"]] = "group name"
    for r in a_rows["process_job"]:
        for key in ("title", "instructions", "document", "section"):
            if r["arguments"].get(key):
                secrets[r["arguments"][key]] = f"job {key}"
    for r in a_rows["tag_link"]:
        secrets[r["category"]] = "tag category"
        secrets[r["value"]] = "tag value"
    assert DEV_USER_ID in secrets and alice in secrets and DEFAULT_WORKSPACE_ID in secrets
    assert "Alpha Ledger Close" in secrets and "alpha-finance" in secrets and "Default workspace" in secrets

    b_rows = await workspace_rows(engine, b_ws)
    b_known = {str(r["id"]) for rows in b_rows.values() for r in rows if "id" in r}
    assert not b_known & set(secrets)

    history_id = next(r["id"] for r in a_rows["process_history"] if r["process_id"] == a_pid)
    probes = {
        "process": a_pid, "trashed process": a_trashed, "root group": tree["root"]["id"],
        "group": by_name["Alpha Sign-off"]["id"], "read-only group": by_name["Alpha Locked"]["id"],
        "job under a read-only group": by_name["Alpha Frozen task"]["id"],
        "sendTask job": by_name["Alpha Review ledger"]["id"], "contentRequest job": by_name["Alpha Narrative"]["id"],
        "certification job": cert["id"], "generated group": generated_top, "generated step group": step_group["id"],
        "generated job": signer["id"], "tag link": by_name["Alpha Review ledger"]["tags"][0]["id"],
        "user": DEV_USER_ID, "second user": alice, "workspace": DEFAULT_WORKSPACE_ID, "history entry": history_id,
        "run": a_run["run"]["id"], "root group run": a_run_nodes["Alpha Root"]["id"],
        "group run": a_run_nodes["Alpha Sign-off"]["id"], "job run": a_run_nodes["Alpha Review ledger"]["id"],
        "manual job run": a_run_nodes["Alpha Narrative"]["id"],
        "generated job run": next(n["id"] for n in a_run["run"]["nodes"] if n.get("action") == "CERTIFICATION_SIGNER_GENERATED"),
        "run event": next(r["id"] for r in a_rows["run_event"]),
        "notification": next(r["id"] for r in a_rows["notification"]),
    }
    assert len(set(probes.values())) == len(probes) and set(probes.values()) <= set(secrets)
    _, b_token = await auth.create_token(engine, user_id=bea, scopes=["read", "write"])
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {b_token}"}) as b_http:
        yield World(engine=engine, settings=settings, a=gql, b=b, b_ws=b_ws, a_probes=probes, a_secrets=secrets,
                    b_ids=b_ids, b_known=b_known, a_rows=a_rows, b_http=b_http)


# ---------------------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------------------

Case = Callable[[World], Awaitable[None]]
CASES: dict[str, Case] = {}


def case(*coordinates: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        for c in coordinates:
            assert c not in CASES, f"{c} has two cases"
            CASES[c] = fn
        return fn
    return register


def errors_of(body: dict[str, Any], field: str) -> list[tuple[str, str | None]]:
    assert body["errors"] is None, body["errors"]
    return [(e["code"], e["target"]) for e in body["data"][field]["errors"]]


@case("Query.process", "Process.id", "ProcessGroup.id", "ProcessGroup.parentId", "ProcessJob.id",
      "ProcessJob.parentId", "GeneratedCertificationArgs.certificationJob", "TagLink.id", "Action.user",
      "ProcessHistoryEntry.user")
async def read_process(w: World) -> None:
    """B reads its own process through every id-returning field: only B's ids come back; history holds
    B's writes only. A's ids of every kind read as null, exactly like an unknown id."""
    for exclude in (False, True):
        body = await w.as_b(FULL, {"id": w.b_ids["process"], "exclude": exclude})
        assert body["errors"] is None
        process = body["data"]["process"]
        assert ids_in(body) <= w.b_known
        nodes = process["nodes"]
        groups = [n for n in nodes if n["__typename"] == "ProcessGroup"]
        jobs = [n for n in nodes if n["__typename"] == "ProcessJob"]
        assert process["id"] == w.b_ids["process"]
        assert {n["id"] for n in nodes} <= w.b_known
        assert {n["parentId"] for n in nodes if n["parentId"]} <= w.b_known | {w.b_ids["cert"]}
        assert {t["id"] for j in jobs for t in j["tags"]} == {w.b_ids["tag"]}
        generated_args = [j["arguments"] for j in jobs if j["arguments"]["__typename"] == "GeneratedCertificationArgs"]
        if exclude:
            assert generated_args == [] and all(j["generated"] is None for j in jobs)
        else:
            assert generated_args and {a["certificationJob"] for a in generated_args} == {w.b_ids["cert"]}
            assert w.b_ids["generated"] in {g["id"] for g in groups}
        edges = process["history"]["edges"]
        assert [e["node"]["revision"] for e in edges] == list(range(process["revision"], 0, -1))
        assert {e["node"]["user"]["id"] for e in edges} == {w.b_ids["user"]}

    async def read(probe: str) -> dict[str, Any]:
        return await w.as_b(FULL, {"id": probe})

    assert (await w.like_unknown(read))["data"] == {"process": None}

    async def read_excluding(probe: str) -> dict[str, Any]:
        return await w.as_b(FULL, {"id": probe, "exclude": True})

    await w.like_unknown(read_excluding)


PEOPLE_ARGS = """__typename
  ... on SendTaskArgs { assignee approver assigneeUser { id name email active } approverUser { id name } }
  ... on ContentRequestArgs { assignee approver assigneeUser { id name } approverUser { id name } }
  ... on CertificationArgs { signerSteps { users members { id name } } approverSteps { users members { id name } } }
  ... on GeneratedCertificationArgs { user person { id name } }"""
PEOPLE = f"""query People($id: ID!) {{ process(id: $id) {{ nodes {{ ... on ProcessJob {{ name arguments {{
  {PEOPLE_ARGS} }} }} }} }} }}"""
RUN_PEOPLE = f"""query RunPeople($id: ID!) {{ processRun(id: $id) {{ nodes {{ ... on JobRun {{ name arguments {{
  {PEOPLE_ARGS} }} }} }} }} }}"""


@case("SendTaskArgs.assigneeUser", "SendTaskArgs.approverUser", "ContentRequestArgs.assigneeUser",
      "ContentRequestArgs.approverUser", "CertificationStep.members", "GeneratedCertificationArgs.person")
async def people(w: World) -> None:
    """B's jobs and job runs that name an id of A as assignee, approver or step user show null in the
    User siblings, exactly like an unknown id; B's own users resolve."""
    bea = {"id": w.b_ids["user"], "name": "Bea Betason"}
    own = await w.as_b(PEOPLE, {"id": w.b_ids["process"]})
    args = {n["name"]: n["arguments"] for n in own["data"]["process"]["nodes"] if n}
    assert args["Beta Task"]["assigneeUser"] == {**bea, "email": "bea@beta.example", "active": True}
    assert args["Beta Cert"]["signerSteps"][0]["members"] == [bea]

    async def referenced(probe: str) -> dict[str, Any]:
        updated = await w.as_b(JOB_UPDATE, {"input": {"id": w.b_ids["task"], "arguments": {"sendTask": {
            "title": "Beta Task", "assignee": probe, "approver": probe}}}})
        assert errors_of(updated, "jobUpdate") == []
        updated = await w.as_b(JOB_UPDATE, {"input": {"id": w.b_ids["cert"], "arguments": {"certification": {
            "title": "Beta Cert", "signerSteps": [{"mode": "EVERYONE", "users": [w.b_ids["user"], probe]}],
            "approverSteps": [{"mode": "SOMEONE", "users": [probe]}]}}}})
        assert errors_of(updated, "jobUpdate") == []
        return await w.as_b(PEOPLE, {"id": w.b_ids["process"]}, allow=[probe])

    body = await w.like_unknown(referenced)
    args = {n["name"]: n["arguments"] for n in body["data"]["process"]["nodes"] if n}
    assert (args["Beta Task"]["assigneeUser"], args["Beta Task"]["approverUser"]) == (None, None)
    cert = args["Beta Cert"]
    assert cert["signerSteps"][0]["members"] == [bea, None] and cert["approverSteps"][0]["members"] == [None]
    persons = [a["person"] for a in args.values() if a["__typename"] == "GeneratedCertificationArgs"]
    assert sorted(p["id"] for p in persons if p) == [w.b_ids["user"]] and persons.count(None) == 3

    edit = _run_action("jobRunEdit", "JobRunEditInput")

    async def run_referenced(probe: str) -> dict[str, Any]:
        edited = await w.as_b(edit, {"input": {"id": w.b_ids["run_task"], "assignee": probe, "approver": probe}})
        assert errors_of(edited, "jobRunEdit") == []
        return await w.as_b(RUN_PEOPLE, {"id": w.b_ids["run"]}, allow=[probe])

    body = await w.like_unknown(run_referenced)
    run_args = {n["name"]: n["arguments"] for n in body["data"]["processRun"]["nodes"] if n}
    assert (run_args["Beta Task"]["assigneeUser"], run_args["Beta Task"]["approverUser"]) == (None, None)
    assert run_args["Beta Inner"]["assigneeUser"]["name"] == "Bob Betason"


@case("Query.processValidation")
async def process_validation(w: World) -> None:
    """Validation of A's process is null like an unknown one; a user id of A named in B's process is
    'not an active user of this workspace', exactly like an unknown user id."""
    own = await w.as_b(VALIDATE, {"id": w.b_ids["process"]})
    assert own["errors"] is None and own["data"]["processValidation"]["errors"] == []

    async def validate(probe: str) -> dict[str, Any]:
        return await w.as_b(VALIDATE, {"id": probe})

    assert (await w.like_unknown(validate))["data"] == {"processValidation": None}

    async def referenced(probe: str) -> dict[str, Any]:
        updated = await w.as_b(JOB_UPDATE, {"input": {"id": w.b_ids["task"], "arguments": {"sendTask": {
            "title": "Beta Task", "assignee": probe, "approver": probe}}}})
        assert errors_of(updated, "jobUpdate") == []
        updated = await w.as_b(JOB_UPDATE, {"input": {"id": w.b_ids["cert"], "arguments": {"certification": {
            "title": "Beta Cert", "signerSteps": [{"mode": "EVERYONE", "users": [w.b_ids["user"], probe]}],
            "approverSteps": [{"mode": "SOMEONE", "users": [probe]}]}}}})
        assert errors_of(updated, "jobUpdate") == []
        return await w.as_b(VALIDATE, {"id": w.b_ids["process"]}, allow=[probe])

    body = await w.like_unknown(referenced)
    found = [(e["code"], e["meta"]["field"]) for e in body["data"]["processValidation"]["errors"]]
    assert sorted(found) == sorted([("INACTIVE_USER", "assignee"), ("INACTIVE_USER", "approver"),
                                    ("INACTIVE_USER", "signerSteps[0].users"),
                                    ("INACTIVE_USER", "approverSteps[0].users")])


def forge_cursor(cursor: str, values: list[Any]) -> str:
    """A cursor of the same list and order as `cursor` (one the API made for B), holding other key values."""
    kind, _ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return encode_cursor(kind, values)


async def _list_case(w: World, query: str, field: str, expected: list[str]) -> None:
    orders = [None] + [{"field": f, "direction": d} for f in ("NAME", "DUE_DATE", "RUN_CREATED")
                       for d in ("ASC", "DESC")]
    for order in orders:
        for first in (None, 1, 1000):
            body = await w.as_b(query, {"order": order, "first": first})
            conn = body["data"][field]
            assert conn["totalCount"] == len(expected)
            assert [e["node"]["id"] for e in conn["edges"]] == expected[:first]
    for needle in ("alpha", "Alpha Ledger", "ledger", "archive", "a"):
        conn = (await w.as_b(query, {"filter": {"nameContains": needle}}))["data"][field]
        beta = [i for i, n in ((w.b_ids["process"], "beta plan"), (w.b_ids["trashed"], "beta old"))
                if i in expected and needle.casefold() in n]
        assert conn["totalCount"] == len(beta) and [e["node"]["id"] for e in conn["edges"]] == beta

    by_name = {"field": "NAME", "direction": "ASC"}
    own = (await w.as_b(query, {"order": by_name}))["data"][field]["pageInfo"]["endCursor"]

    async def after(probe: str) -> dict[str, Any]:
        # A cursor B forged from A's process (its name key and an id of A): B's rows after it, nothing more.
        return await w.as_b(query, {"after": forge_cursor(own, ["alpha ledger close", probe]), "order": by_name})

    body = await w.like_unknown(after)
    assert [e["node"]["id"] for e in body["data"][field]["edges"]] == expected


@case("Query.processes", "ProcessSummary.id", "ProcessRunSummary.id", "ProcessRunSummary.manager")
async def processes(w: World) -> None:
    """B's list and its totalCount hold B's live process only, in every order, page size and filter;
    a summary's run is B's latest run and its process is B's."""
    await _list_case(w, LIST, "processes", [w.b_ids["process"]])
    (edge,) = (await w.as_b(LIST))["data"]["processes"]["edges"]
    assert edge["node"]["run"]["id"] == w.b_ids["run"] and edge["node"]["run"]["managerUser"] == w.b_ids["user"]
    assert edge["node"]["run"]["manager"] == {"id": w.b_ids["user"], "name": "Bea Betason"}
    assert edge["node"]["process"]["id"] == w.b_ids["process"]


@case("Query.trashedProcesses")
async def trashed_processes(w: World) -> None:
    """B's trash holds B's trashed process only (A has one too)."""
    await _list_case(w, TRASHED, "trashedProcesses", [w.b_ids["trashed"]])
    (edge,) = (await w.as_b(TRASHED))["data"]["trashedProcesses"]["edges"]
    assert edge["node"]["trashed"]["user"]["id"] == w.b_ids["user"] and edge["node"]["process"] is None


@case("Query.node", "Node.id")
async def node(w: World) -> None:
    """node(id) fetches B's objects of every kind and answers null for every id of A, like an unknown id."""
    expected = {"process": "Process", "root": "ProcessGroup", "group": "ProcessGroup", "task": "ProcessJob",
                "cert": "ProcessJob", "generated": "ProcessGroup", "signer": "ProcessJob", "user": "User",
                "inner": "ProcessJob"}
    for role, typename in expected.items():
        got = (await w.as_b(NODE, {"id": w.b_ids[role]}))["data"]["node"]
        assert got is not None and (got["id"], got["__typename"]) == (w.b_ids[role], typename)
    for role in ("trashed", "tag", "workspace"):
        assert (await w.as_b(NODE, {"id": w.b_ids[role]}))["data"]["node"] is None

    async def fetch(probe: str) -> dict[str, Any]:
        return await w.as_b(NODE, {"id": probe})

    assert (await w.like_unknown(fetch)) == {"data": {"node": None}, "errors": None}


@case("Query.nodes")
async def nodes(w: World) -> None:
    """nodes(ids) answers null in the place of each id of A, B's objects around it unchanged."""
    b = w.b_ids

    async def mixed(probe: str) -> dict[str, Any]:
        return await w.as_b(NODES, {"ids": [b["process"], probe, b["user"], probe, b["task"]]})

    body = await w.like_unknown(mixed)
    got = body["data"]["nodes"]
    assert [n and n["id"] for n in got] == [b["process"], None, b["user"], None, b["task"]]

    all_of_a = list(w.a_probes.values())
    body = await w.as_b(NODES, {"ids": all_of_a})
    unknown = await w.as_b(NODES, {"ids": [new_id() for _ in all_of_a]})
    assert body == unknown == {"data": {"nodes": [None] * len(all_of_a)}, "errors": None}


ENTITY_SELECTION = "__typename " + " ".join(f"... on {kind} {{ id }}" for kind in ENTITIES)
ENTITIES_QUERY = f"""query Entities($representations: [_Any!]!) {{
  _entities(representations: $representations) {{ {ENTITY_SELECTION} }} }}"""


@case("Query._entities")
async def entities(w: World) -> None:
    """The subgraph's `_entities` resolves B's entities of every kind and answers null for each id of A,
    under every entity type, like an unknown id; B's entities around them unchanged."""
    b = w.b_ids
    mine = [("Process", b["process"]), ("ProcessGroup", b["group"]), ("ProcessJob", b["task"]),
            ("ProcessRun", b["run"]), ("GroupRun", b["run_group"]), ("JobRun", b["run_task"]), ("User", b["user"])]
    assert {kind for kind, _ in mine} == set(ENTITIES)

    async def mixed(probe: str) -> dict[str, Any]:
        reps = [{"__typename": kind, "id": id_} for kind, id_ in mine]
        reps[1:1] = [{"__typename": kind, "id": probe} for kind in ENTITIES]
        return await w.as_b(ENTITIES_QUERY, {"representations": reps}, subgraph=True)

    body = await w.like_unknown(mixed)
    got = [(e["__typename"], e["id"]) if e else None for e in body["data"]["_entities"]]
    assert got == [mine[0], *[None] * len(ENTITIES), *mine[1:]]

    every = [{"__typename": kind, "id": probe} for probe in w.a_probes.values() for kind in ENTITIES]
    body = await w.as_b(ENTITIES_QUERY, {"representations": every}, subgraph=True)
    assert body == {"data": {"_entities": [None] * len(every)}, "errors": None}


@case("Query._service")
async def service(w: World) -> None:
    """The subgraph's `_service { sdl }` is the schema's text, the same for everyone: nothing of A."""
    body = await w.as_b("{ _service { sdl } }", subgraph=True)
    assert body["errors"] is None and body["data"]["_service"]["sdl"] == SUBGRAPH.sdl


@case("Query.viewer", "Workspace.id", "Viewer.user")
async def viewer(w: World) -> None:
    """The viewer is B's user and workspace, nothing of A."""
    body = await w.as_b(VIEWER)
    assert body == {"errors": None, "data": {"viewer": {
        "user": {"id": w.b_ids["user"], "name": "Bea Betason", "email": "bea@beta.example", "active": True},
        "workspace": {"id": w.b_ws, "name": "Beta workspace"}, "scopes": ["READ", "WRITE"]}}}


@case("Query.users", "User.id", "UserEdge.node")
async def users(w: World) -> None:
    """users lists B's two users and counts two (A has two as well); a cursor forged from A's user gives
    B's users after it, exactly as one with an unknown id."""
    expected = [w.b_ids["user"], w.b_ids["user2"]]
    for first in (None, 1, 2, 1000):
        conn = (await w.as_b(USERS, {"first": first}))["data"]["users"]
        assert conn["totalCount"] == 2 and [e["node"]["id"] for e in conn["edges"]] == expected[:first]
    first_page = (await w.as_b(USERS, {"first": 1}))["data"]["users"]
    rest = (await w.as_b(USERS, {"after": first_page["pageInfo"]["endCursor"]}))["data"]["users"]
    assert [e["node"]["id"] for e in rest["edges"]] == expected[1:]

    async def after(probe: str) -> dict[str, Any]:
        cursor = forge_cursor(first_page["pageInfo"]["endCursor"], ["alice alphason", probe])
        return await w.as_b(USERS, {"after": cursor})

    body = await w.like_unknown(after)
    assert [e["node"]["id"] for e in body["data"]["users"]["edges"]] == expected


@case("Mutation.processCreate")
async def process_create(w: World) -> None:
    """A process B creates lands in B, whatever ids of A its free-text fields name; the answer for an id
    of A equals the answer for an unknown id."""
    made: list[str] = []

    async def create(probe: str) -> dict[str, Any]:
        body = await w.as_b(PROCESS_CREATE, {"input": {
            "name": "Beta New", "calendars": [probe], "clientMutationId": "beta-create",
            "root": {"name": "Beta New Root", "children": [
                {"job": {"arguments": {"sendTask": {"title": "Beta New Task", "assignee": probe, "approver": probe,
                                                    "document": probe}},
                         "tags": [{"category": "beta-ref", "value": probe}]}},
                {"job": {"arguments": {"certification": {
                    "title": "Beta New Cert", "signerSteps": [{"mode": "EVERYONE", "users": [probe]}]}}}}]}}})
        assert errors_of(body, "processCreate") == []
        made.append(body["data"]["processCreate"]["process"]["id"])
        return body

    await w.like_unknown(create)
    async with w.engine.connect() as conn:
        process = _tables()["process"]
        rows = (await conn.execute(select(process.c.workspace_id, process.c.created_by)
                                   .where(process.c.id.in_(made)))).all()
    assert sorted(rows) == [(w.b_ws, w.b_ids["user"])] * len(made)


def _id_input(probe: str, rev: int | None, cmid: str = "beta") -> dict[str, Any]:
    return {"input": {"id": probe, "expectedRevision": rev, "clientMutationId": cmid}}


@case("Mutation.processTrash", "ProcessIdInput.id")
async def process_trash(w: World) -> None:
    """Trashing an id of A is NOT_FOUND like an unknown id, with or without an expected revision; B's own
    process trashes fine."""
    for rev in (None, 1, 999):
        async def trash(probe: str, rev: int | None = rev) -> dict[str, Any]:
            return await w.as_b(TRASH, _id_input(probe, rev))

        body = await w.like_unknown(trash)
        assert errors_of(body, "processTrash") == [("NOT_FOUND", "id")]
        assert body["data"]["processTrash"]["trashedProcess"] is None
    done = (await w.as_b(TRASH, _id_input(w.b_ids["process"], None)))["data"]["processTrash"]
    assert done["errors"] == [] and done["trashedProcess"]["trashed"]["user"]["id"] == w.b_ids["user"]


@case("Mutation.processRestore")
async def process_restore(w: World) -> None:
    """Restoring an id of A (its trashed process included) is NOT_FOUND like an unknown id."""
    for rev in (None, 2, 999):
        async def restore(probe: str, rev: int | None = rev) -> dict[str, Any]:
            return await w.as_b(RESTORE, _id_input(probe, rev))

        body = await w.like_unknown(restore)
        assert errors_of(body, "processRestore") == [("NOT_FOUND", "id")]
    done = (await w.as_b(RESTORE, _id_input(w.b_ids["trashed"], None)))["data"]["processRestore"]
    assert done["errors"] == [] and done["process"]["id"] == w.b_ids["trashed"]


@case("Mutation.processPurge", "ProcessPurgePayload.purgedProcessId")
async def process_purge(w: World) -> None:
    """Purging an id of A (its trashed process included) is NOT_FOUND like an unknown id; purging B's own
    trashed process returns B's id."""
    for rev in (None, 2, 999):
        async def purge(probe: str, rev: int | None = rev) -> dict[str, Any]:
            return await w.as_b(PURGE, _id_input(probe, rev))

        body = await w.like_unknown(purge)
        assert errors_of(body, "processPurge") == [("NOT_FOUND", "id")]
        assert body["data"]["processPurge"]["purgedProcessId"] is None
    done = (await w.as_b(PURGE, _id_input(w.b_ids["trashed"], None)))["data"]["processPurge"]
    assert done == {"errors": [], "clientMutationId": "beta", "purgedProcessId": w.b_ids["trashed"]}


@case("Mutation.processPatch", "ProcessPatchInput.id")
async def process_patch(w: World) -> None:
    """Patching an id of A is NOT_FOUND like an unknown id, whatever the operations and revision."""
    operation_sets: list[list[dict[str, Any]]] = [[], [{"op": "replace", "path": "/name", "value": "Beta hijack"}],
                      [{"op": "replace", "path": "/certAutoApprove", "value": True}],
                      [{"op": "replace", "path": "/root/parallel", "value": True}],
                      [{"op": "move", "path": "/name", "value": "x"}]]
    for ops in operation_sets:
        for rev in (None, 999):
            async def patch(probe: str, ops: list[Any] = ops, rev: int | None = rev) -> dict[str, Any]:
                return await w.as_b(PATCH, {"input": {"id": probe, "operations": ops, "expectedRevision": rev}})

            body = await w.like_unknown(patch)
            assert errors_of(body, "processPatch") == [("NOT_FOUND", "id")]


@case("Mutation.processBatchUpdate", "ProcessBatchUpdateInput.id", "JobNameUpdateInput.id",
      "ProcessGroupNameUpdateInput.id")
async def process_batch_update(w: World) -> None:
    """A batch on A's process is NOT_FOUND; a batch on B's process naming A's jobs or groups refuses
    those items like unknown ids and renames nothing."""
    b = w.b_ids

    def job_item(id_: str, name: str = "Beta hijack") -> dict[str, Any]:
        return {"type": "JOB_NAME", "jobNameUpdate": {"id": id_, "newName": name}}

    def group_item(id_: str, name: str = "Beta hijack") -> dict[str, Any]:
        return {"type": "GROUP_NAME", "groupNameUpdate": {"id": id_, "newName": name}}

    variants: list[Callable[[str], dict[str, Any]]] = [
        lambda p: {"id": p, "data": []},
        lambda p: {"id": p, "data": [job_item(b["task"])]},
        lambda p: {"id": p, "data": [job_item(p)], "expectedRevision": 999},
        lambda p: {"id": b["process"], "data": [job_item(p)]},
        lambda p: {"id": b["process"], "data": [group_item(p)]},
        lambda p: {"id": b["process"], "data": [job_item(b["task"], "Beta Task 2"), group_item(p, "")]},
        lambda p: {"id": b["process"], "data": [group_item(b["group"], "Beta Group 2"), job_item(p),
                                                {"type": "GROUP_NAME", "jobNameUpdate": {"id": p, "newName": "x"}}]},
    ]
    for make in variants:
        async def batch(probe: str, make: Callable[[str], dict[str, Any]] = make) -> dict[str, Any]:
            return await w.as_b(BATCH, {"input": make(probe)})

        body = await w.like_unknown(batch)
        assert body["data"]["processBatchUpdate"]["errors"] and body["data"]["processBatchUpdate"]["process"] is None


def _position_variants(anchor_key: str) -> list[Callable[[World, str], dict[str, Any]]]:
    return [
        lambda w, p: {"parentId": p},
        lambda w, p: {"parentId": p, "expectedRevision": 999},
        lambda w, p: {"parentId": p, "position": {"index": 0}},
        lambda w, p: {"parentId": w.b_ids[anchor_key], "position": {"before": p}},
        lambda w, p: {"parentId": w.b_ids[anchor_key], "position": {"after": p}},
    ]


@case("Mutation.groupAdd", "GroupAddInput.parentId", "PositionInput.before", "PositionInput.after")
async def group_add(w: World) -> None:
    """Adding a group under an id of A, or before/after one, answers like an unknown id."""
    group = {"name": "Beta Intruder", "children": [{"job": {"arguments": {"sendTask": {"title": "Beta Intruder"}}}}]}
    for make in _position_variants("root"):
        async def add(probe: str, make: Callable[[World, str], dict[str, Any]] = make) -> dict[str, Any]:
            return await w.as_b(GROUP_ADD, {"input": {"group": group, **make(w, probe)}})

        body = await w.like_unknown(add)
        assert body["data"]["groupAdd"]["errors"] and body["data"]["groupAdd"]["process"] is None


@case("Mutation.jobAdd", "JobAddInput.parentId")
async def job_add(w: World) -> None:
    """Adding a job under an id of A, or before/after one, answers like an unknown id."""
    job = {"arguments": {"sendTask": {"title": "Beta Intruder"}}, "tags": [{"category": "beta", "value": "x"}]}
    for make in _position_variants("group"):
        async def add(probe: str, make: Callable[[World, str], dict[str, Any]] = make) -> dict[str, Any]:
            return await w.as_b(JOB_ADD, {"input": {"job": job, **make(w, probe)}})

        body = await w.like_unknown(add)
        assert body["data"]["jobAdd"]["errors"] and body["data"]["jobAdd"]["process"] is None


@case("Mutation.groupUpdate", "GroupUpdateInput.id")
async def group_update(w: World) -> None:
    """Updating an id of A (renaming, locking, lifting a lock) answers like an unknown id."""
    changes: list[dict[str, Any]] = [{"name": "Beta hijack"}, {"readOnly": False}, {"readOnly": True},
                                     {"parallel": True, "dueDate": None}, {"name": "", "expectedRevision": 999}, {}]
    for change in changes:
        async def update(probe: str, change: dict[str, Any] = change) -> dict[str, Any]:
            return await w.as_b(GROUP_UPDATE, {"input": {"id": probe, **change}})

        body = await w.like_unknown(update)
        assert errors_of(body, "groupUpdate") == [("NOT_FOUND", "id")]


@case("Mutation.jobUpdate", "JobUpdateInput.id")
async def job_update(w: World) -> None:
    """Updating an id of A (trigger, arguments, tags) answers like an unknown id."""
    changes: list[dict[str, Any]] = [
        {"triggerType": "MANUAL"}, {"tags": []}, {"tags": [{"category": "beta", "value": "x"}]},
        {"arguments": {"certification": {"title": "Beta hijack", "signerSteps": [{"mode": "EVERYONE", "users": []}]}}},
        {"arguments": {"sendTask": {"title": ""}}, "expectedRevision": 999}, {}]
    for change in changes:
        async def update(probe: str, change: dict[str, Any] = change) -> dict[str, Any]:
            return await w.as_b(JOB_UPDATE, {"input": {"id": probe, **change}})

        body = await w.like_unknown(update)
        assert errors_of(body, "jobUpdate") == [("NOT_FOUND", "id")]


@case("Mutation.nodeMove", "NodeMoveInput.id", "NodeMoveInput.parentId")
async def node_move(w: World) -> None:
    """Moving A's node into B's group, B's node into A's group, or next to A's node, answers like an
    unknown id and moves nothing."""
    b = w.b_ids
    variants: list[Callable[[str], dict[str, Any]]] = [
        lambda p: {"id": p, "parentId": b["group"]},
        lambda p: {"id": p, "parentId": b["root"], "position": {"index": 0}},
        lambda p: {"id": p, "parentId": p},
        lambda p: {"id": b["task"], "parentId": p},
        lambda p: {"id": b["group"], "parentId": p, "expectedRevision": 999},
        lambda p: {"id": b["task"], "parentId": b["group"], "position": {"before": p}},
        lambda p: {"id": b["task"], "parentId": b["group"], "position": {"after": p}},
    ]
    for make in variants:
        async def move(probe: str, make: Callable[[str], dict[str, Any]] = make) -> dict[str, Any]:
            return await w.as_b(NODE_MOVE, {"input": make(probe)})

        body = await w.like_unknown(move)
        assert body["data"]["nodeMove"]["errors"] and body["data"]["nodeMove"]["process"] is None


@case("Mutation.nodeRemove", "NodeRemoveInput.id")
async def node_remove(w: World) -> None:
    """Removing an id of A answers like an unknown id."""
    for rev in (None, 999):
        async def remove(probe: str, rev: int | None = rev) -> dict[str, Any]:
            return await w.as_b(NODE_REMOVE, {"input": {"id": probe, "expectedRevision": rev}})

        body = await w.like_unknown(remove)
        assert errors_of(body, "nodeRemove") == [("NOT_FOUND", "id")]


@case("Mutation.processCopy", "ProcessCopyInput.id")
async def process_copy(w: World) -> None:
    """Copying an id of A answers like an unknown id; B's copy of its own process lands in B."""
    for name in (None, "Beta copy"):
        async def copy(probe: str, name: str | None = name) -> dict[str, Any]:
            return await w.as_b(COPY, {"input": {"id": probe, "name": name}})

        body = await w.like_unknown(copy)
        assert errors_of(body, "processCopy") == [("NOT_FOUND", "id")]
    done = (await w.as_b(COPY, {"input": {"id": w.b_ids["process"]}}))["data"]["processCopy"]
    assert done["errors"] == [] and done["process"]["name"] == "Copy of Beta Plan"
    async with w.engine.connect() as conn:
        process = _tables()["process"]
        ws = (await conn.execute(select(process.c.workspace_id).where(process.c.id == done["process"]["id"])))
        assert ws.scalar_one() == w.b_ws


DIFF = """query Diff($id: ID!, $from: Int!, $to: Int!) { process(id: $id) { id revision
  diff(fromRevision: $from, toRevision: $to) { fromRevision toRevision operations
    nodesAdded { id kind name parentId } nodesRemoved { id kind name parentId }
    nodesRenamed { id kind fromName toName }
    nodesMoved { id kind name fromParentId toParentId fromOrdinal toOrdinal }
    nodesChanged { id kind name fields } processFieldsChanged { field fromValue toValue } } } }"""
REVERT = _edit("processRevert", "ProcessRevertInput")


async def _b_history(w: World) -> None:
    """B's process after a move, a rename, an added and a removed job: something for every diff list."""
    b = w.b_ids
    for query, input_ in ((NODE_MOVE, {"id": b["task"], "parentId": b["group"], "position": {"index": 0}}),
                          (GROUP_UPDATE, {"id": b["group"], "name": "Beta Group 2", "parallel": True}),
                          (JOB_ADD, {"parentId": b["root"], "job": {"arguments": {"sendTask": {"title": "Beta d"}}}}),
                          (NODE_REMOVE, {"id": b["inner"]})):
        body = await w.as_b(query, {"input": input_})
        assert body["errors"] is None and all(not v["errors"] for v in body["data"].values()), body


@case("ProcessDiffNode.id", "ProcessDiffNode.parentId", "ProcessDiffRename.id",
      "ProcessDiffMove.id", "ProcessDiffMove.fromParentId", "ProcessDiffMove.toParentId", "ProcessDiffNodeChange.id")
async def process_diff(w: World) -> None:
    """B's diffs name only B's nodes, both ways; A's process (of every kind of id) reads as null like an
    unknown id, whatever the revisions asked."""
    await _b_history(w)
    for low, high in ((1, 5), (5, 1), (2, 4)):
        body = await w.as_b(DIFF, {"id": w.b_ids["process"], "from": low, "to": high})
        assert body["errors"] is None and ids_in(body) <= w.b_known | ids_in(await w.as_b(FULL, {"id": w.b_ids["process"]}))
    both = (await w.as_b(DIFF, {"id": w.b_ids["process"], "from": 1, "to": 5}))["data"]["process"]["diff"]
    assert all(both[k] for k in ("nodesAdded", "nodesRemoved", "nodesRenamed", "nodesMoved", "nodesChanged"))
    for low, high in ((1, 1), (1, 3), (0, 99)):
        async def diff(probe: str, low: int = low, high: int = high) -> dict[str, Any]:
            return await w.as_b(DIFF, {"id": probe, "from": low, "to": high})

        assert (await w.like_unknown(diff))["data"] == {"process": None}


@case("Mutation.processRevert", "ProcessRevertInput.id")
async def process_revert(w: World) -> None:
    """Reverting an id of A is NOT_FOUND like an unknown id, whatever the revisions; B reverts its own."""
    for to, rev in ((1, None), (1, 2), (999, None), (0, 999)):
        async def revert(probe: str, to: int = to, rev: int | None = rev) -> dict[str, Any]:
            return await w.as_b(REVERT, {"input": {"id": probe, "toRevision": to, "expectedRevision": rev}})

        body = await w.like_unknown(revert)
        assert errors_of(body, "processRevert") == [("NOT_FOUND", "id")]
    await _b_history(w)
    done = (await w.as_b(REVERT, {"input": {"id": w.b_ids["process"], "toRevision": 1}}))["data"]["processRevert"]
    assert done["errors"] == [] and done["process"]["revision"] == 6


@case("Query.processRun", "ProcessRun.id", "GroupRun.id", "GroupRun.parentId", "GroupRun.sourceGroupId",
      "JobRun.id", "JobRun.parentId", "JobRun.sourceJobId", "RunEvent.nodeId", "ProcessRun.manager",
      "RunEvent.user")
async def process_run(w: World) -> None:
    """B reads its own run with its tree and events; any id of A reads null, like an unknown id."""
    own = (await w.as_b(READ_RUN, {"id": w.b_ids["run"]}))["data"]["processRun"]
    assert own["id"] == w.b_ids["run"] and own["events"]["edges"]
    assert {n["id"] for n in own["nodes"]} >= {w.b_ids["run_task"], w.b_ids["run_root"]}
    assert own["manager"] == {"id": w.b_ids["user"], "name": "Bea Betason"}
    assert {e["node"]["user"]["id"] for e in own["events"]["edges"] if e["node"]["user"]} == {w.b_ids["user"]}

    async def read(probe: str) -> dict[str, Any]:
        return await w.as_b(READ_RUN, {"id": probe})

    assert (await w.like_unknown(read)) == {"data": {"processRun": None}, "errors": None}


INBOX_RUNS = """query { viewer { jobRuns { id runId run { id name manager { id } } lastComment { user { id } } } } }"""
RUN_JOB_RUNS = "query($id: ID!) { processRun(id: $id) { nodes { ... on JobRun { id runId run { id } } } } }"


@case("JobRun.runId")
async def job_run_run(w: World) -> None:
    """A job run names its own run (in B's inbox and in B's run tree), never another; its `run` summary is
    B's run with B's manager; its latest comment is one of B's."""
    await _b_notifications(w)  # bob hands in his task, the next one waits for bea
    inbox = (await w.as_b(INBOX_RUNS))["data"]["viewer"]["jobRuns"]
    assert [j["id"] for j in inbox] == [w.b_ids["run_task"]]
    assert [(j["runId"], j["run"]["id"], j["run"]["manager"]["id"]) for j in inbox] == [
        (w.b_ids["run"], w.b_ids["run"], w.b_ids["user"])]
    assert inbox[0]["lastComment"] is None  # bob handed his task in without a comment; A's comments never show
    nodes = (await w.as_b(RUN_JOB_RUNS, {"id": w.b_ids["run"]}))["data"]["processRun"]["nodes"]
    job_runs = [n for n in nodes if n]
    assert job_runs and {(n["runId"], n["run"]["id"]) for n in job_runs} == {(w.b_ids["run"], w.b_ids["run"])}


@case("Query.processRuns")
async def process_runs(w: World) -> None:
    """B's run list holds B's runs only, whatever the status filter."""
    for status in (None, "RUNNING", "COMPLETE"):
        edges = (await w.as_b(RUNS, {"status": status}))["data"]["processRuns"]["edges"]
        assert {e["node"]["id"] for e in edges} <= {w.b_ids["run"]}
        assert {e["node"]["manager"]["id"] for e in edges} <= {w.b_ids["user"]}
    edges = (await w.as_b(RUNS, {"status": None}))["data"]["processRuns"]["edges"]
    assert [e["node"]["id"] for e in edges] == [w.b_ids["run"]]


@case("Mutation.runStart", "RunStartInput.processId")
async def run_start(w: World) -> None:
    """Starting a run of A's process is NOT_FOUND like an unknown id; B starts its own."""
    async def start(probe: str) -> dict[str, Any]:
        return await w.as_b(RUN_START, {"input": {"processId": probe, "clientMutationId": "beta"}})

    body = await w.like_unknown(start)
    assert errors_of(body, "runStart") == [("NOT_FOUND", "processId")]
    started = (await w.as_b(RUN_START, {"input": {"processId": w.b_ids["process"]}}))["data"]["runStart"]
    assert started["errors"] == [] and started["run"]["status"] == "RUNNING"


RUN_ACTIONS = ("jobRunSubmit", "jobRunApprove", "jobRunReturn", "jobRunSkip", "jobRunRestart", "jobRunStart",
               "groupRunStart", "jobRunCancel", "groupRunCancel", "runCancel", "runClose", "runReopen")


@case(*(f"Mutation.{m}" for m in RUN_ACTIONS), "RunActionInput.id")
async def run_actions(w: World) -> None:
    """Every run action on any id of A is NOT_FOUND like an unknown id, with or without a revision."""
    for name in RUN_ACTIONS:
        for rev in (None, 1):
            async def act(probe: str, name: str = name, rev: int | None = rev) -> dict[str, Any]:
                return await w.as_b(_run_action(name, "RunActionInput"), {"input": {
                    "id": probe, "comment": "beta comment", "expectedRevision": rev, "clientMutationId": "beta"}})

            body = await w.like_unknown(act)
            assert errors_of(body, name) == [("NOT_FOUND", "id")], name


@case("Mutation.jobRunSign", "JobRunSignInput.id", "Mutation.jobRunEdit", "JobRunEditInput.id")
async def run_sign_and_edit(w: World) -> None:
    async def sign(probe: str) -> dict[str, Any]:
        return await w.as_b(_run_action("jobRunSign", "JobRunSignInput"), {"input": {
            "id": probe, "exception": True, "comment": "beta"}})

    assert errors_of(await w.like_unknown(sign), "jobRunSign") == [("NOT_FOUND", "id")]

    async def edit(probe: str) -> dict[str, Any]:
        return await w.as_b(_run_action("jobRunEdit", "JobRunEditInput"), {"input": {
            "id": probe, "assignee": w.b_ids["user"], "title": "Beta retitle"}})

    assert errors_of(await w.like_unknown(edit), "jobRunEdit") == [("NOT_FOUND", "id")]


@case("Mutation.runJobRunsAdd", "RunJobRunsAddInput.runId", "RunJobRunsAddInput.parentGroupRunId",
      "RunJobRunsAddInput.relativeSiblingId")
async def run_job_runs_add(w: World) -> None:
    """Adding to A's run, under A's group run or next to A's job run answers like an unknown id; B adds to
    its own run."""
    job = {"arguments": {"sendTask": {"title": "Beta added", "assignee": w.b_ids["user"]}}}
    add = _run_action("runJobRunsAdd", "RunJobRunsAddInput")

    async def into_run(probe: str) -> dict[str, Any]:
        return await w.as_b(add, {"input": {"runId": probe, "jobs": [job]}})

    assert errors_of(await w.like_unknown(into_run), "runJobRunsAdd") == [("NOT_FOUND", "id")]

    async def under(probe: str) -> dict[str, Any]:
        return await w.as_b(add, {"input": {"runId": w.b_ids["run"], "parentGroupRunId": probe, "jobs": [job]}})

    assert errors_of(await w.like_unknown(under), "runJobRunsAdd") == [("NOT_FOUND", "parentGroupRunId")]

    async def beside(probe: str) -> dict[str, Any]:
        return await w.as_b(add, {"input": {"runId": w.b_ids["run"], "relativeSiblingId": probe, "jobs": [job]}})

    assert errors_of(await w.like_unknown(beside), "runJobRunsAdd") == [("VALIDATION_ERROR", "relativeSiblingId")]
    done = (await w.as_b(add, {"input": {"runId": w.b_ids["run"], "jobs": [job]}}))["data"]["runJobRunsAdd"]
    assert done["errors"] == [] and len(done["addedJobRuns"]) == 1


@case("Mutation.processCreateFromRun", "ProcessCreateFromRunInput.runId")
async def process_create_from_run(w: World) -> None:
    """Copying A's run is NOT_FOUND like an unknown id; copying B's own run lands in B."""
    query = f"""mutation FromRun($input: ProcessCreateFromRunInput!) {{ processCreateFromRun(input: $input) {{
        {ERRORS} clientMutationId process {{ id name sourceProcessRun }} }} }}"""

    async def copy(probe: str) -> dict[str, Any]:
        return await w.as_b(query, {"input": {"runId": probe, "clientMutationId": "beta"}})

    assert errors_of(await w.like_unknown(copy), "processCreateFromRun") == [("NOT_FOUND", "runId")]
    done = (await w.as_b(query, {"input": {"runId": w.b_ids["run"]}}))["data"]["processCreateFromRun"]
    assert done["errors"] == [] and done["process"]["sourceProcessRun"] == w.b_ids["run"]


@case("Subscription.runEvents", "Subscription.runSummary")
async def run_subscriptions(w: World) -> None:
    """Subscribing to A's run (or to any id of A) answers exactly like an unknown run; B's own streams."""
    from app.graphql.context import Context

    async def first_answer(query: str, probe: str) -> dict[str, Any]:
        ctx = Context(engine=w.engine, settings=w.settings, actor=w.b.actor, request_id=new_id())
        stream: Any = await schema.subscribe(query, variable_values={"id": probe}, context_value=ctx)
        if not hasattr(stream, "__anext__"):
            result = stream
        else:
            result = await stream.__anext__()
            await stream.aclose()
        body = {"data": result.data, "errors": [e.formatted for e in result.errors] if result.errors else None}
        text = json.dumps(body, sort_keys=True, default=str)
        assert_no_leak(text, w.a_secrets, sent={probe}, what=query)
        w.responses += 1
        return body

    for query, field in (("subscription($id: ID!) { runEvents(runId: $id) { sequence nodeId } }", "runEvents"),
                         ("subscription($id: ID!) { runSummary(runId: $id) { id status } }", "runSummary")):
        async def sub(probe: str, query: str = query) -> dict[str, Any]:
            return await first_answer(query, probe)

        body = await w.like_unknown(sub)
        assert body["errors"] and body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
        own = await first_answer(query, w.b_ids["run"])
        assert own["errors"] is None and own["data"][field] is not None


NOTIFICATION_FEED = """query { viewer { notifications(first: 1000) { edges { node {
    id sequence kind subject message recipient { id name email } run { id name } jobRun { id name } } } } } }"""
MARK_READ = """mutation Mark($input: NotificationsMarkReadInput!) { notificationsMarkRead(input: $input) {
    errors { code message target meta } clientMutationId unreadCount notifications { id readAt } } }"""
NOTIFICATION_ADDED = "subscription { notificationAdded(afterSequence: 0) { id sequence subject recipient { id } } }"
RUN_NOTIFICATIONS = """query($id: ID!) { processRun(id: $id) { notifications(first: 1000) {
    edges { node { id subject recipient { id } } } } } }"""


def _client(w: World, user_id: str) -> GraphQLClient:
    return GraphQLClient(engine=w.engine, settings=w.settings,
                         actor=Actor(user_id=user_id, workspace_id=w.b_ws, scopes=frozenset({READ, WRITE})))


async def _b_notifications(w: World) -> None:
    """B's second user submits B's first task, so the manager (B's acting user) is sent the next one."""
    bob = _client(w, w.b_ids["user2"])
    submit = _run_action("jobRunSubmit", "RunActionInput")
    done = await bob(submit, {"input": {"id": w.b_ids["run_inner"]}})
    assert done["jobRunSubmit"]["errors"] == []


async def _first_streamed(w: World, client: GraphQLClient) -> dict[str, Any]:
    from app.graphql.context import Context

    ctx = Context(engine=w.engine, settings=w.settings, actor=client.actor, request_id=new_id())
    stream: Any = await schema.subscribe(NOTIFICATION_ADDED, context_value=ctx)
    try:
        result = await stream.__anext__()
    finally:
        await stream.aclose()
    assert not result.errors, result.errors
    text = json.dumps(result.data, default=str)
    assert_no_leak(text, w.a_secrets, sent=set(), what=NOTIFICATION_ADDED)
    w.responses += 1
    return dict(result.data["notificationAdded"])


@case("Notification.id", "Notification.recipient", "Mutation.notificationsMarkRead",
      "NotificationsMarkReadInput.ids", "Subscription.notificationAdded")
async def notifications(w: World) -> None:
    """B's feed and live stream hold only B's own notifications; marking A's (or any id of A) read answers
    exactly like an unknown id and marks nothing; B marks its own."""
    await _b_notifications(w)
    feed = (await w.as_b(NOTIFICATION_FEED))["data"]["viewer"]["notifications"]["edges"]
    assert feed and {e["node"]["recipient"]["id"] for e in feed} == {w.b_ids["user"]}
    assert {e["node"]["run"]["id"] for e in feed} == {w.b_ids["run"]}
    streamed = await _first_streamed(w, w.b)
    assert streamed["recipient"]["id"] == w.b_ids["user"] and streamed["sequence"] == 1

    async def mark(probe: str) -> dict[str, Any]:
        return await w.as_b(MARK_READ, {"input": {"ids": [probe], "clientMutationId": "beta"}})

    assert errors_of(await w.like_unknown(mark), "notificationsMarkRead") == [("NOT_FOUND", "ids[0]")]
    own = (await w.as_b(MARK_READ, {"input": {"ids": [feed[0]["node"]["id"]]}}))["data"]["notificationsMarkRead"]
    assert own["errors"] == [] and own["notifications"][0]["readAt"] is not None
    everything = (await w.as_b(MARK_READ, {"input": {"all": True}}))["data"]["notificationsMarkRead"]
    assert everything["errors"] == [] and everything["unreadCount"] == 0


LIVE_INBOX = """subscription($after: String) { inboxChanges(afterCursor: $after) {
    cursor kind jobRunId jobRun { id name } run { id name } } }"""
LIVE_RUNS = "subscription($after: String) { runChanges(afterCursor: $after) { cursor kind runId run { id name } } }"


async def _live(w: World, client: GraphQLClient, query: str, expected: int) -> list[dict[str, Any]]:
    """The first `expected` changes of a live list replayed from the start, and then nothing more."""
    import asyncio

    from app.graphql.context import Context

    ctx = Context(engine=w.engine, settings=w.settings, actor=client.actor, request_id=new_id())
    stream: Any = await schema.subscribe(query, variable_values={"after": encode_cursor("live", [0])},
                                         context_value=ctx)
    got: list[dict[str, Any]] = []
    try:
        for _ in range(expected):
            result = await stream.__anext__()
            assert not result.errors, result.errors
            got.append(next(iter(result.data.values())))
        extra = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.3)
        assert not extra.done(), extra.result()
        extra.cancel()
        await asyncio.gather(extra, return_exceptions=True)
    finally:
        await stream.aclose()
    assert_no_leak(json.dumps(got), w.a_secrets, sent=set(), what=query)
    w.responses += 1
    return got


@case("Query.liveCursor", "Subscription.inboxChanges", "Subscription.runChanges", "InboxChange.jobRunId",
      "RunChange.runId")
async def live_lists(w: World) -> None:
    """B's run list replays B's run alone (A's runs never appear); B's inbox holds B's own changes, never those
    of B's second user; B's cursor counts B's changes alone."""
    await _b_notifications(w)  # bob hands in his task: it leaves his inbox, the next one enters bea's
    runs = await _live(w, w.b, LIVE_RUNS, 1)
    assert [(c["kind"], c["runId"], c["run"]["id"]) for c in runs] == [("STARTED", w.b_ids["run"], w.b_ids["run"])]
    mine = await _live(w, w.b, LIVE_INBOX, 1)
    assert [(c["kind"], c["jobRunId"], c["jobRun"]["name"]) for c in mine] == [
        ("ENTERED", w.b_ids["run_task"], "Beta Task")]
    bobs = await _live(w, _client(w, w.b_ids["user2"]), LIVE_INBOX, 2)
    assert [(c["kind"], c["jobRunId"]) for c in bobs] == [("ENTERED", w.b_ids["run_inner"]),
                                                          ("LEFT", w.b_ids["run_inner"])]
    cursor = (await w.as_b("query { liveCursor }"))["data"]["liveCursor"]
    assert cursor == max((c["cursor"] for c in runs + mine + bobs), key=lambda c: decode_int_cursor(c, "live"))
    assert decode_int_cursor(cursor, "live") == 4


# ---------------------------------------------------------------------------------------------------------
# The REST door (/v1): every operation is a coordinate "REST <METHOD> <path>"
# ---------------------------------------------------------------------------------------------------------

def rest_coordinates() -> set[str]:
    """Every operation of the REST door, from the table the router is built from; any other /v1 route of
    the app must be one of the public documents (the OpenAPI document and its page)."""
    app = create_app(Settings())
    operations = {f"/v1{op.path}" for op in REST_OPERATIONS}
    other = {str(getattr(r, "path", "")) for r in app.routes if str(getattr(r, "path", "")).startswith("/v1")} - operations
    assert other <= PUBLIC_REST_PATHS, f"/v1 routes outside the operation table: {sorted(other - PUBLIC_REST_PATHS)}"
    return {f"REST {op.method} /v1{op.path}" for op in REST_OPERATIONS}


def _b_summary_ids(body: dict[str, Any]) -> list[str]:
    return [p["id"] for p in body["body"]["data"]]


@case("REST GET /v1/processes")
async def rest_list(w: World) -> None:
    """B's list holds B's live process only, in every order and page size, filtered or not; a name of A
    finds nothing; a $next forged from A's ids answers like one forged from unknown ids."""
    for order in (None, "name", "name desc", "dueDate", "dueDate desc", "runCreated", "runCreated desc"):
        for size in (None, "1", "1000"):
            params = "&".join(f"{k}={v}" for k, v in (("$orderBy", order), ("$maxpagesize", size)) if v)
            body = await w.rest_b("GET", f"/v1/processes?{params}")
            assert body["status"] == 200 and _b_summary_ids(body) == [w.b_ids["process"]]
    for text in ("Alpha", "alpha ledger", "Beta"):
        found = await w.rest_b("GET", f"/v1/processes?$filter=contains(name,'{text}')")
        assert _b_summary_ids(found) == ([w.b_ids["process"]] if text == "Beta" else [])

    async def forged(probe: str) -> dict[str, Any]:
        token = base64.urlsafe_b64encode(json.dumps({"orderBy": "name", "filter": None, "size": 1,
                                                     "after": ["alpha ledger close", probe]}).encode()).decode()
        return await w.rest_b("GET", f"/v1/processes?$next={token.rstrip('=')}")

    body = await w.like_unknown(forged)
    assert body["status"] == 200 and _b_summary_ids(body) == [w.b_ids["process"]]  # "beta plan" sorts after


@case("REST POST /v1/processes")
async def rest_create(w: World) -> None:
    """A process B creates lands in B, whatever ids of A its fields name (read-only ids included)."""
    async def create(probe: str) -> dict[str, Any]:
        body = await w.rest_b("POST", "/v1/processes", body={
            "id": probe, "name": "Beta REST", "autoClose": False, "certAutoApprove": False, "relativeDates": False,
            "calendars": [probe], "sourceProcessRun": probe, "root": {
                "id": probe, "name": "Beta REST Root", "parallel": False, "readOnly": False, "children": [
                    {"type": "job", "job": {"id": probe, "arguments": {"type": "sendTask", "sendTaskArgs": {
                        "title": "Beta REST task", "assignee": probe}}, "tags": [{"category": "c", "value": probe}]}}]}})
        assert body["status"] == 201 and body["body"]["id"] != probe
        return body

    await w.like_unknown(create)
    async with w.engine.connect() as conn:
        process = _tables()["process"]
        rows = (await conn.execute(select(process.c.workspace_id, process.c.source_process_run)
                                   .where(process.c.name == "Beta REST"))).all()
    assert rows and set(rows) == {(w.b_ws, None)}


@case("REST GET /v1/processes/{id}")
async def rest_read(w: World) -> None:
    """B reads its own process; any id of A is 404 like an unknown id, with or without generated jobs."""
    own = await w.rest_b("GET", f"/v1/processes/{w.b_ids['process']}")
    assert own["status"] == 200 and ids_in(own["body"]) <= w.b_known
    for suffix in ("", "?excludeGeneratedJobs=true"):
        async def read(probe: str, suffix: str = suffix) -> dict[str, Any]:
            return await w.rest_b("GET", f"/v1/processes/{probe}{suffix}")

        assert (await w.like_unknown(read))["status"] == 404


@case("REST DELETE /v1/processes/{id}")
async def rest_delete(w: World) -> None:
    """Deleting an id of A is 404 like an unknown id, with or without If-Match."""
    for headers in ({}, {"If-Match": '"1"'}, {"If-Match": '"999"'}):
        async def delete(probe: str, headers: dict[str, str] = headers) -> dict[str, Any]:
            return await w.rest_b("DELETE", f"/v1/processes/{probe}", headers=headers)

        assert (await w.like_unknown(delete))["status"] == 404


@case("REST PATCH /v1/processes/{id}")
async def rest_patch(w: World) -> None:
    """Patching an id of A is 404 like an unknown id, whatever the operations."""
    for ops in ([], [{"op": "replace", "path": "/name", "value": "Beta hijack"}],
                [{"op": "replace", "path": "/certAutoApprove", "value": True}],
                [{"op": "replace", "path": "/root/parallel", "value": True}]):
        async def patch(probe: str, ops: list[Any] = ops) -> dict[str, Any]:
            return await w.rest_b("PATCH", f"/v1/processes/{probe}", body=ops, headers={"If-Match": '"1"'})

        assert (await w.like_unknown(patch))["status"] == 404


@case("REST POST /v1/processes/{id}/batchUpdates")
async def rest_batch(w: World) -> None:
    """A batch on A's process is 404; a batch on B's process naming A's jobs or groups refuses those items
    like unknown ids and renames nothing."""
    b = w.b_ids
    variants: list[Callable[[str], tuple[str, dict[str, Any]]]] = [
        lambda p: (p, {"data": []}),
        lambda p: (p, {"data": [{"id": b["task"], "newName": "x", "type": "jobName"}]}),
        lambda p: (b["process"], {"data": [{"id": p, "newName": "Beta hijack", "type": "jobName"}]}),
        lambda p: (b["process"], {"data": [{"type": "groupName", "groupNameUpdate": {"id": p, "newName": "x"}}]}),
        lambda p: (b["process"], {"data": [{"id": b["task"], "newName": "Beta Task 2", "type": "jobName"},
                                           {"type": "jobName", "jobNameUpdate": {"id": p, "newName": "x"}}]}),
    ]
    for make in variants:
        async def batch(probe: str, make: Callable[[str], tuple[str, dict[str, Any]]] = make) -> dict[str, Any]:
            pid, body = make(probe)
            return await w.rest_b("POST", f"/v1/processes/{pid}/batchUpdates", body=body)

        assert (await w.like_unknown(batch))["status"] == 404


@case("REST POST /v1/processes/{id}/validation")
async def rest_validation(w: World) -> None:
    """B validates its own process; an id of A is 404 like an unknown id."""
    own = await w.rest_b("POST", f"/v1/processes/{w.b_ids['process']}/validation")
    assert own["status"] == 200 and ids_in(own["body"]) <= w.b_known

    async def validate(probe: str) -> dict[str, Any]:
        return await w.rest_b("POST", f"/v1/processes/{probe}/validation")

    assert (await w.like_unknown(validate))["status"] == 404


@case("REST GET /v1/processes/{id}/diff")
async def rest_diff(w: World) -> None:
    """B diffs its own process; an id of A is 404 like an unknown id, whatever the revisions."""
    own = await w.rest_b("GET", f"/v1/processes/{w.b_ids['process']}/diff?from=1&to=1")
    assert own["status"] == 200 and own["body"]["operations"] == []
    for query in ("from=1&to=1", "from=1&to=2", "from=0&to=99"):
        async def diff(probe: str, query: str = query) -> dict[str, Any]:
            return await w.rest_b("GET", f"/v1/processes/{probe}/diff?{query}")

        assert (await w.like_unknown(diff))["status"] == 404


@case("REST POST /v1/processes/{id}/revert")
async def rest_revert(w: World) -> None:
    """Reverting an id of A is 404 like an unknown id, with or without If-Match; B reverts its own."""
    for to, headers in ((1, {}), (1, {"If-Match": '"2"'}), (999, {})):
        async def revert(probe: str, to: int = to, headers: dict[str, str] = headers) -> dict[str, Any]:
            return await w.rest_b("POST", f"/v1/processes/{probe}/revert", body={"toRevision": to}, headers=headers)

        assert (await w.like_unknown(revert))["status"] == 404
    await _b_history(w)
    done = await w.rest_b("POST", f"/v1/processes/{w.b_ids['process']}/revert", body={"toRevision": 1})
    assert done["status"] == 200 and done["etag"] == '"6"'


@case("REST POST /v1/processes/{id}/run")
async def rest_run(w: World) -> None:
    """Running A's process is 404 like an unknown id; B runs its own."""
    async def start(probe: str) -> dict[str, Any]:
        return await w.rest_b("POST", f"/v1/processes/{probe}/run")

    assert (await w.like_unknown(start))["status"] == 404
    started = await w.rest_b("POST", f"/v1/processes/{w.b_ids['process']}/run")
    assert started["status"] == 201 and started["body"]["process"] == w.b_ids["process"]


@case("REST GET /v1/processRuns/{id}")
async def rest_read_run(w: World) -> None:
    """B reads its own run; any id of A (its run, group runs, job runs) is 404 like an unknown id."""
    own = await w.rest_b("GET", f"/v1/processRuns/{w.b_ids['run']}")
    assert own["status"] == 200 and own["body"]["root"]["id"] == w.b_ids["run_root"]

    async def read(probe: str) -> dict[str, Any]:
        return await w.rest_b("GET", f"/v1/processRuns/{probe}")

    assert (await w.like_unknown(read))["status"] == 404


@case("REST POST /v1/processRuns/{id}/jobRuns")
async def rest_job_runs(w: World) -> None:
    """Adding to A's run, under A's group run or next to A's job run answers like an unknown id; B adds to
    its own run."""
    jobs = [{"arguments": {"type": "sendTask", "sendTaskArgs": {"title": "Beta added", "assignee": w.b_ids["user"]}}}]
    run = w.b_ids["run"]
    for make in (lambda p: (p, {"jobs": jobs}), lambda p: (run, {"jobs": jobs, "parentGroupId": p}),
                 lambda p: (run, {"jobs": jobs, "relativeSiblingId": p})):
        async def add(probe: str, make: Callable[[str], tuple[str, dict[str, Any]]] = make) -> dict[str, Any]:
            run_id, body = make(probe)
            return await w.rest_b("POST", f"/v1/processRuns/{run_id}/jobRuns", body=body)

        assert (await w.like_unknown(add))["status"] in (400, 404)
    done = await w.rest_b("POST", f"/v1/processRuns/{run}/jobRuns", body={"jobs": jobs})
    assert done["status"] == 201 and len(done["body"]["data"]) == 1


# ---------------------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------------------

def test_every_id_coordinate_has_a_case() -> None:
    coordinates = id_coordinates() | rest_coordinates()
    missing = sorted(coordinates - set(CASES))
    stale = sorted(set(CASES) - coordinates)
    assert not missing, f"fields without an isolation case (add them to CASES): {missing}"
    assert not stale, f"CASES names fields the schema no longer has: {stale}"
    assert {"Query.process", "Mutation.nodeMove", "ProcessJob.parentId", "PositionInput.before",
            "REST PATCH /v1/processes/{id}"} <= coordinates


async def _assert_counts(client: GraphQLClient, engine: AsyncEngine, workspace_id: str) -> None:
    """The client's lists and counts are exactly its workspace's rows."""
    rows = await workspace_rows(engine, workspace_id)
    live = {r["id"] for r in rows["process"] if r["trashed_at"] is None}
    trashed = {r["id"] for r in rows["process"] if r["trashed_at"] is not None}
    members = {r["id"] for r in rows["app_user"]}
    data = await client(COUNTS)
    for field, expected in (("processes", live), ("trashedProcesses", trashed), ("users", members)):
        got = {e["node"]["id"] for e in data[field]["edges"]}
        assert (data[field]["totalCount"], got) == (len(expected), expected), field


CASE_FUNCTIONS = {fn.__name__: fn for fn in CASES.values()}


@pytest.mark.parametrize("name", sorted(CASE_FUNCTIONS))
async def test_workspace_b_cannot_reach_workspace_a(world: World, name: str) -> None:
    before_revisions = _revisions(world.a_rows)
    await CASE_FUNCTIONS[name](world)
    assert world.responses > 0

    after = await workspace_rows(world.engine, DEFAULT_WORKSPACE_ID)
    assert _revisions(after) == before_revisions, "a revision of workspace A changed"
    assert _fingerprint(after) == _fingerprint(world.a_rows), "a row of workspace A changed"
    await _assert_counts(world.b, world.engine, world.b_ws)
    await _assert_counts(world.a, world.engine, DEFAULT_WORKSPACE_ID)


async def test_response_bytes_over_http(world: World, settings: Settings) -> None:
    """The same isolation through the real gateway with B's bearer token: the raw response bytes of reads
    and writes naming A's ids hold nothing of A but the sent id, and equal those for an unknown id."""
    _, token = await auth.create_token(world.engine, user_id=world.b_ids["user"], scopes=["read", "write"])
    app = create_app(settings)
    operations: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
        (NODE, lambda p: {"id": p}),
        (FULL, lambda p: {"id": p}),
        (VALIDATE, lambda p: {"id": p}),
        (PATCH, lambda p: {"input": {"id": p, "operations": [{"op": "replace", "path": "/name", "value": "x"}]}}),
        (NODE_MOVE, lambda p: {"input": {"id": world.b_ids["task"], "parentId": p}}),
        (PURGE, lambda p: {"input": {"id": p}}),
    ]
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as http:

        async def post(query: str, variables: dict[str, Any]) -> bytes:
            response = await http.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code == 200
            assert_no_leak(response.text, world.a_secrets, sent=ids_in(variables), what=query)
            return response.content

        for query, make in operations:
            unknown = new_id()
            expected = (await post(query, make(unknown))).replace(unknown.encode(), b"<PROBE>")
            for kind, probe in world.a_probes.items():
                got = (await post(query, make(probe))).replace(probe.encode(), b"<PROBE>")
                assert got == expected, f"over HTTP, A's {kind} id answers differently: {got!r} != {expected!r}"
        listed = json.loads(await post(COUNTS, {}))["data"]
        assert listed["processes"]["totalCount"] == 1 and listed["trashedProcesses"]["totalCount"] == 1
        assert listed["users"]["totalCount"] == 2
    after = await workspace_rows(world.engine, DEFAULT_WORKSPACE_ID)
    assert _fingerprint(after) == _fingerprint(world.a_rows)


async def test_another_user_of_the_workspace_never_sees_my_notifications(world: World) -> None:
    """Within workspace B: the second user's feed, live stream and the run's notification list never show the
    first user's notifications, and marking them read answers like an unknown id (and marks nothing)."""
    w = world
    await _b_notifications(w)
    bea = w.b
    bob = _client(w, w.b_ids["user2"])
    beas = [e["node"] for e in (await bea(NOTIFICATION_FEED))["viewer"]["notifications"]["edges"]]
    bobs = [e["node"] for e in (await bob(NOTIFICATION_FEED))["viewer"]["notifications"]["edges"]]
    assert beas and bobs
    assert {n["recipient"]["id"] for n in beas} == {w.b_ids["user"]}
    assert {n["recipient"]["id"] for n in bobs} == {w.b_ids["user2"]}
    assert not {n["id"] for n in beas} & {n["id"] for n in bobs}
    assert (await _first_streamed(w, bob))["recipient"]["id"] == w.b_ids["user2"]
    unknown = (await bob(MARK_READ, {"input": {"ids": [new_id()]}}))["notificationsMarkRead"]
    theirs = (await bob(MARK_READ, {"input": {"ids": [beas[0]["id"]]}}))["notificationsMarkRead"]
    assert [(e["code"], e["target"]) for e in theirs["errors"]] == [(e["code"], e["target"]) for e in unknown["errors"]
                                                                    ] == [("NOT_FOUND", "ids[0]")]
    unread = "query { viewer { notifications(unreadOnly: true) { edges { node { id } } } } }"
    assert [e["node"]["id"] for e in (await bea(unread))["viewer"]["notifications"]["edges"]] == [n["id"] for n in beas]
    # the run's notifications are its manager's (bea) to read; bob reads an empty list
    run_list = (await bea(RUN_NOTIFICATIONS, {"id": w.b_ids["run"]}))["processRun"]["notifications"]["edges"]
    assert {e["node"]["recipient"]["id"] for e in run_list} == {w.b_ids["user"], w.b_ids["user2"]}
    assert (await bob(RUN_NOTIFICATIONS, {"id": w.b_ids["run"]}))["processRun"]["notifications"]["edges"] == []
    # and A's manager reading A's run sees none of B's
    a_run = w.a_probes["run"]
    a_list = (await w.a(RUN_NOTIFICATIONS, {"id": a_run}))["processRun"]["notifications"]["edges"]
    assert a_list and not {e["node"]["id"] for e in a_list} & {n["id"] for n in beas + bobs}
