"""Workspaces and users: who acts, and whose data they may see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from app.db import metadata, sort_key_type


class Workspace(SQLModel, table=True, metadata=metadata):
    """A tenant: no one ever sees another workspace's processes or runs."""

    __tablename__ = "workspace"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class User(SQLModel, table=True, metadata=metadata):
    """A person in one workspace; deactivated users keep their history but cannot act."""

    __tablename__ = "app_user"

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspace.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    # app.db.sort_key(name) (str.casefold): the users list orders by it on every database.
    name_key: str = Field(default="", sa_column=Column(sort_key_type(200), nullable=False, server_default=""))
    email: str = Field(max_length=320)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # The OpenID Connect provider's `sub` for this person, bound on first sign-in (app/auth/oidc.py).
    oidc_subject: str | None = Field(default=None, max_length=255, unique=True, index=True, nullable=True)


class ApiToken(SQLModel, table=True, metadata=metadata):
    """A bearer token: only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_token"

    id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=100)  # space-separated: "read", "write" or "read write"
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
