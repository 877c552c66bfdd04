"""Schemathesis against the REST door's own document, on a real server (issue 17, point 4).

`python -m app.serve` (what scripts/serve runs) on a fresh database, then `schemathesis run` against
/v1/openapi.json with the demo token: every phase (examples, coverage, fuzzing, stateful through the
document's links), a bounded number of cases per operation and a fixed seed, and every check (`--checks
all`: no 5xx, responses and headers conform to the document, only documented statuses, schema-valid requests
accepted and schema-invalid ones refused, unsupported methods answered 405, requests without the token
refused, deleted processes gone). tests/rest/schemathesis.toml lists the few answers the document states
but JSON Schema cannot (a made-up `$next`, a stale If-Match, business dates in the wrong order, a sibling
that is not one), each with its reason. To reach runs, the database starts with one runnable process and
one run, offered to the fuzzer as dictionary values of the `id` path parameters. Afterwards every
process and run of the database passes the integrity check.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import DEV_USER_ID
from tests.integrity import check_integrity
from tests.servers import running_server

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 15
SEED = int(os.environ.get("PROCESSGRAPH_SCHEMATHESIS_SEED", "17"))  # other seeds: explore more cases


def _seed_data(base_url: str, headers: dict[str, str]) -> tuple[str, str]:
    """A runnable process and a run of it (their ids feed the fuzzer's `id` parameters)."""
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        made = http.post("/v1/processes", json={
            "name": "Fuzz seed", "autoClose": False, "certAutoApprove": False, "relativeDates": False,
            "root": {"name": "Root", "parallel": True, "readOnly": False, "children": [
                {"type": "job", "job": {"arguments": {"type": "sendTask", "sendTaskArgs": {
                    "title": "Task", "assignee": DEV_USER_ID}}}}]}})
        assert made.status_code == 201, made.text
        run = http.post(f"/v1/processes/{made.json()['id']}/run")
        assert run.status_code == 201, run.text
        return made.json()["id"], run.json()["id"]


@pytest.mark.once
@pytest.mark.timeout(900)
async def test_schemathesis_finds_nothing(backend: str, db_url: str, engine: AsyncEngine, tmp_path: Path) -> None:
    with running_server(tmp_path, name="rest-fuzz", database_url=db_url, RATE_LIMIT_PER_SECOND="0",
                        AUTH_FAILURES_PER_MINUTE="0") as server:
        process_id, run_id = _seed_data(server.base_url, server.headers)
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.read_text() + f"""
[dictionaries.processes]
values = ["{process_id}"]

[dictionaries.runs]
values = ["{run_id}"]

[[operations]]
include-path-regex = "^/v1/processes/\\\\{{id\\\\}}"
parameters = {{ "path.id" = {{ dictionary = "processes", probability = 0.3 }} }}

[[operations]]
include-path-regex = "^/v1/processRuns/"
parameters = {{ "path.id" = {{ dictionary = "runs", probability = 0.5 }} }}
""")
        token = server.headers["Authorization"]
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run",
             f"{server.base_url}/v1/openapi.json", "-H", f"Authorization: {token}", "--checks", "all", "--max-examples",
             str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1", "--request-timeout", "30",
             "--report", "junit", "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=800, check=False, cwd=tmp_path)  # its cache lands there
        output = result.stdout + result.stderr
        print(output[-4000:])
        assert result.returncode == 0, f"schemathesis found problems:\n{output[-20000:]}\n{server.output()[-5000:]}"
        assert " passed" in output and "failures" not in output.split("SUMMARY")[-1].lower(), output[-3000:]
    problems = await check_integrity(engine)
    assert problems == [], "\n".join(problems[:50])
