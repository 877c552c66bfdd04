"""First run: on a database without tokens, give the demo user a token so a new user's first query works."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from app.auth import service as auth
from app.db import create_engine
from app.settings import DEV_USER_ID, Settings


def demo_token(settings: Settings) -> tuple[str | None, bool]:
    """(the demo token, whether it was just created); (None, False) when tokens exist but none is ours.

    Runs once, before the server starts."""
    token_file = Path(settings.dev_token_file)
    known = token_file.read_text().strip() if token_file.exists() else None
    token, created = asyncio.run(_demo_token(settings, known))
    if created and token is not None:
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(token + "\n")
        os.chmod(token_file, 0o600)
    return token, created


async def _demo_token(settings: Settings, known: str | None) -> tuple[str | None, bool]:
    engine = create_engine(settings)
    try:
        if known is not None:
            token = known
            try:
                await auth.ActorResolver(engine=engine).resolve(authorization=f"Bearer {token}")
                return token, False
            except auth.AuthError:
                pass  # revoked, or another database: fall through
        if await auth.count_tokens(engine) > 0:
            return None, False
        _, token = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=[auth.READ, auth.WRITE],
                                           label="demo token made by scripts/serve")
        return token, True
    finally:
        await engine.dispose()
