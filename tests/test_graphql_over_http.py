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


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(300)
def test_graphql_http_audit_against_a_real_server(backend: str, db_url: str, tmp_path: Path) -> None:
    """graphql-http's server audit (pinned in tests/audit/package-lock.json) against a served gateway on
    PostgreSQL with kept answers on (the default budget; they are kept on PostgreSQL only): every MUST, SHOULD
    and MAY audit passes."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, "the audit needs node and npm (the machine image has them)"
    work = tmp_path / "audit"
    shutil.copytree(AUDIT, work)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent", "--ignore-scripts"], cwd=work, check=True,
                   timeout=240)
    with running_server(tmp_path, name="audit", database_url=db_url, RATE_LIMIT_PER_SECOND="0",
                        ANSWER_CACHE_MB="16") as server:
        token = server.headers["Authorization"].removeprefix("Bearer ")
        done = subprocess.run([node, "audit.mjs", f"{server.base_url}/graphql", token], cwd=work,
                              capture_output=True, text=True, timeout=120, check=True)
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"graphql-http audit: MUST {summary['MUST']['ok']} ok, SHOULD {summary['SHOULD']['ok']} ok, "
          f"MAY {summary['MAY']['ok']} ok")
    for level in ("MUST", "SHOULD", "MAY"):
        assert summary[level]["failed"] == [] and summary[level]["ok"] > 0, (level, summary[level]["failed"])
    # The audit's requests went the kept answers' way (looked up; its documents read no rows, so none is kept)
    looked_up = [line for line in metrics.splitlines() if line.startswith('processgraph_answer_cache_lookups{result="none"}')]
    assert looked_up and float(looked_up[0].split()[-1]) > 0, "the kept answers were off during the audit"
