"""Write the schema's SDL (`scripts/export-schema`)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.api.schema import schema


def sdl() -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schema.graphql")
    target.write_text(sdl())
    print(f"wrote {target}")
