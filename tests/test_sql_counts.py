"""SQL statements per request of the benchmark's read workloads (issue 7 point 6): a batching regression
fails here, not only in a benchmark run.

The documents are the benchmark's own (bench/workloads/*.graphql, read from disk), the data is shaped like
the benchmark's (bench/dataset.py `process_spec`: 39 groups below each root, 2 jobs in each, certification
jobs with their generated groups, a run per process), and each count is measured with 3 processes and again
with 12 to show that it does not grow with the data. Transaction control is not counted (SqlCounter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import READ, WRITE, Actor, create_user
from app.process import service as process_service
from app.run import service as run_service
from app.settings import DEFAULT_WORKSPACE_ID
from bench.dataset import process_spec
from tests.helpers import GraphQLClient, SqlCounter

WORKLOADS = Path(__file__).resolve().parent.parent / "bench" / "workloads"
TREE = (WORKLOADS / "a_process_tree.graphql").read_text()
LIST_TREES = (WORKLOADS / "b_process_list_trees.graphql").read_text()
SUMMARIES = (WORKLOADS / "c_process_summaries.graphql").read_text()
RUN_TREE = (WORKLOADS / "d_run_tree.graphql").read_text()

# What the workloads cost today; (a)-(c) are issue 7's ceiling, (d) is pinned as measured: the run row,
# the run's groups and its jobs (its status counts come from the jobs' rows, issue 29).
MAX_STATEMENTS = {"a": 3, "b": 3, "c": 3}
RUN_TREE_STATEMENTS = 3


class Dataset:
    """Processes of the benchmark's shape, each started once, created through the service layer."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.process_ids: list[str] = []
        self.run_ids: list[str] = []
        self.users: dict[str, str] = {}
        self.actor: Actor | None = None

    async def grow_to(self, count: int) -> None:
        if self.actor is None:
            for role in ("manager", "assignee", "signer", "approver"):
                self.users[role] = await create_user(self.engine, workspace_id=DEFAULT_WORKSPACE_ID,
                                                     name=f"Bench {role}", email=f"{role}@bench.test")
            self.actor = Actor(user_id=self.users["manager"], workspace_id=DEFAULT_WORKSPACE_ID,
                               scopes=frozenset({READ, WRITE}))
        while len(self.process_ids) < count:
            spec = process_spec(len(self.process_ids), self.users, seed=7)
            row = await process_service.create_process(engine=self.engine, actor=self.actor, spec=spec)
            self.process_ids.append(row.id)
            run = await run_service.start_run(engine=self.engine, actor=self.actor, process_id=row.id)
            self.run_ids.append(run.id)


async def _measure(gql: GraphQLClient, sql: SqlCounter, query: str, variables: dict[str, Any] | None = None
                   ) -> tuple[int, dict[str, Any]]:
    sql.reset()
    data = await gql(query, variables)
    return sql.count, data


def _depth(group: dict[str, Any]) -> int:
    kids = [c for c in group.get("children") or [] if c["__typename"] in ("ProcessGroup", "GroupRun")]
    return 1 + max((_depth(c) for c in kids), default=0)


async def _counts(gql: GraphQLClient, sql: SqlCounter, data: Dataset, processes: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    counts["a"], a = await _measure(gql, sql, TREE, {"id": data.process_ids[-1]})
    root = a["process"]["root"]
    # the whole tree came back (4 group levels, 39 groups and 78 jobs below the root), so it was loaded
    assert _depth(root) == 4
    counts["b"], b = await _measure(gql, sql, LIST_TREES)
    edges = b["processes"]["edges"]
    assert len(edges) == processes
    assert [e["node"]["name"] for e in edges] == sorted(e["node"]["name"] for e in edges)
    assert all(len(e["node"]["process"]["root"]["children"]) == 3 for e in edges)
    counts["c"], c = await _measure(gql, sql, SUMMARIES)
    assert len(c["processes"]["edges"]) == processes
    assert c["processes"]["pageInfo"]["hasNextPage"] is False
    counts["d"], d = await _measure(gql, sql, RUN_TREE, {"id": data.run_ids[-1]})
    assert _depth(d["processRun"]["root"]) == 4
    assert sum(s["count"] for s in d["processRun"]["statusCounts"]) > 78
    return counts


async def test_workload_statement_counts_do_not_grow_with_the_data(
    engine: AsyncEngine, gql_uncached: GraphQLClient, sql: SqlCounter
) -> None:
    """Cold reads (no tree cache: what a read costs when nothing is kept; tests/test_tree_cache.py counts the
    kept ones)."""
    data = Dataset(engine)
    await data.grow_to(3)
    small = await _counts(gql_uncached, sql, data, 3)
    await data.grow_to(12)
    large = await _counts(gql_uncached, sql, data, 12)
    assert small == large, (small, large)
    for workload, ceiling in MAX_STATEMENTS.items():
        assert small[workload] <= ceiling, (workload, small)
    assert small["d"] == RUN_TREE_STATEMENTS, small



async def test_a_page_of_trees_reads_the_jobs_arguments_only_when_it_answers_them(
    engine: AsyncEngine, gql_uncached: GraphQLClient, sql: SqlCounter
) -> None:
    """(b) names no job's name or arguments: its jobs' statement leaves the arguments column out (decoding its
    JSON was a twelfth of the gateway's CPU). A selection that names a job's name reads them, and the names
    are the titles."""
    data = Dataset(engine)
    await data.grow_to(2)
    sql.reset()
    plain = await gql_uncached(LIST_TREES)
    jobs = [s for s in sql.statements if "FROM process_job" in s]
    assert len(jobs) == 1 and "process_job.arguments" not in jobs[0] and "process_job.action" in jobs[0], jobs
    named = LIST_TREES.replace("... on ProcessJob { id ordinal action triggerType revision readOnly }",
                               "... on ProcessJob { id ordinal action triggerType revision readOnly name }")
    assert named != LIST_TREES
    sql.reset()
    with_names = await gql_uncached(named)
    jobs = [s for s in sql.statements if "FROM process_job" in s]
    assert len(jobs) == 1 and "process_job.arguments" in jobs[0], jobs
    edges = with_names["processes"]["edges"]
    job_names = [c["name"] for e in edges for c in e["node"]["process"]["root"]["children"]
                 if c["__typename"] == "ProcessJob"]
    job_names += [g["name"] for e in edges for c in e["node"]["process"]["root"]["children"]
                  if c["__typename"] == "ProcessGroup" for g in c["children"] if g["__typename"] == "ProcessJob"]
    assert job_names and all(job_names), job_names
    # the rest of the answer is the same with and without the arguments read
    assert len(plain["processes"]["edges"]) == len(edges) == 2
