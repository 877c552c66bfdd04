"""scripts/admin: create a workspace, a user and a token; revoke; deactivate (issue 4 point 1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import ActorResolver, AuthError
from app.settings import ROOT


def admin(db_url: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app.auth.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": db_url}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(120)
async def test_admin_commands(backend: str, db_url: str, engine: AsyncEngine) -> None:
    workspace = admin(db_url, "create-workspace", "--name", "Finance")
    user = admin(db_url, "create-user", "--workspace", workspace, "--name", "Fiona", "--email", "f@x")
    out = admin(db_url, "create-token", "--user", user, "--scopes", "read")
    token_id = re.search(r"token id: ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    token = re.search(r"(pgt_\S+)", out).group(1)  # type: ignore[union-attr]

    actor = await ActorResolver(engine=engine, cache_seconds=0).resolve(authorization=f"Bearer {token}")
    assert (actor.user_id, actor.workspace_id, actor.scopes) == (user, workspace, frozenset({"read"}))

    admin(db_url, "revoke-token", token_id)
    with pytest.raises(AuthError):
        await ActorResolver(engine=engine, cache_seconds=0).resolve(authorization=f"Bearer {token}")

    out = admin(db_url, "create-token", "--user", user)
    second = re.search(r"(pgt_\S+)", out).group(1)  # type: ignore[union-attr]
    admin(db_url, "deactivate-user", "--user", user)
    with pytest.raises(AuthError):
        await ActorResolver(engine=engine, cache_seconds=0).resolve(authorization=f"Bearer {second}")
