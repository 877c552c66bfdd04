"""The schema is an artifact: committed SDL is current, and everything is described (docs/conventions.md, habit 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from app.api.export import sdl, subgraph_sdl
from app.api.federation import build_subgraph_schema
from app.api.schema import schema

ROOT = Path(__file__).resolve().parent.parent
SPEC_TYPES = {"_FieldSet", "link__Import", "link__Purpose"}
"""The `@link`ed specs' own types in the subgraph schema: defined by the specs, left out of its SDL."""


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == sdl(), "schema.graphql is stale: run scripts/export-schema and commit it"


def test_committed_subgraph_sdl_is_current() -> None:
    committed = (ROOT / "subgraph.graphql").read_text()
    assert committed == subgraph_sdl(), "subgraph.graphql is stale: run scripts/export-schema and commit it"


@pytest.mark.parametrize("which", ["public", "subgraph"])
def test_every_type_field_argument_and_enum_value_has_a_description(which: str) -> None:
    missing: list[str] = []
    served = schema if which == "public" else build_subgraph_schema()
    for name, t in served._schema.type_map.items():
        if name.startswith("__") or name in SPEC_TYPES:
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for fname, field in t.fields.items():
                if not field.description:
                    missing.append(f"{name}.{fname}")
                missing += [f"{name}.{fname}({a})" for a, arg in field.args.items() if not arg.description]
        elif isinstance(t, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in t.fields.items() if not field.description]
        elif isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in t.values.items() if not value.description]
        elif isinstance(t, GraphQLUnionType):
            pass
    assert missing == []


def test_enums_use_upper_snake_values_with_the_seed_spelling_described() -> None:
    t = schema._schema.type_map["TriggerType"]
    assert isinstance(t, GraphQLEnumType)
    assert list(t.values) == ["WHEN_ELIGIBLE", "MANUAL"]
    assert "`whenEligible`" in (t.values["WHEN_ELIGIBLE"].description or "")
