"""MkDocs hook: the GraphQL reference page, generated from the committed schema.graphql at build time, so the
site can never describe another schema than the one the gateway serves (a test keeps schema.graphql fresh)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
)
from mkdocs.structure.files import File, Files

PAGE = "reference/graphql.md"
SECTIONS = (("Objects", GraphQLObjectType), ("Interfaces", GraphQLInterfaceType), ("Unions", GraphQLUnionType),
            ("Input objects", GraphQLInputObjectType), ("Enums", GraphQLEnumType), ("Scalars", GraphQLScalarType))


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip()


def _type(t: Any) -> str:
    """A field's type with its named type linked: `[Process](#process)!`."""
    name = get_named_type(t).name
    return str(t).replace(name, f"[{name}](#{name.lower()})", 1)


def _fields(fields: dict[str, GraphQLField] | dict[str, GraphQLInputField]) -> list[str]:
    rows = ["| field | type | description |", "|---|---|---|"]
    for name, field in fields.items():
        text = _cell(field.description)
        if field.deprecation_reason if hasattr(field, "deprecation_reason") else False:
            text += f" *Deprecated: {_cell(field.deprecation_reason)}*"
        args = getattr(field, "args", {}) or {}
        if args:
            text += "<br>" + "<br>".join(f"`{a}`: {_type(arg.type)} — {_cell(arg.description)}"
                                         for a, arg in args.items())
        rows.append(f"| `{name}` | {_type(field.type)} | {text} |")
    return rows


def _named(t: GraphQLNamedType) -> list[str]:
    out = [f"### {t.name}", "", _cell(t.description), ""]
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) and t.interfaces:
            out += ["Implements " + ", ".join(f"[{i.name}](#{i.name.lower()})" for i in t.interfaces) + ".", ""]
        out += _fields(t.fields)
    elif isinstance(t, GraphQLUnionType):
        out.append("One of " + ", ".join(f"[{m.name}](#{m.name.lower()})" for m in t.types) + ".")
    elif isinstance(t, GraphQLEnumType):
        out += ["| value | description |", "|---|---|"]
        out += [f"| `{name}` | {_cell(value.description)} |" for name, value in t.values.items()]
    out.append("")
    return out


def render(schema: GraphQLSchema) -> str:
    lines = ["# GraphQL reference", "",
             "Generated from `schema.graphql` when the site is built: every type, field, argument and enum value "
             "with its description.", ""]
    roots = [t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t is not None]
    lines += ["## Operations", ""]
    for root in roots:
        lines += _named(root)
    named = [t for name, t in sorted(schema.type_map.items()) if not name.startswith("__") and t not in roots]
    for title, kind in SECTIONS:
        members = [t for t in named if isinstance(t, kind)]
        if members:
            lines += [f"## {title}", ""]
            for t in members:
                lines += _named(t)
    return "\n".join(lines) + "\n"


def on_files(files: Files, config: Any) -> Files:
    sdl = (Path(config["config_file_path"]).parent / "schema.graphql").read_text()
    files.append(File.generated(config, PAGE, content=render(build_schema(sdl))))
    return files
