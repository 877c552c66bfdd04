"""The ASGI application: Starlette, with the GraphQL endpoint at /graphql behind the gateway middleware."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import ExecutionResult, GraphQLError
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType

from app import ops, rest
from app.api.federation import build_subgraph_schema
from app.api.schema import build_schema
from app.auth.oidc import OidcUsers, OidcVerifier
from app.auth.service import Actor, ActorResolver, AuthError, Oidc
from app.budget import OverBudget, within_budget
from app.bus import listening
from app.connectivity import RETRY_AFTER_SECONDS, is_unavailable, unavailable_error
from app.db import create_engine, is_sqlite
from app.errors import INTERNAL, METHOD_NOT_ALLOWED, UNAVAILABLE, VALIDATION_ERROR, AppError
from app.fast.answers import Answers, Captured
from app.fast.cache import SharedCache
from app.fast.recording import Recording, count_statement, recorded
from app.fast.recording import current as recording_now
from app.graphql import persisted
from app.graphql.context import Context, Loaders
from app.graphql.errors import error_extensions
from app.graphql.ide import STATIC_PREFIX, GraphiQLPage, is_loopback
from app.http import (
    CODE_OF_STATUS,
    GatewayMiddleware,
    Straight,
    TokenBucket,
    allowed_origins,
    cors,
    error_body,
    http_error,
    internal_error,
    number_beyond_orjson,
)
from app.ids import new_id
from app.lifecycle import Lifecycle
from app.lsn import EXTENSION, HEADER, Tracked, lsn_text
from app.notify import scheduler
from app.replicas import READ_ENGINE, Replicas
from app.settings import Settings

log = logging.getLogger("processgraph")
NOBODY = Actor(user_id="", workspace_id="", scopes=frozenset())
GRAPHQL_RESPONSE = "application/graphql-response+json"


def accepts_graphql_response(accept: str) -> bool:
    """Content negotiation of GraphQL over HTTP: the newer media type when the client ranks it at least
    as high as application/json (and when it names no other)."""
    ranks: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranks[media.lower()] = max(q, ranks.get(media.lower(), 0.0))
    wanted = ranks.get(GRAPHQL_RESPONSE, 0.0)
    return wanted > 0 and wanted >= ranks.get("application/json", 0.0)


def _unavailable_throughout(body: Any, result: Any) -> bool:
    """Every error is UNAVAILABLE and nothing was answered (no data, or every root field null)."""
    errors = getattr(result, "errors", None)
    if not errors or any((e.extensions or {}).get("code") != UNAVAILABLE for e in errors):
        return False
    data = body.get("data") if isinstance(body, dict) else None
    return data is None or all(value is None for value in data.values())


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go out as text frames. Strawberry sends binary frames when
    encode_json returns bytes (ours does, for HTTP), and a browser's graphql-ws client (GraphiQL's)
    cannot read those: it fails with "Message is missing the 'type' property". Every socket is tracked by
    the process's lifecycle, which closes it with 1012 when the process drains (app/lifecycle.py)."""

    def __init__(self, view: Any, request: Any, response: Any) -> None:
        super().__init__(view, request, response)
        view.state["lifecycle"].track(response)

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return  # we closed it (draining, or a stalled subscriber): the client resumes by sequence
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class MethodNotAllowed(HTTPException):
    """A mutation sent with GET: GraphQL over HTTP requires 405 with `Allow: POST` (and no execution)."""

    def __init__(self) -> None:
        super().__init__(405, "Mutations are not allowed with GET; send them with POST.")


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context: engine, settings, acting user, request id."""

    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(self, *, settings: Settings, state: dict[str, Any], dev_token: str | None) -> None:
        # With FEDERATION on, /graphql is a Federation v2 subgraph: the public schema with `_service`, `_entities`
        # and the entity keys (docs/federation.md).
        schema = build_subgraph_schema(settings) if settings.federation else build_schema(settings)
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None,
                         # Only graphql-transport-ws: the legacy graphql-ws subprotocol is refused.
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
                         # A browser's WebSocket from another origin must be listed (Strawberry refuses the
                         # handshake otherwise); the gateway's own origin and clients without Origin pass.
                         allowed_origins=allowed_origins(settings))
        self.settings = settings
        self.state = state
        self.metrics: ops.Metrics = state["metrics"]
        self.persisted = persisted.PersistedQueries(trusted_file=settings.trusted_documents_file)
        self.answers = (Answers(settings.answer_cache_mb * 1024 * 1024, lambda: state["engine"], self.metrics,
                                settings.request_timeout_seconds)
                        if settings.answer_cache_mb > 0 and not is_sqlite(settings.database_url) else None)
        state["answers"] = self.answers
        # The demo token reaches the page only in development mode on a loopback address.
        show = dev_token if settings.dev_mode and is_loopback(settings.host) else None
        self.ide = (GraphiQLPage(node_modules=Path(settings.graphiql_assets_dir), token=show)
                    if settings.graphiql else None)

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """One operation within the request time budget; past it, a TIMEOUT error and its writes rolled back.
        Every operation is counted and logged (app/ops.py)."""
        started = time.perf_counter()
        context = kwargs.get("context")
        request_data = kwargs.get("request_data")
        result: Any = None
        refused = persisted.refusal(request_data)
        if refused is not None:  # an unknown persisted-query hash, a mismatch, or an untrusted document
            result = ExecutionResult(data=None, errors=[GraphQLError(
                refused["message"], extensions={"code": refused["code"], "message": refused["message"]})])
            ops.record(self.metrics, operation=None, started=started, result=result,
                       request_id=getattr(context, "request_id", ""), user_id=None)
            return result
        if (recording := recording_now()) is not None:
            recording.operations += 1
            recording.operation = getattr(request_data, "operation_name", None)
        if isinstance(context, Context):
            context.read_from = None  # set again if this operation is a query
        try:
            with Tracked(self.state.get("replicas") is not None) as written:
                async with within_budget(self.settings.request_timeout_seconds):
                    result = await super().execute_single(*args, **kwargs)
                    if result.errors and isinstance(context, Context) and self._standby_failed(context, result):
                        # A standby that errs (a conflict with recovery, a fault past the retried connection):
                        # the query once more, on the primary (app/replicas.py), with loaders of its own.
                        context.request.scope[READ_ENGINE] = self.state["engine"]
                        context.loaders.release()
                        if recording is not None:
                            recording.tainted = True
                        result = await super().execute_single(*args, **kwargs)
                    if recording is not None:  # not with errors, nor a persisted query (the store may change)
                        recording.clean = not result.errors and not getattr(request_data, "extensions", None)
            if written.lsn:  # read-your-writes: the client brings it back on its next reads (app/lsn.py)
                result.extensions = {**(result.extensions or {}), EXTENSION: lsn_text(written.lsn)}
                if isinstance(context, Context) and isinstance(context.response, Response):
                    context.response.headers[HEADER] = lsn_text(written.lsn)
                    context.request.scope[READ_ENGINE] = self.state["engine"]  # a batch's later queries
            return result
        except HTTPException as exc:
            cause = exc.__cause__
            if isinstance(cause, InvalidOperationTypeError) and cause.operation_type is OperationType.MUTATION:
                raise MethodNotAllowed from exc
            raise
        except OverBudget as exc:
            (error,) = exc.errors
            result = ExecutionResult(data=None, errors=[GraphQLError(error.message, extensions=error_extensions(error))])
            return result
        finally:
            if isinstance(context, Context):
                context.loaders.release()
            ops.record(self.metrics, operation=getattr(request_data, "operation_name", None), started=started,
                       result=result, request_id=getattr(context, "request_id", ""),
                       user_id=getattr(getattr(context, "actor", None), "user_id", None) or None)

    def _standby_failed(self, context: Context, result: Any) -> bool:
        """A query a standby served failed in a way the primary may not (INTERNAL or UNAVAILABLE)."""
        replicas, chosen = self.state.get("replicas"), context.read_from
        if replicas is None or chosen is None or chosen is self.state["engine"]:
            return False
        codes = [(e.extensions or {}).get("code") for e in result.errors]
        if not any(code in (INTERNAL, UNAVAILABLE) for code in codes):
            return False
        log.warning("a query served by a standby failed (%s); it runs again on the primary", ", ".join(map(str, codes)))
        replicas.retried += 1
        return True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Strawberry's ASGI entry, with a 405 in the seed's Error shape and an `Allow` header."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        answers = self.answers
        key = None if answers is None else answers.key(scope)
        if answers is None or key is None:
            await self.answer(scope, receive, send)
            return
        engine = None
        if (replicas := self.state.get("replicas")) is not None and answers.holds(key):
            # A kept answer is a query's: a standby may serve it (app/replicas.py), and the whole way takes the
            # same engine if its rows changed (app/graphql/context.py standby_engine).
            engine = scope[READ_ENGINE] = await replicas.engine_for(Headers(scope=scope).get(HEADER))
        if await answers.give(key, send, engine):
            return  # a repeated query whose statements returned the same rows (app/fast/answers.py)
        recording, captured = Recording(), Captured(send)
        with recorded(recording):
            await self.answer(scope, receive, captured)
        answers.keep(key, recording, captured)

    async def answer(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            response = await self.run(Request(scope, receive=receive))
        except MethodNotAllowed as exc:
            response = Response(error_body(AppError(METHOD_NOT_ALLOWED, exc.reason, "method")), status_code=405,
                                headers={"Allow": "POST"}, media_type="application/json")
        except HTTPException as exc:  # a request GraphQL cannot read: the Error shape, never text/plain
            response = Response(error_body(AppError(CODE_OF_STATUS.get(exc.status_code, VALIDATION_ERROR), exc.reason,
                                                    "body")), status_code=exc.status_code,
                                media_type="application/json")
        await response(scope, receive, send)

    async def on_ws_connect(self, context: Context) -> None:
        """graphql-transport-ws: authenticate `{"Authorization": "Bearer <token>"}` from connection_init."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        auth = params.get("Authorization") or params.get("authorization")
        try:
            actor = await self.state["actors"].resolve(authorization=auth if isinstance(auth, str) else None)
        except AuthError as exc:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": exc.reason}) from exc
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            raise ConnectionRejectionError({"code": UNAVAILABLE, "message": unavailable_error().message}) from exc
        context.actor = actor
        context.loaders = Loaders(context.engine, actor, context.cache)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET by persisted-query hash carries no `query` either: it is an operation, not the IDE.
        return bool(super().should_render_graphql_ide(request)) and "extensions" not in request.query_params

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
        for one in data if isinstance(data, list) else (data,):
            if not isinstance(getattr(one, "operation_name", None), str | None):  # Strawberry checks the others
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, "
                                    "if provided.")
        if isinstance(data, list):
            return data
        return self.persisted.resolve(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson refuses what the standard decoder lets through: lone surrogates, bodies that are not
        UTF-8, nesting past 1024 levels. A body must be a JSON object (or a batch array). (The gateway
        middleware already answered NUL characters and lone surrogates with a JSON error.)"""
        raw = data.encode() if isinstance(data, str) else data
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if not number_beyond_orjson(exc):
                raise json.JSONDecodeError(str(exc), raw.decode("latin-1"), 0) from exc
            try:  # huge integers and numbers past a double are valid JSON; GraphQL coercion answers them
                value = json.loads(raw)
            except (RecursionError, ValueError) as again:
                raise json.JSONDecodeError(str(again), raw.decode("latin-1"), 0) from again
        if not isinstance(value, dict | list):
            raise json.JSONDecodeError("the body is not a JSON object", raw.decode("latin-1"), 0)
        return value

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Any) -> Response:
        assert self.ide is not None  # Strawberry renders the IDE only when it was given one
        return self.ide.response()

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.headers.get("content-type", "").startswith(GRAPHQL_RESPONSE):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    async def process_result(self, request: Any, result: Any) -> Any:
        """Under application/graphql-response+json (GraphQL over HTTP), a request that failed before
        execution (unparsable, invalid, bad variables, over a limit) answers 400 without `data`."""
        body = await super().process_result(request, result)
        response = request.scope.get("processgraph_response")
        if response is not None and _unavailable_throughout(body, result):
            response.status_code = 503  # the whole request met a database fault: retryable
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        sub_response = request.scope.get("processgraph_sub_response")
        if (sub_response is not None and isinstance(body, dict) and body.get("data") is None and result.errors
                and all(e.path is None for e in result.errors)
                and sub_response.headers.get("content-type", "").startswith(GRAPHQL_RESPONSE)):
            body.pop("data", None)
            sub_response.status_code = 400
        return body

    async def get_context(self, request: Any, response: Any) -> Context:
        if isinstance(response, Response) and accepts_graphql_response(request.headers.get("accept", "")):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            request.scope["processgraph_sub_response"] = response
        request_id = new_id()
        if isinstance(response, Response):  # on a WebSocket there is no response to mark
            response.headers["X-Request-Id"] = request_id
            request.scope["processgraph_response"] = response
        # The gateway middleware put the authenticated actor here; only the GraphiQL page itself comes
        # without one, and an actor without scopes can run nothing.
        actor = request.scope.get("state", {}).get("actor") or NOBODY
        return Context(engine=self.state["engine"], settings=self.settings, actor=actor, request_id=request_id,
                       request=request, response=response, cache=self.state["tree_cache"],
                       replicas=self.state.get("replicas"))


def create_app(settings: Settings, *, dev_token: str | None = None) -> Starlette:
    """Build the application; the lifespan owns the database engine, the token cache and the background
    tasks (`state["lifecycle"]`, app/lifecycle.py; also `app.state.lifecycle` for the server)."""
    lifecycle = Lifecycle()
    state: dict[str, Any] = {"metrics": ops.Metrics(), "lifecycle": lifecycle,
                             "tree_cache": SharedCache(settings.tree_cache_mb * 1024 * 1024)}

    def instrument(engine: Any) -> None:
        """The statement counts of /metrics and of a recorded request (app/fast/recording.py), on the primary's
        engine and on each standby's."""
        ops.count_statements(state["metrics"], engine)
        event.listen(engine.sync_engine, "before_cursor_execute", count_statement)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        instrument(engine)
        state["engine"] = engine
        replicas = state["replicas"] = Replicas(settings, engine, instrument) if settings.read_database_urls else None
        if replicas is not None:
            await replicas.start()
        if state["answers"] is not None:
            state["answers"].closed = False
        oidc = (Oidc(verifier=OidcVerifier(settings), users=OidcUsers(engine=engine, settings=settings))
                if settings.oidc_issuer else None)
        state["actors"] = ActorResolver(engine=engine, cache_seconds=settings.token_cache_seconds, oidc=oidc,
                                        cache_size=settings.token_cache_size)
        delivery = None
        if settings.smtp_url is not None and settings.notify_delivery:
            from app.notify.worker import DeliveryWorker

            delivery = DeliveryWorker(engine, settings, on_counts=state["metrics"].count_delivery)
            delivery.start()
        try:
            async with listening(settings.listen_database_url or settings.database_url), \
                    scheduler.running(engine, settings):
                try:
                    yield
                finally:
                    await lifecycle.stop_background()
        finally:
            if delivery is not None:
                await delivery.stop()
            if state["answers"] is not None:
                await state["answers"].close()  # its spare connections, back to the pool
            if replicas is not None:
                await replicas.close()
            await engine.dispose()

    graphql_app = GraphQLApp(settings=settings, state=state, dev_token=dev_token)
    limiter = (TokenBucket(rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
               if settings.rate_limit_per_second > 0 else None)
    auth_failures = (TokenBucket(rate=settings.auth_failures_per_minute / 60, burst=settings.auth_failure_burst)
                     if settings.auth_failures_per_minute > 0 else None)
    guarded = GatewayMiddleware(graphql_app, resolver=lambda: state["actors"], max_body_bytes=settings.max_body_bytes,
                                rate_limiter=limiter, auth_failures=auth_failures)

    async def index(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    routes = [Route("/", index), Route("/graphql", guarded, methods=["GET", "POST"]),
              WebSocketRoute("/graphql", graphql_app), Route("/healthz", ops.healthz),
              Route("/readyz", ops.readyz_endpoint(state, settings)),
              Route("/metrics", ops.metrics_endpoint(state["metrics"], state))]
    routes += rest.routes(state=state, settings=settings, guard=lambda app: GatewayMiddleware(
        app, resolver=lambda: state["actors"], max_body_bytes=settings.max_body_bytes, rate_limiter=limiter,
        auth_failures=auth_failures, graphql=False),
        dev_token=dev_token if settings.dev_mode and is_loopback(settings.host) else None)
    if graphql_app.ide is not None:  # GraphiQL's own files, from the allow-list in app/graphql/ide.py
        routes.append(Route(STATIC_PREFIX + "{path:path}", graphql_app.ide.static, methods=["GET", "HEAD"]))
    # GET and POST /graphql past Starlette's exception middleware and router (app/http.py Straight); the
    # route stays for the methods it refuses.
    app = Starlette(routes=routes, middleware=[cors(settings), Middleware(Straight, path="/graphql", to=guarded)],
                    exception_handlers={Exception: internal_error, StarletteHTTPException: http_error},
                    lifespan=lifespan)
    app.state.lifecycle = lifecycle
    return app
