"""Operations endpoints and request telemetry: /healthz, /readyz, /metrics, one JSON log line per request."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from alembic.script import ScriptDirectory
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import column, event, select, table
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.bus import bus
from app.db import reader
from app.migrate import alembic_config
from app.settings import Settings

request_log = logging.getLogger("processgraph.requests")
VERSION = table("alembic_version", column("version_num"))


class Metrics:
    """The gateway's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("processgraph_requests_total", "Requests by operation: GraphQL operation name, or REST method and path.",
                                ["operation"], registry=self.registry)
        self.latency = Histogram("processgraph_request_seconds", "Request duration in seconds (GraphQL and REST).",
                                 registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.errors = Counter("processgraph_errors_total", "Errors by code (GraphQL top level and payloads, REST responses).",
                              ["code"], registry=self.registry)
        self.pool = Gauge("processgraph_db_pool_checked_out", "Database connections in use.", registry=self.registry)
        self.statements = Counter("processgraph_sql_statements_total", "SQL statements sent to the database.",
                                  registry=self.registry)
        self.subscriptions = Gauge("processgraph_active_subscriptions", "Open run subscriptions in this process.",
                                   registry=self.registry)
        self.emails = Counter("processgraph_notification_emails_total",
                              "Notification emails handled by this process's delivery loop, by outcome "
                              "(sent, retried, failed).", ["outcome"], registry=self.registry)

        self.cache_bytes = Gauge("processgraph_tree_cache_bytes", "Estimated bytes held by this process's tree "
                                 "cache (at most TREE_CACHE_MB).", registry=self.registry)
        self.cache_entries = Gauge("processgraph_tree_cache_entries", "Trees, run trees and summaries held by this "
                                   "process's tree cache.", registry=self.registry)
        self.cache_lookups = Gauge("processgraph_tree_cache_lookups", "Lookups of this process's tree cache since "
                                   "it started, by result (hit, miss).", ["result"], registry=self.registry)
        self.answer_bytes = Gauge("processgraph_answer_cache_bytes", "Estimated bytes of the answers of repeated "
                                  "queries kept by this process (at most ANSWER_CACHE_MB).", registry=self.registry)
        self.answer_entries = Gauge("processgraph_answer_cache_entries", "Answers of repeated queries kept by this "
                                    "process.", registry=self.registry)
        self.answer_lookups = Gauge("processgraph_answer_cache_lookups", "Requests that looked for a kept answer "
                                    "since the process started, by result: given (its statements returned the same "
                                    "rows), changed (they did not), none (no answer kept).", ["result"],
                                    registry=self.registry)
        self.replica_reads = Gauge("processgraph_replica_reads", "Read requests since the process started, by the "
                                   "server chosen for them with READ_DATABASE_URLS (standby, primary), and those a standby "
                                   "failed, run again on the primary (retried).", ["server"],
                                   registry=self.registry)
        self.replicas_usable = Gauge("processgraph_replicas_usable", "Standbys that may serve reads now (reached, in "
                                     "recovery, within MAX_REPLICA_LAG).", registry=self.registry)
        self.token_lookups = Gauge("processgraph_token_cache_lookups", "Bearer tokens this process's token cache "
                                   "was asked for since it started, by result (hit, miss: looked up).", ["result"],
                                   registry=self.registry)

        # The labelled children by operation name: `labels()` takes a lock and builds its key on every call.
        self._by_operation: dict[str, Any] = {}

    def count_request(self, operation: str, elapsed: float) -> None:
        counter = self._by_operation.get(operation)
        if counter is None:
            if len(self._by_operation) >= 1000:  # operation names are the clients' to choose: bounded
                self._by_operation.clear()
            counter = self._by_operation[operation] = self.requests.labels(operation=operation)
        counter.inc()
        self.latency.observe(elapsed)

    def count_delivery(self, counts: Any) -> None:
        for outcome in ("sent", "retried", "failed"):
            if getattr(counts, outcome):
                self.emails.labels(outcome).inc(getattr(counts, outcome))


def count_statements(metrics: Metrics, engine: AsyncEngine) -> None:
    """Count every statement the engine sends (an executemany counts once), for /metrics and the benchmark."""
    inc = metrics.statements.inc

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        inc()


def _codes(result: Any) -> list[str]:
    codes = [str((e.extensions or {}).get("code", "GRAPHQL")) for e in getattr(result, "errors", None) or []]
    data = getattr(result, "data", None)
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, dict):
                codes += [str(e.get("code")) for e in value.get("errors") or [] if isinstance(e, dict)]
    return codes


