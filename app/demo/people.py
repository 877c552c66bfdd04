"""The demo workspace's people: a finance team, one former contractor deactivated during the load."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth_service


class DemoError(Exception):
    """The demo cannot be loaded as asked (unknown or inactive manager, ...)."""


# ---- who is in the demo workspace ----

@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    email: str
    role: str


PEOPLE: tuple[Person, ...] = (
    Person("maya", "Maya Chen", "maya.chen@example.com", "Controller"),
    Person("luis", "Luis Ortega", "luis.ortega@example.com", "Senior Accountant"),
    Person("priya", "Priya Raman", "priya.raman@example.com", "Accounts Payable and Receivable Lead"),
    Person("daniel", "Daniel Okafor", "daniel.okafor@example.com", "FP&A Manager"),
    Person("sofia", "Sofia Lindqvist", "sofia.lindqvist@example.com", "Chief Financial Officer"),
    Person("james", "James Whitaker", "james.whitaker@example.com", "Chief Executive Officer"),
    Person("hannah", "Hannah Brooks", "hannah.brooks@example.com", "Internal Audit Lead"),
    Person("grace", "Grace Mbeki", "grace.mbeki@example.com", "Audit Committee Chair"),
    Person("tom", "Tom Baker", "tom.baker@example.com", "Contract Accountant (contract ended)"),
)
INACTIVE = "tom"  # deactivated during the load; no process definition names him, so every process validates


async def ensure_people(engine: AsyncEngine, workspace_id: str) -> dict[str, str]:
    """The demo people's user ids: existing users of the workspace with the same e-mail are reused (and made
    active again), so loading twice with --force adds no duplicate people."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(auth_service.USERS.c.id, auth_service.USERS.c.email).where(
            auth_service.USERS.c.workspace_id == workspace_id,
            auth_service.USERS.c.email.in_([p.email for p in PEOPLE])).order_by(auth_service.USERS.c.created_at,
                                                                            auth_service.USERS.c.id))).all()
    existing: dict[str, str] = {}
    for row in rows:
        existing.setdefault(row.email, row.id)
    out: dict[str, str] = {}
    for p in PEOPLE:
        if p.email in existing:
            out[p.key] = existing[p.email]
            await auth_service.set_user_active(engine, user_id=out[p.key], active=True)
        else:
            out[p.key] = await auth_service.create_user(engine, workspace_id=workspace_id, name=p.name,
                                                        email=p.email)
    return out


async def check_manager(engine: AsyncEngine, *, workspace_id: str, user_id: str) -> None:
    async with engine.connect() as conn:
        found = (await auth_service.users_by_ids(conn, workspace_id=workspace_id, ids=[user_id])).get(user_id)
    if found is None:
        raise DemoError(f"no user '{user_id}' in workspace '{workspace_id}'")
    if not found.active:
        raise DemoError(f"user '{user_id}' is deactivated; the demo's runs need an active manager")
