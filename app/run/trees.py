"""The repository of run trees' API objects: the kept ones when the fast path's tree layer holds the run at
its tree version (app/fast/trees.py), else built from the rows the request's loader read (once per request).
The types of app/run/types.py ask here and never see a cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.fast.trees import Trees
from app.graphql.context import Loaders
from app.process.trees import FRAGMENT_BYTES, NODE_BYTES
from app.run.dataloaders import RunStatusCountsLoader, RunTreeLoader

# The root, the flat node list and the root's tally, as app/run/types.py build_run_tree makes them.
Parts = tuple[Any, list[Any], dict[str, int]]


def run_tree_version(row: Any) -> int | None:
    """The run row's `tree_version`: it grows with every change of the run's group and job runs."""
    return getattr(row, "tree_version", None)


class KeptRunTree:
    """A run tree's API objects at one version, kept for every request that reads that version: the parts,
    and the run's job runs by status (from all its job run rows)."""

    __slots__ = ("counts", "parts")

    def __init__(self, parts: Parts, counts: dict[str, int]) -> None:
        self.parts, self.counts = parts, counts


def kept_run_tree(loaders: Loaders, run_id: str, version: int | None, exclude_generated: bool | None
                  ) -> KeptRunTree | None:
    """The kept tree of the run at `version` (built with or without generated nodes; None: either)."""
    if version is None:
        return None
    trees = Trees(loaders.shared)
    found: KeptRunTree | None = (trees.get("run", run_id, version, False, True) if exclude_generated is None
                                 else trees.get("run", run_id, version, exclude_generated))
    return found


async def run_tree(loaders: Loaders, row: Any, exclude_generated: bool,
                   build: Callable[[list[Any], list[Any]], Parts]) -> Parts:
    """The parts of the run tree of `row`, kept or built by `build` from its group and job run rows."""
    run_id, version = str(row.id), run_tree_version(row)
    found = kept_run_tree(loaders, run_id, version, exclude_generated)
    if found is not None:
        return found.parts
    key = ("run_tree", run_id, version, exclude_generated)
    built = loaders.built
    if key not in built:
        # keyed by the version too: the rows are read after this run row (see Process._shared)
        groups, jobs = await loaders.get(RunTreeLoader).load((run_id, version))
        built[key] = build(groups, jobs)
        if version is not None:
            _keep(Trees(loaders.shared), run_id, version, exclude_generated, built[key], jobs)
    return built[key]  # type: ignore[no-any-return]


async def status_counts(loaders: Loaders, row: Any, *, from_tree: bool = False) -> dict[str, int]:
    """The run's job runs by status: from its kept tree; else, `from_tree` (the request reads the run's tree
    too), from the tree's job run rows, which the tree's own read loads (the same loader key as `run_tree`);
    else one counting read (batched)."""
    run_id, version = str(row.id), run_tree_version(row)
    found = kept_run_tree(loaders, run_id, version, None)
    if found is not None:
        return found.counts
    if from_tree:
        _groups, jobs = await loaders.get(RunTreeLoader).load((run_id, version))
        return tally(jobs)
    counted: dict[str, int] = await loaders.get(RunStatusCountsLoader).load(run_id)
    return counted


def tally(jobs: list[Any]) -> dict[str, int]:
    """Job run rows by status."""
    out: dict[str, int] = {}
    for j in jobs:
        out[j.status] = out.get(j.status, 0) + 1
    return out


def _keep(trees: Trees, run_id: str, version: int, exclude_generated: bool, parts: Parts, jobs: list[Any]) -> None:
    if not trees.on:
        return
    nodes = len(parts[1])
    parts[0].fragment_memo = trees.keep("run", run_id, version, exclude_generated, KeptRunTree(parts, tally(jobs)),
                                        size=nodes * NODE_BYTES, answer_bytes=nodes * FRAGMENT_BYTES)
