"""The health check: every problem a run would meet, as a normal answer (issue 3 point 5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import create_user, set_user_active
from tests.factories import CREATE
from tests.helpers import GraphQLClient

VALIDATE = """query($id: ID!) { processValidation(id: $id) { errors { code message target meta } } }"""


async def _validate(gql: GraphQLClient, input_: dict[str, Any]) -> list[dict[str, Any]]:
    data = await gql(CREATE, {"input": input_})
    assert data["processCreate"]["errors"] == []
    result = await gql.raw(VALIDATE, {"id": data["processCreate"]["process"]["id"]})
    assert result.errors is None, "an invalid process is a normal answer"
    assert result.data is not None
    return list(result.data["processValidation"]["errors"])


async def test_a_valid_process_has_no_errors(gql: GraphQLClient, engine: AsyncEngine) -> None:
    alice = await create_user(engine, workspace_id=gql.actor.workspace_id, name="Alice", email="a@x")
    bob = await create_user(engine, workspace_id=gql.actor.workspace_id, name="Bob", email="b@x")
    root = {"name": "R", "children": [
        {"job": {"arguments": {"sendTask": {"title": "t", "assignee": alice, "approver": bob}}}},
        {"job": {"arguments": {"contentRequest": {"title": "c", "assignee": bob, "document": "d"}}}},
        {"job": {"arguments": {"certification": {"title": "s", "signerSteps": [{"mode": "EVERYONE", "users": [alice]}],
                                                 "approverSteps": [{"mode": "SOMEONE", "users": [bob]}]}}}}]}
    assert await _validate(gql, {"name": "ok", "root": root, "relativeDates": True, "dueDate": "2025-06-01",
                                 "businessStartDate": "2025-01-01", "businessEndDate": "2025-12-31"}) == []


async def test_every_problem_is_reported(gql: GraphQLClient, engine: AsyncEngine) -> None:
    alice = await create_user(engine, workspace_id=gql.actor.workspace_id, name="Alice", email="a@x")
    gone = await create_user(engine, workspace_id=gql.actor.workspace_id, name="Gone", email="g@x")
    await set_user_active(engine, user_id=gone, active=False)
    root = {"name": "R", "children": [
        {"job": {"arguments": {"sendTask": {"assignee": alice, "dueDate": "2026-02-01"}}}},          # no title, late
        {"job": {"arguments": {"sendTask": {"title": "t", "assignee": gone}}}},                      # inactive
        {"job": {"arguments": {"contentRequest": {"title": "c", "assignee": alice}}}},              # no document
        {"job": {"arguments": {"certification": {"title": "x"}}}},                                  # no signer steps
        {"job": {"arguments": {"certification": {"title": "y", "signerSteps": [
            {"mode": "EVERYONE", "users": []}, {"mode": "SOMEONE", "users": [alice, alice, "nobody"]}]}}}},
        {"group": {"name": "G", "dueDate": "2024-12-31"}},                                           # before window
    ]}
    errors = await _validate(gql, {"name": "bad", "root": root, "relativeDates": False,
                                   "businessStartDate": "2025-01-01", "businessEndDate": "2025-12-31"})
    got = sorted((e["code"], e["meta"].get("field"), e["meta"].get("userId")) for e in errors)
    assert got == sorted([
        ("MISSING_REQUIRED_FIELD", "title", None),
        ("DATE_OUTSIDE_BUSINESS_WINDOW", "dueDate", None),
        ("INACTIVE_USER", "assignee", gone),
        ("MISSING_REQUIRED_FIELD", "document", None),
        ("MISSING_REQUIRED_FIELD", "signerSteps", None),
        ("EMPTY_STEP", "signerSteps", None),
        ("DUPLICATE_STEP_USER", "signerSteps", alice),
        ("INACTIVE_USER", "signerSteps[1].users", "nobody"),
        ("DATE_OUTSIDE_BUSINESS_WINDOW", "dueDate", None),
    ])
    for e in errors:
        ids = {e["meta"].get("jobId"), e["meta"].get("groupId"), e["meta"].get("processId")} - {None}
        assert e["target"] in ids and e["message"]


async def test_empty_process_and_relative_dates_without_window(gql: GraphQLClient) -> None:
    errors = await _validate(gql, {"name": "empty", "root": {"name": "R"}, "relativeDates": True})
    assert sorted(e["code"] for e in errors) == ["EMPTY_PROCESS", "MISSING_BUSINESS_WINDOW"]


async def test_unknown_process_reads_null(gql: GraphQLClient) -> None:
    data = await gql(VALIDATE, {"id": "0123456789abcdef0123456789abcdef"})
    assert data == {"processValidation": None}
