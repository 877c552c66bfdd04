"""Validation kept per parsed document (issue 16).

Strawberry's ValidationCache is an lru_cache over (schema, document, rules), and a graphql-core document
hashes by walking its whole tree on every request (3% of a small request's CPU under load, py-spy). The
parser cache (app/api/pipeline.py, which calls this) hands back the same document object for the same
text, so this cache keys by the document's identity, holds the document (its id stays its own), and checks
the schema and the rules are the same ones before it reuses an answer.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import validate_document

from app.adapters.strawberry import graphql_schema

MAXSIZE = 256
_validated: dict[int, tuple[Any, Any, Any, list[Any]]] = {}


def validate_once(ctx: Any) -> None:
    """Validates each parsed document once per set of rules; later requests reuse the answer (a validation
    hook of app/api/pipeline.py)."""
    document, rules = ctx.graphql_document, ctx.validation_rules
    if document is None:  # nothing parsed, nothing to validate
        return
    schema = graphql_schema(ctx.schema)
    found = _validated.get(id(document))
    if found is None or found[0] is not document or found[1] is not schema or found[2] != rules:
        errors = validate_document(schema, document, rules)
        if len(_validated) >= MAXSIZE:
            _validated.clear()
        found = _validated[id(document)] = (document, schema, rules, errors)
    ctx.pre_execution_errors = found[3]
