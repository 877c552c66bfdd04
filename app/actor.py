"""The acting user of a request and the scopes a token may hold: the one auth concept every layer reads.

Defined apart from `app/auth` so the shared GraphQL base (`app/graphql/`) can type its context without
importing a domain; `app.auth.service` creates Actors and re-exports these names."""

from __future__ import annotations

from dataclasses import dataclass

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting user of one request: the only source of workspace and authorship."""

    user_id: str
    workspace_id: str
    scopes: frozenset[str]
    token_id: str | None = None
