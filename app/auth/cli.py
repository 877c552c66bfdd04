"""`scripts/admin`: create workspaces, users and tokens; revoke tokens; deactivate users."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.auth import service
from app.db import create_engine
from app.settings import settings_or_exit


async def _run(args: argparse.Namespace) -> int:
    engine = create_engine(settings_or_exit())
    try:
        if args.command == "create-workspace":
            print(await service.create_workspace(engine, name=args.name))
        elif args.command == "create-user":
            print(await service.create_user(engine, workspace_id=args.workspace, name=args.name, email=args.email))
        elif args.command == "create-token":
            scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
            token_id, token = await service.create_token(engine, user_id=args.user, scopes=scopes, label=args.label)
            print(f"token id: {token_id}\ntoken (shown once, store it now): {token}")
        elif args.command == "revoke-token":
            if not await service.revoke_token(engine, token_id=args.token_id):
                print(f"no live token with id {args.token_id}", file=sys.stderr)
                return 1
            print(f"revoked {args.token_id} (gateways stop accepting it within their token cache time)")
        elif args.command in ("deactivate-user", "activate-user"):
            await service.set_user_active(engine, user_id=args.user, active=args.command == "activate-user")
            print(f"{args.command.split('-')[0]}d {args.user}")
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/admin", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-workspace", help="create a workspace; prints its id")
    p.add_argument("--name", required=True)
    p = sub.add_parser("create-user", help="create an active user; prints its id")
    p.add_argument("--workspace", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--email", required=True)
    p = sub.add_parser("create-token", help="create a token for a user; prints it once")
    p.add_argument("--user", required=True)
    p.add_argument("--scopes", default="read,write", help="comma-separated: read, write (default both)")
    p.add_argument("--label", default="")
    p = sub.add_parser("revoke-token", help="revoke a token by its id")
    p.add_argument("token_id")
    for name in ("deactivate-user", "activate-user"):
        p = sub.add_parser(name, help=f"{name.split('-')[0]} a user")
        p.add_argument("--user", required=True)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