def record(metrics: Metrics, *, operation: str | None, started: float, result: Any, request_id: str,
           user_id: str | None, codes: list[str] | None = None) -> None:
    """Count one request and write its log line (never the token). GraphQL passes its result; the REST door
    (operation `GET /v1/processes/{id}`, ...) passes the error codes it answered with."""
    elapsed = time.perf_counter() - started
    name = operation or "anonymous"
    codes = _codes(result) if codes is None else codes
    metrics.count_request(name, elapsed)
    for code in codes:
        metrics.errors.labels(code=code).inc()
    if request_log.isEnabledFor(logging.INFO):
        request_log.info(orjson.dumps({"requestId": request_id, "operation": name,
                                       "durationMs": round(elapsed * 1000, 2), "status": "error" if codes else "ok",
                                       "errorCodes": codes, "userId": user_id}).decode())


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readyz_endpoint(state: dict[str, Any], settings: Settings) -> Any:
    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()

    async def readyz(_request: Request) -> Response:
        if state["lifecycle"].draining:  # shutting down: the load balancer takes this process out
            return JSONResponse({"status": "draining"}, status_code=503)
        try:
            async with reader(state["engine"]).connect() as conn:
                current = (await conn.execute(select(VERSION.c.version_num))).scalar_one_or_none()
        except Exception as exc:  # the database is unreachable: not ready
            return JSONResponse({"status": "unavailable", "database": "unreachable", "error": type(exc).__name__,
                                 "reason": f"the database did not answer: {str(exc)[:200]}"}, status_code=503)
        if current != head:
            return JSONResponse({"status": "unavailable", "database": "reachable", "migration": current,
                                 "expected": head}, status_code=503)
        return JSONResponse({"status": "ok", "database": "reachable", "migration": current})
    return readyz


def metrics_endpoint(metrics: Metrics, state: dict[str, Any]) -> Any:
    async def endpoint(_request: Request) -> Response:
        engine = state.get("engine")
        if engine is not None:
            metrics.pool.set(getattr(engine.pool, "checkedout", lambda: 0)())
        metrics.subscriptions.set(bus.watcher_count)
        cache = state.get("tree_cache")
        if cache is not None:
            metrics.cache_bytes.set(cache.size)
            metrics.cache_entries.set(len(cache))
            metrics.cache_lookups.labels("hit").set(cache.hits)
            metrics.cache_lookups.labels("miss").set(cache.misses)
        answers = state.get("answers")
        if answers is not None:
            metrics.answer_bytes.set(answers.kept.size)
            metrics.answer_entries.set(len(answers.kept))
            metrics.answer_lookups.labels("given").set(answers.given)
            metrics.answer_lookups.labels("changed").set(answers.changed)
            metrics.answer_lookups.labels("none").set(answers.kept.misses)
        replicas = state.get("replicas")
        if replicas is not None:
            metrics.replica_reads.labels("standby").set(replicas.to_standby)
            metrics.replica_reads.labels("primary").set(replicas.to_primary)
            metrics.replica_reads.labels("retried").set(replicas.retried)
            metrics.replicas_usable.set(len(replicas.usable()))
        actors = state.get("actors")
        if actors is not None:
            metrics.token_lookups.labels("hit").set(actors.hits)
            metrics.token_lookups.labels("miss").set(actors.misses)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
    return endpoint
