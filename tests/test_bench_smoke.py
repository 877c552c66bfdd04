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


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(240)
def test_the_bench_runs_workload_f_like_real_use_on_sqlite(backend: str, tmp_path: Path) -> None:
    """Workload (f) at a tiny size (issue 29): its own dataset, one connection per user, reads and writes apart,
    no error (the bench exits 1 on any), and each cache's hit rate printed."""
    env = {**os.environ, "BENCH_DIR": str(tmp_path)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "bench"), "--sqlite", "--workloads", "f",
                           "--real-processes", "20", "--real-users", "10", "--duration", "2", "--warmup", "0.5"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=220, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    for part in ("reads", "writes"):
        row = next(line for line in done.stdout.splitlines()
                   if line.startswith(f"| f real use: {part} | processgraph |"))
        assert float(row.split("|")[3].replace(",", "")) > 0, row  # req/s
    for cache in ("tree cache", "kept answers", "token cache"):
        assert re.search(rf"^\(f\) {cache}.* hit rate over the measured run: ", done.stdout, re.M), done.stdout
    assert "| a process tree |" not in done.stdout  # (f) alone: the standard workloads are left out
    assert (tmp_path / "bench-f.db").is_file() and (tmp_path / "sqlite-f.manifest.json").is_file()


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(420)
def test_the_bench_measures_reads_with_a_standby_and_without(backend: str, tmp_path: Path) -> None:
    """`scripts/bench --replicas 1` at a tiny size (issue 30 point 5): a primary and standby of its own, a
    gateway on each side of the comparison, its reads given to the standby, and nothing left behind."""
    env = {**os.environ, "BENCH_DIR": str(tmp_path)}
    before = set(Path("/tmp").glob("bench-pg-*"))
    done = subprocess.run(["bash", str(ROOT / "scripts" / "bench"), "--replicas", "1", "--workloads", "a",
                           "--processes", "10", "--duration", "1", "--warmup", "0.5"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=400, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    alone = next(line for line in done.stdout.splitlines() if line.startswith("| a process tree | primary only |"))
    paired = next(line for line in done.stdout.splitlines() if line.startswith("| a process tree | with 1 standby |"))
    assert float(alone.split("|")[-2].replace(",", "")) == 0, alone  # reads given the standby
    assert float(paired.split("|")[-2].replace(",", "")) > 0, paired
    assert float(paired.split("|")[3].replace(",", "")) > 0, paired  # req/s
    assert set(Path("/tmp").glob("bench-pg-*")) <= before, "the bench left a server's directory behind"
