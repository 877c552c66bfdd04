"""The acting user of a request and the scopes a token may hold: the one auth concept every layer reads.

Defined apart from `app/auth` so the shared GraphQL base (`app/graphql/`) can type its context without
importing a domain; `app.auth.service` creates Actors and re-exports these names. `scope_refusal` is the
one place that decides whether a token may do something: the services, the GraphQL pipeline, the
subscriptions and the REST door all ask it and only translate its answer into their own shape."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import FORBIDDEN, AppError

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


def scope_refusal(actor: Actor, scope: str, needed_by: str = "", target: str | None = None) -> AppError | None:
    """None when the actor's token holds `scope`; otherwise the FORBIDDEN error every door answers with
    (`needed_by` names what needs it, e.g. "a mutation", for the message)."""
    if scope in actor.scopes:
        return None
    why = f" that {needed_by} needs" if needed_by else ""
    return AppError(FORBIDDEN, f"This token lacks the '{scope}' scope{why}.", target,
                    {"requiredScope": scope, "scopes": sorted(actor.scopes)})
