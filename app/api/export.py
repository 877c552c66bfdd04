"""Write the schema's SDL and the subgraph's (`scripts/export-schema`)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.api.federation import build_subgraph_schema
from app.api.schema import schema


def sdl() -> str:
    return schema.as_str() + "\n"


def subgraph_sdl() -> str:
    """What `_service { sdl }` answers with FEDERATION on (docs/federation.md)."""
    return build_subgraph_schema().sdl + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schema.graphql")
    subgraph = Path(sys.argv[2]) if len(sys.argv) > 2 else target.with_name("subgraph.graphql")
    target.write_text(sdl())
    subgraph.write_text(subgraph_sdl())
    print(f"wrote {target} and {subgraph}")
