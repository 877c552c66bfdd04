"""Validation is kept per parsed document (app/graphql/validation.py): reused only for the same document,
schema and rules, so a schema that refuses introspection refuses it whatever another schema answered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.api.schema import build_schema
from app.graphql.context import Context
from app.ids import new_id
from app.settings import Settings
from tests.helpers import GraphQLClient

INTROSPECT = "{ __schema { queryType { name } } }"
BROKEN = "{ process(id: \"x\") { noSuchField } }"


async def test_the_same_text_is_validated_for_each_schema_and_its_rules(gql: GraphQLClient, settings: Settings) -> None:
    open_schema, closed_schema = build_schema(settings), build_schema(replace(settings, introspection=False))

    async def run(schema: Any, query: str) -> Any:
        ctx = Context(engine=gql.engine, settings=settings, actor=gql.actor, request_id=new_id())
        return await schema.execute(query, context_value=ctx)

    for _ in range(2):  # in turn, twice: each answer comes from its own schema's rules, cached or not
        allowed, refused = await run(open_schema, INTROSPECT), await run(closed_schema, INTROSPECT)
        assert not allowed.errors and allowed.data == {"__schema": {"queryType": {"name": "Query"}}}
        assert refused.data is None and "introspection" in refused.errors[0].message.lower()
    for _ in range(2):  # an invalid document stays invalid on its second request
        broken = await run(open_schema, BROKEN)
        assert broken.data is None and "noSuchField" in broken.errors[0].message
