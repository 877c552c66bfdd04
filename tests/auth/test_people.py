"""People as objects (issue 14 point 3): every field holding a user id has a sibling returning the `User`,
resolved through the request's users loader: one statement for a whole tree, null for an id that names no
user of the caller's workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import READ, WRITE, Actor, create_user, create_workspace
from app.process import service as process_service
from app.process.inputs import GroupSpec, JobSpec, ProcessSpec
from app.run import service as run_service
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID
from tests.factories import CREATE
from tests.helpers import GraphQLClient, SqlCounter

ID_FIELDS = """
  ... on SendTaskArgs { assignee approver }
  ... on ContentRequestArgs { assignee approver }
  ... on CertificationArgs { signerSteps { users } approverSteps { users } }
  ... on GeneratedCertificationArgs { user }
"""
PEOPLE_FIELDS = """
  ... on SendTaskArgs { assignee approver assigneeUser { id name } approverUser { id name email } }
  ... on ContentRequestArgs { assignee approver assigneeUser { id name } approverUser { id name } }
  ... on CertificationArgs { signerSteps { users members { id name } } approverSteps { users members { id name } } }
  ... on GeneratedCertificationArgs { user person { id name active } }
"""


def _nested(job_fields: str, levels: int = 5) -> str:
    """A selection of the whole tree by nesting `children` (jobs at every depth), the way clients ask."""
    inner = f"__typename ... on ProcessJob {{ id arguments {{ __typename {job_fields} }} }}"
    for _ in range(levels):
        inner = (f"__typename ... on ProcessJob {{ id arguments {{ __typename {job_fields} }} "
                 f"generated {{ children {{ ... on ProcessGroup {{ children {{ {_job_only(job_fields)} }} }} "
                 f"{_job_only(job_fields)} }} }} }} ... on ProcessGroup {{ id children {{ {inner} }} }}")
    return f"query($id: ID!) {{ process(id: $id) {{ id root {{ children {{ {inner} }} }} }} }}"


def _job_only(job_fields: str) -> str:
    return f"... on ProcessJob {{ id arguments {{ __typename {job_fields} }} }}"


def _flat(job_fields: str) -> str:
    return (f"query($id: ID!) {{ process(id: $id) {{ id nodes {{ __typename ... on ProcessJob {{ id arguments "
            f"{{ __typename {job_fields} }} }} }} }} }}")


def _run_nested(job_fields: str, levels: int = 4) -> str:
    inner = f"__typename ... on JobRun {{ id arguments {{ __typename {job_fields} }} }}"
    for _ in range(levels):
        inner = (f"__typename ... on JobRun {{ id arguments {{ __typename {job_fields} }} }} "
                 f"... on GroupRun {{ id children {{ {inner} }} }}")
    return (f"query($id: ID!) {{ processRun(id: $id) {{ id managerUser manager {{ id name }} "
            f"root {{ children {{ {inner} }} }} }} }}")


def _job(n: int, users: list[str]) -> JobSpec:
    """Jobs of every client action, their people drawn from `users` so every user appears."""
    u = users
    if n % 10 == 9:
        return JobSpec(action="certification", arguments={
            "title": f"Cert {n}", "signerSteps": [{"mode": "everyone", "users": [u[n % 50], u[(n + 1) % 50]]}],
            "approverSteps": [{"mode": "someone", "users": [u[(n + 2) % 50]]}]})
    if n % 2:
        return JobSpec(action="contentRequest", arguments={
            "title": f"Content {n}", "assignee": u[n % 50], "approver": u[(n + 7) % 50], "document": "d"})
    return JobSpec(action="sendTask", arguments={"title": f"Task {n}", "assignee": u[n % 50],
                                                 "approver": u[(n + 3) % 50]})


def thousand_jobs(users: list[str]) -> ProcessSpec:
    """1,000 client jobs at four depths (250 each), certifications among them (with their generated jobs)."""
    counter = iter(range(1000))

    def level(depth: int) -> GroupSpec:
        jobs: list[GroupSpec | JobSpec] = [_job(next(counter), users) for _ in range(250)]
        below: list[GroupSpec | JobSpec] = [level(depth + 1)] if depth < 4 else []
        return GroupSpec(name=f"Level {depth}", parallel=True, children=jobs + below)

    return ProcessSpec(name="A thousand jobs", root=GroupSpec(name="Root", parallel=True, children=[level(1)]))


def _people_of(node: Any, found: list[dict[str, Any]]) -> None:
    """Every User object anywhere in a response."""
    if isinstance(node, dict):
        if set(node) >= {"id", "name"} and "__typename" not in node and "children" not in node:
            found.append(node)
        for v in node.values():
            _people_of(v, found)
    elif isinstance(node, list):
        for v in node:
            _people_of(v, found)


async def test_a_thousand_job_tree_with_fifty_people_costs_one_more_statement(
    engine: AsyncEngine, gql_uncached: GraphQLClient, sql: SqlCounter
) -> None:
    gql = gql_uncached  # the second read of a tree would come from the gateway's shared cache (app/fast/cache.py)
    # Given a 1,000-job tree (jobs at four depths, certifications with generated jobs) naming 50 people
    users = [await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name=f"Person {i:02d}",
                               email=f"p{i}@people.test") for i in range(50)]
    actor = Actor(user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE}))
    process = await process_service.create_process(engine=engine, actor=actor, spec=thousand_jobs(users))
    run = await run_service.start_run(engine=engine, actor=actor, process_id=process.id)
    names = {u: f"Person {i:02d}" for i, u in enumerate(users)}

    for ids_only, with_people, variables in (
        (_nested(ID_FIELDS), _nested(PEOPLE_FIELDS), {"id": process.id}),
        (_flat(ID_FIELDS), _flat(PEOPLE_FIELDS), {"id": process.id}),
        (_run_nested(ID_FIELDS), _run_nested(PEOPLE_FIELDS), {"id": run.id}),
    ):
        # When the tree is read with the id fields only, and again with their User siblings
        sql.reset()
        await gql(ids_only, variables)
        baseline = sql.count
        sql.reset()
        data = await gql(with_people, variables)
        # Then the people cost exactly one statement more: one batch of the users loader
        assert sql.count == baseline + 1, (sql.count, baseline, sql.statements[-3:])
        found: list[dict[str, Any]] = []
        _people_of(data, found)
        assert len(found) > 1000
        assert all(names.get(p["id"], p["name"]) == p["name"] for p in found)
        assert {p["id"] for p in found} >= set(users)


PROCESS_PEOPLE = f"""query($id: ID!) {{ process(id: $id) {{ nodes {{ ... on ProcessJob {{ name arguments {{
  __typename {PEOPLE_FIELDS} }} }} }} }} }}"""


async def test_an_id_that_names_no_user_of_the_workspace_gives_null(
    engine: AsyncEngine, gql: GraphQLClient
) -> None:
    # Given a process naming a user of this workspace, an unknown id, a user of another workspace and nobody
    member = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Mia Member", email="mia@a.test")
    other_ws = await create_workspace(engine, name="Elsewhere")
    stranger = await create_user(engine, workspace_id=other_ws, name="Sam Stranger", email="sam@b.test")
    created = await gql(CREATE, {"input": {"name": "People", "root": {"name": "Root", "children": [
        {"job": {"arguments": {"sendTask": {"title": "Known and unknown", "assignee": member,
                                            "approver": "not-a-user"}}}},
        {"job": {"arguments": {"contentRequest": {"title": "Stranger", "assignee": stranger}}}},
        {"job": {"arguments": {"certification": {"title": "Cert", "signerSteps": [
            {"mode": "EVERYONE", "users": [stranger, member, "0" * 32]}]}}}},
    ]}}})
    pid = created["processCreate"]["process"]["id"]
    # When it is read with the User siblings
    nodes = (await gql(PROCESS_PEOPLE, {"id": pid}))["process"]["nodes"]
    by_name = {n["name"]: n["arguments"] for n in nodes if n}
    # Then known ids give the User, anything else null, without an error (gql raises on errors)
    mia = {"id": member, "name": "Mia Member"}
    task = by_name["Known and unknown"]
    assert task["assigneeUser"] == mia and task["approver"] == "not-a-user" and task["approverUser"] is None
    content = by_name["Stranger"]
    assert content["assignee"] == stranger and content["assigneeUser"] is None and content["approverUser"] is None
    cert = by_name["Cert"]
    assert cert["signerSteps"][0]["members"] == [None, mia, None]
    generated = [a for a in by_name.values() if a["__typename"] == "GeneratedCertificationArgs"]
    assert sorted((a["user"] or "", a["person"] and a["person"]["id"]) for a in generated) == sorted(
        [("", None), (stranger, None), (member, member), ("0" * 32, None)])
    assert "Sam Stranger" not in str(nodes)


async def test_run_copies_and_summaries_carry_people(engine: AsyncEngine, gql: GraphQLClient) -> None:
    # Given a started run whose task is assigned to a member and approved by the manager
    member = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Mia Member", email="mia@a.test")
    created = await gql(CREATE, {"input": {"name": "Run people", "root": {"name": "Root", "children": [
        {"job": {"arguments": {"sendTask": {"title": "Task", "assignee": member, "approver": DEV_USER_ID}}}}]}}})
    pid = created["processCreate"]["process"]["id"]
    started = await gql("mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code } run { id } } }",
                        {"id": pid})
    assert started["runStart"]["errors"] == []
    # When the inbox, the run's nodes and the run summaries are read
    data = await gql("""query { processRuns { edges { node { managerUser manager { id name } } } }
      processes { edges { node { run { manager { id } } } } } }""")
    (edge,) = data["processRuns"]["edges"]
    assert edge["node"]["manager"]["id"] == edge["node"]["managerUser"] == DEV_USER_ID
    assert data["processes"]["edges"][0]["node"]["run"]["manager"]["id"] == DEV_USER_ID
    member_gql = GraphQLClient(engine=engine, settings=gql.settings, actor=Actor(
        user_id=member, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE})))
    inbox = await member_gql("""query { viewer { jobRuns { name arguments { ... on SendTaskArgs {
        assigneeUser { id name } approverUser { id } } } } } }""")
    # Then the run's copy of the arguments names the same people as objects
    (job,) = inbox["viewer"]["jobRuns"]
    assert job["arguments"] == {"assigneeUser": {"id": member, "name": "Mia Member"},
                                "approverUser": {"id": DEV_USER_ID}}
