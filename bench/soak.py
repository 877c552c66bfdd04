"""`scripts/bench --soak MINUTES`: the write mix and reads on the cluster (gateways behind HAProxy) at about
70% of its measured capacity for MINUTES, printing per interval the request rate, p99, errors and each
gateway's resident memory, then the memory growth after the warm-up (the first interval is the warm-up).

The capacity is measured first with the same mix unpaced (15 s). The load is one separate process
(bench/load.py, scenario `mix`: the write cycle on a quarter of the connections, reads (a), (c) and (d) on
the others, one shared schedule at the target rate).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from app.settings import ROOT
from bench import dataset
from bench.run import VAR, bodies, clustered, drive, log, rss_bytes, write_spec


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def run(args: argparse.Namespace, url: str, m: dataset.Manifest) -> int:
    minutes = float(args.soak)
    gateways = args.cluster or 3
    interval = max(10.0, min(60.0, minutes * 60 / 20))
    with clustered(url, gateways=gateways, token=m.token) as gw:
        spec: dict[str, Any] = {**write_spec(gw, m, args.concurrency), "scenario": "mix",
                                "bodies": bodies("a", m) + bodies("c", m) + bodies("d", m)}
        capacity = drive({**spec, "duration": 15.0})
        rate = 0.7 * capacity["rps"]
        log(f"capacity of the mix on {gateways} gateways: {capacity['rps']:.0f} req/s "
            f"({capacity['errors']} errors); soaking at {rate:.0f} req/s for {minutes:g} min")
        path = VAR / "soak-spec.json"
        path.write_text(json.dumps({**spec, "duration": minutes * 60, "rate": rate, "interval": interval}))
        names = [f"gateway{i + 1} RSS MB" for i in range(len(gw.pids))]
        print(row(["t s", "req/s", "p99 ms", "errors", *names]))
        print("|" + "---|" * (4 + len(names)), flush=True)
        samples: list[list[float]] = []
        errors = 0
        with subprocess.Popen([sys.executable, "-m", "bench.load", str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) as load:
            assert load.stdout is not None
            final: dict[str, Any] = {}
            for line in load.stdout:
                doc = json.loads(line)
                if not doc.get("interval"):
                    final = doc
                    continue
                rss = [rss_bytes(pid) / 2**20 for pid in gw.pids]
                samples.append(rss)
                errors += doc["errors"]
                print(row([f"{doc['t']:.0f}", f"{doc['rps']:.0f}", f"{doc['p99_ms']:.0f}", str(doc["errors"]),
                           *(f"{r:.0f}" for r in rss)]), flush=True)
        if load.returncode != 0:
            log("the load process failed")
            return 1
    for label, start in (("the first interval", 0), ("the first third of the run", len(samples) // 3)):
        if len(samples) - start >= 2:
            growth = [(last - first) / first * 100 for first, last in zip(samples[start], samples[-1], strict=True)]
            log(f"RSS growth after {label}: " + ", ".join(f"gateway{i + 1} {g:+.1f}%" for i, g in enumerate(growth)))
    log(f"{final.get('requests', 0)} requests, {errors} errors"
        + (f", first: {final.get('first_error')}" if errors else ""))
    return 1 if errors else 0
