"""The typed TypeScript client in web/ (issue 14 point 6): web/src/gql is exactly what GraphQL Code
Generator's client preset makes of the committed schema.graphql and the operations in web/src, and
`tsc --strict --noEmit` finds no error in the client, the reference web client and their configuration.

Both run through `scripts/web check` (npm packages from web/package-lock.json, installed by the install
step; nothing is fetched here)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=WEB, capture_output=True, text=True, timeout=150, env={**os.environ, **env})


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(200)
def test_generated_client_is_current_and_type_checks(backend: str) -> None:
    checked = _run([str(ROOT / "scripts" / "web"), "check"])
    assert checked.returncode == 0, (
        "scripts/web check failed (run scripts/web codegen after changing schema.graphql or an operation, and "
        f"fix what tsc reports):\n{checked.stdout[-4000:]}\n{checked.stderr[-4000:]}")


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(200)
def test_a_schema_change_makes_the_generated_client_stale(backend: str, tmp_path: Path) -> None:
    """The staleness check can fail: with a run status the committed schema does not have, the generated
    types differ and codegen's --check refuses."""
    schema = (ROOT / "schema.graphql").read_text()
    changed, count = re.subn(r"(enum RunStatus \{\n)", r'\1  """A status the committed client does not know."""\n'
                             r"  PAUSED\n\n", schema)
    assert count == 1
    (tmp_path / "schema.graphql").write_text(changed)
    stale = _run([str(WEB / "node_modules" / ".bin" / "graphql-codegen"), "--config", "codegen.ts", "--check"],
                 CODEGEN_SCHEMA=str(tmp_path / "schema.graphql"))
    assert stale.returncode != 0, stale.stdout
    assert "src/gql/graphql.ts" in stale.stdout + stale.stderr, stale.stdout + stale.stderr
