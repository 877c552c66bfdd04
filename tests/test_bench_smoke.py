"""The README's benchmark command runs to its end (issue 28): `scripts/bench` on SQLite, one short workload
and the 3,000-item batch rename, whose duration the bench reads from the gateway's request log line. A change
of the log line's format, or of anything else the bench reads, fails here instead of at the end of a
benchmark run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(420)
def test_the_bench_runs_a_short_workload_and_the_batch_rename_on_sqlite(backend: str, tmp_path: Path) -> None:
    env = {**os.environ, "BENCH_DIR": str(tmp_path)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "bench"), "--sqlite", "--workloads", "a", "--processes",
                           "20", "--duration", "1", "--warmup", "0.5"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=400, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    batch = re.search(r"3,000-item batch rename: (\d+) ms of server time", done.stderr)
    assert batch is not None and int(batch.group(1)) > 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| a process tree | processgraph |"))
    requests_per_second = float(row.split("|")[3].replace(",", ""))
    assert requests_per_second > 0, row
    assert (tmp_path / "bench.db").is_file()  # the bench's files went to BENCH_DIR, not the repository's var/
