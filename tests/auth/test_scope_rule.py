"""Scopes are decided in one place (issue 28, point 8): app/actor.py's `scope_refusal`. The services, the
GraphQL pipeline, the subscriptions and the REST door ask it and answer the same FORBIDDEN in their own
shape: the same code, message stem and meta."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.actor import READ, WRITE, Actor, scope_refusal
from app.auth import service as auth
from app.errors import FORBIDDEN, ServiceError
from app.notify import service as notify_service
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID
from tests.helpers import GraphQLClient
from tests.rest.helpers import process_body

READER = Actor(user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ}))
CREATE = "mutation($input: ProcessCreateInput!) { processCreate(input: $input) { errors { code } } }"


def test_a_token_with_the_scope_is_not_refused() -> None:
    assert scope_refusal(READER, READ) is None


def test_a_token_without_the_scope_is_refused_with_what_it_needs_and_holds() -> None:
    refusal = scope_refusal(READER, WRITE, "a mutation", "Authorization")
    assert refusal is not None and refusal.code == FORBIDDEN and refusal.target == "Authorization"
    assert refusal.message == "This token lacks the 'write' scope that a mutation needs."
    assert refusal.meta == {"requiredScope": "write", "scopes": ["read"]}


async def test_every_door_answers_the_one_refusal(engine: AsyncEngine, settings: Any, http: httpx.AsyncClient
                                                  ) -> None:
    # Given a token with the read scope alone
    _, reader = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
    expected = {"requiredScope": "write", "scopes": ["read"]}
    # When it writes through a service, GraphQL and REST
    with pytest.raises(ServiceError) as service:
        await notify_service.mark_read_by(engine, actor=READER, ids=None, all=True, now=None)  # type: ignore[arg-type]
    graphql = await GraphQLClient(engine=engine, settings=settings, actor=READER).raw(CREATE, {"input": {}})
    rest = await http.post("/v1/processes", json=process_body(), headers={"Authorization": f"Bearer {reader}"})
    # Then each answers FORBIDDEN with the same meta
    (error,) = service.value.errors
    assert (error.code, error.meta) == (FORBIDDEN, expected)
    assert graphql.errors is not None
    extensions = graphql.errors[0].extensions or {}
    assert (extensions["code"], extensions["meta"]) == (FORBIDDEN, expected)
    # (the REST door writes meta values as strings, as the seed types them)
    assert rest.status_code == 403 and rest.json()["code"] == FORBIDDEN
    assert rest.json()["meta"] == {"requiredScope": "write", "scopes": '["read"]'}
    assert rest.json()["message"].startswith("This token lacks the 'write' scope")
