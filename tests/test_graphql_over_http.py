"""GraphQL over HTTP: media-type negotiation, and graphql-http's server audit against a real server (issue 8)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.servers import running_server

AUDIT = Path(__file__).parent / "audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_json_is_negotiated(http: httpx.AsyncClient) -> None:
    strict = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await http.post("/graphql", json={"query": "{ __typename }"}, headers=strict)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    for query in ("{ __typename", "{ nope }"):  # unparsable, invalid
        bad = await http.post("/graphql", json={"query": query}, headers=strict)
        assert bad.status_code == 400 and "data" not in bad.json() and bad.json()["errors"]
    legacy = await http.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/json"})
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["data"] is None


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(300)
def test_graphql_http_audit_against_a_real_server(backend: str, tmp_path: Path) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, "the audit needs node and npm (the machine image has them)"
    work = tmp_path / "audit"
    shutil.copytree(AUDIT, work)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=work, check=True, timeout=240)
    with running_server(tmp_path, name="audit", database_url=f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
                        RATE_LIMIT_PER_SECOND="0") as server:
        token = server.headers["Authorization"].removeprefix("Bearer ")
        done = subprocess.run([node, "audit.mjs", f"{server.base_url}/graphql", token], cwd=work,
                              capture_output=True, text=True, timeout=120, check=True)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"graphql-http audit: MUST {summary['MUST']['ok']} ok, SHOULD {summary['SHOULD']['ok']} ok / "
          f"{len(summary['SHOULD']['failed'])} failed, MAY {summary['MAY']['ok']} ok / {len(summary['MAY']['failed'])} failed")
    assert summary["MUST"]["failed"] == [] and summary["MUST"]["ok"] > 0
