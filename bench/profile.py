"""Profile one workload in-process: `python -m bench.profile a [--n 200] [--sqlite]` prints cProfile's top
functions for `schema.execute` of the workload over the benchmark dataset (built by scripts/bench)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
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


async def run(args: argparse.Namespace) -> None:
    key = "sqlite" if args.sqlite else "postgresql"
    url = f"sqlite+aiosqlite:///{VAR / 'bench.db'}" if args.sqlite else args.database_url
    settings = load_settings({"DATABASE_URL": url, "DEV_MODE": "false", **({"TREE_CACHE_MB": "0"} if args.cold else {})})
    m = dataset.Manifest.from_json((VAR / f"{key}.manifest.json").read_text())
    engine = create_engine(settings)
    schema = build_schema(settings)
    actor = Actor(user_id=m.manager_id, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE}))
    reqs = bodies(args.workload, m)
    cache = SharedCache(settings.tree_cache_mb * 1024 * 1024)  # as the server keeps it (TREE_CACHE_MB)

    async def once(i: int) -> Any:
        body = reqs[i % len(reqs)]
        ctx = Context(engine=engine, settings=settings, actor=actor, request_id=new_id(), cache=cache)
        result = await schema.execute(body["query"], variable_values=body.get("variables"), context_value=ctx)
        assert not result.errors, result.errors
        return result

    for i in range(20):
        await once(i)
    settle_heap()
    started = time.perf_counter()
    cpu = time.process_time()
    prof = cProfile.Profile() if args.profile else None
    if prof:
        prof.enable()
    # In batches: on a busy machine the fastest batch is the least disturbed measure of a change.
    batch = max(1, args.n // args.batches)
    per_batch = []
    for b in range(args.batches):
        batch_cpu = time.process_time()
        for i in range(b * batch, (b + 1) * batch):
            await once(i)
        per_batch.append((time.process_time() - batch_cpu) * 1000 / batch)
    if prof:
        prof.disable()
    done = batch * args.batches
    per_batch.sort()
    print(f"{args.workload}: {(time.perf_counter() - started) * 1000 / done:.2f} ms wall, "
          f"{(time.process_time() - cpu) * 1000 / done:.2f} ms CPU per request (in-process, one at a time); "
          f"batches of {batch}: fastest {per_batch[0]:.3f}, median {per_batch[len(per_batch) // 2]:.3f} ms CPU")
    if prof:
        pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
    await engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("workload")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--sqlite", action="store_true")
    p.add_argument("--database-url", default="")
    p.add_argument("--batches", type=int, default=10, help="measure in this many batches (fastest and median)")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--cold", action="store_true", help="with the tree and page cache off (TREE_CACHE_MB=0)")
    p.add_argument("--sort", default="tottime")
    p.add_argument("--top", type=int, default=35)
    args = p.parse_args()
    in_roomy_chunk(asyncio.run, run(args))


if __name__ == "__main__":
    main()
