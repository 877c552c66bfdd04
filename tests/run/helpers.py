"""Helpers for run tests: people with their own clients, and reading a run's state by node name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import READ, WRITE, Actor, create_user
from app.settings import DEFAULT_WORKSPACE_ID, Settings
from tests.factories import CREATE
from tests.helpers import GraphQLClient

RUN_FIELDS = """
  id status revision completedDate statusCounts { status count }
  nodes {
    __typename
    ... on GroupRun { id name status eligibleToStart childrenEligibleToStartCount parentId ordinal revision
                      statusCounts { status count } }
    ... on JobRun { id name action status actionStatus eligibleToStart parentId ordinal revision exception
                    arguments { __typename ... on SendTaskArgs { assignee approver dueDate title }
                                ... on GeneratedCertificationArgs { user certificationStep } } }
  }
"""
READ_RUN = f"query($id: ID!) {{ processRun(id: $id) {{ {RUN_FIELDS} }} }}"
START = f"mutation($id: ID!) {{ runStart(input: {{processId: $id}}) {{ errors {{ code message target meta }} run {{ {RUN_FIELDS} }} }} }}"
ACTION_FIELDS = "errors { code message target meta } run { id status }"
EVENTS = "query($id: ID!) { processRun(id: $id) { events(first: 1000) { edges { node { sequence nodeId nodeKind field fromValue toValue comment user { id } } } } } }"


def action(name: str, input_type: str = "RunActionInput") -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ACTION_FIELDS} }} }}"


@dataclass
class People:
    manager: GraphQLClient
    users: dict[str, GraphQLClient]

    def id(self, name: str) -> str:
        return self.users[name].actor.user_id

    def __getitem__(self, name: str) -> GraphQLClient:
        return self.users[name]


async def people(engine: AsyncEngine, settings: Settings, manager: GraphQLClient, *names: str) -> People:
    users = {}
    for n in names:
        uid = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name=n, email=f"{n}@x")
        users[n] = GraphQLClient(engine=engine, settings=settings, actor=Actor(
            user_id=uid, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE})))
    return People(manager=manager, users=users)


async def create_process(gql: GraphQLClient, root: dict[str, Any], **fields: Any) -> str:
    data = await gql(CREATE, {"input": {"name": "Run me", "root": root, **fields}})
    assert data["processCreate"]["errors"] == [], data["processCreate"]["errors"]
    return str(data["processCreate"]["process"]["id"])


async def start(gql: GraphQLClient, process_id: str) -> dict[str, Any]:
    payload = (await gql(START, {"id": process_id}))["runStart"]
    assert payload["errors"] == [], payload["errors"]
    return dict(payload["run"])


async def read(gql: GraphQLClient, run_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    run = (await gql(READ_RUN, {"id": run_id}))["processRun"]
    return run, {n["name"]: n for n in run["nodes"]}


async def do(client: GraphQLClient, name: str, input_: dict[str, Any], input_type: str = "RunActionInput"
             ) -> dict[str, Any]:
    (payload,) = (await client(action(name, input_type), {"input": input_})).values()
    return dict(payload)


async def ok(client: GraphQLClient, name: str, input_: dict[str, Any], input_type: str = "RunActionInput") -> None:
    payload = await do(client, name, input_, input_type)
    assert payload["errors"] == [], (name, payload["errors"])


def counts(node: dict[str, Any]) -> dict[str, int]:
    return {c["status"]: c["count"] for c in node["statusCounts"] if c["count"]}


def task(title: str, assignee: str, approver: str | None = None, trigger: str = "WHEN_ELIGIBLE") -> dict[str, Any]:
    args: dict[str, Any] = {"title": title, "assignee": assignee}
    if approver:
        args["approver"] = approver
    return {"job": {"arguments": {"sendTask": args}, "triggerType": trigger}}
