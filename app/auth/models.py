"""Workspaces and users: who acts, and whose data they may see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class Workspace(SQLModel, table=True):
    """A tenant: no one ever sees another workspace's processes or runs."""

    __tablename__ = "workspace"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class User(SQLModel, table=True):
    """A person in one workspace; deactivated users keep their history but cannot act."""

    __tablename__ = "app_user"

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspace.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
