"""What pauses a workload's requests (issue 29, point 2): `python -m bench.pauses d [--seconds 15]
[--concurrency 16] [--cold] [--database-url URL]` runs the workload in-process against the benchmark's
PostgreSQL dataset (built by scripts/bench) with `concurrency` requests in flight, as the served gateway
does, and prints the latency percentiles beside what stopped the event loop: garbage collections by
generation (gc.callbacks), and the longest stalls of the loop (a ticker's lateness). A tail request is one
at or past p99; the table says how many of them overlapped a collection."""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from typing import Any

from app.api.schema import build_schema
from app.auth.service import READ, WRITE, Actor
from app.db import create_engine
from app.fast.cache import SharedCache
from app.graphql.context import Context
from app.ids import new_id
from app.serve import in_roomy_chunk, settle_heap
from app.settings import DEFAULT_WORKSPACE_ID, load_settings
from bench import dataset
from bench.run import VAR, bodies

DEFAULT_URL = "postgresql+asyncpg://processgraph:processgraph@127.0.0.1:5432/processgraph_bench"


class Collections:
    """Each garbage collection's generation, start and end (perf_counter seconds)."""

    def __init__(self) -> None:
        self.done: list[tuple[int, float, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._start = now
        else:
            self.done.append((info["generation"], self._start, now))


async def ticker(stalls: list[float], stop: asyncio.Event, every: float = 0.001) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(every)
        stalls.append(time.perf_counter() - before - every)


async def run(args: argparse.Namespace) -> None:
    env = {"DATABASE_URL": args.database_url, "DEV_MODE": "false", **({"TREE_CACHE_MB": "0"} if args.cold else {})}
    settings = load_settings(env)
    m = dataset.Manifest.from_json((VAR / "postgresql.manifest.json").read_text())
    engine = create_engine(settings)
    schema = build_schema(settings)
    actor = Actor(user_id=m.manager_id, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE}))
    reqs = bodies(args.workload, m)
    cache = SharedCache(settings.tree_cache_mb * 1024 * 1024)
    spans: list[tuple[float, float]] = []

    async def once(i: int) -> None:
        body = reqs[i % len(reqs)]
        ctx = Context(engine=engine, settings=settings, actor=actor, request_id=new_id(), cache=cache)
        started = time.perf_counter()
        result = await schema.execute(body["query"], variable_values=body.get("variables"), context_value=ctx)
        ctx.loaders.release()
        assert not result.errors, result.errors
        spans.append((started, time.perf_counter()))

    for i in range(50):
        await once(i)
    settle_heap()
    spans.clear()
    collections, stop = Collections(), asyncio.Event()
    stalls: list[float] = []
    gc.callbacks.append(collections)
    deadline = time.perf_counter() + args.seconds

    async def client(k: int) -> None:
        i = k
        while time.perf_counter() < deadline:
            await once(i)
            i += args.concurrency

    tick = asyncio.create_task(ticker(stalls, stop))
    try:
        await asyncio.gather(*(client(k) for k in range(args.concurrency)))
    finally:
        stop.set()
        await tick
        gc.callbacks.remove(collections)
        await engine.dispose()
    report(args, spans, collections.done, stalls)


def report(args: argparse.Namespace, spans: list[tuple[float, float]], done: list[tuple[int, float, float]],
           stalls: list[float]) -> None:
    latencies = sorted(end - start for start, end in spans)
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    tail = [(s, e) for s, e in spans if e - s >= p99]
    print(f"{args.workload}{' (cold)' if args.cold else ''}: {len(spans)} requests in {args.seconds:g} s at "
          f"concurrency {args.concurrency}; p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print("| generation | collections | total ms | longest ms |\n|---|---|---|---|")
    for generation in (0, 1, 2):
        mine = [e - s for g, s, e in done if g == generation]
        print(f"| {generation} | {len(mine)} | {sum(mine) * 1000:.1f} | {max(mine, default=0) * 1000:.1f} |")
    overlapped = sum(1 for s, e in tail if any(cs < e and ce > s for _, cs, ce in done))
    worst = sorted(stalls)[-5:]
    print(f"tail requests (>= p99): {len(tail)}, of which {overlapped} overlapped a collection")
    print(f"event loop stalls: p50 {statistics.median(stalls) * 1000:.2f} ms, longest five "
          f"{', '.join(f'{w * 1000:.1f}' for w in worst)} ms")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.pauses", description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=list("abcd"))
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--cold", action="store_true", help="with the tree and page cache off (TREE_CACHE_MB=0)")
    p.add_argument("--database-url", default=DEFAULT_URL)
    args = p.parse_args()
    in_roomy_chunk(asyncio.run, run(args))


if __name__ == "__main__":
    main()
