"""The ASGI application: Starlette, with the GraphQL endpoint at /graphql behind the gateway middleware."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app import ops, rest
from app.auth.service import Actor, ActorResolver, AuthError
from app.bus import listening
from app.db import create_engine
from app.errors import TIMEOUT, AppError
from app.graphql import persisted
from app.graphql.context import Context, Loaders
from app.graphql.errors import error_extensions
from app.graphql.ide import STATIC_PREFIX, GraphiQLPage, is_loopback
from app.graphql.schema import build_schema
from app.http import GatewayMiddleware, TokenBucket, number_beyond_orjson
from app.ids import new_id
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


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go out as text frames. Strawberry sends binary frames when
    encode_json returns bytes (ours does, for HTTP), and a browser's graphql-ws client (GraphiQL's)
    cannot read those: it fails with "Message is missing the 'type' property"."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context: engine, settings, acting user, request id."""

    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(self, *, settings: Settings, state: dict[str, Any], dev_token: str | None) -> None:
        super().__init__(build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None,
                         # Only graphql-transport-ws: the legacy graphql-ws subprotocol is refused.
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         max_subscriptions_per_connection=settings.max_subscriptions_per_connection)
        self.settings = settings
        self.state = state
        self.metrics: ops.Metrics = state["metrics"]
        self.persisted = persisted.PersistedQueries(trusted_file=settings.trusted_documents_file)
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
        try:
            async with asyncio.timeout(self.settings.request_timeout_seconds):
                result = await super().execute_single(*args, **kwargs)
                return result
        except TimeoutError:
            limit = self.settings.request_timeout_seconds
            error = AppError(TIMEOUT, f"The request took longer than its {limit:g} s budget and was stopped; "
                             "nothing it wrote was kept.", None, {"limitSeconds": limit})
            result = ExecutionResult(data=None, errors=[GraphQLError(error.message, extensions=error_extensions(error))])
            return result
        finally:
            if isinstance(context, Context):
                context.loaders.release()
            ops.record(self.metrics, operation=getattr(request_data, "operation_name", None), started=started,
                       result=result, request_id=getattr(context, "request_id", ""),
                       user_id=getattr(getattr(context, "actor", None), "user_id", None) or None)

    async def on_ws_connect(self, context: Context) -> None:
        """graphql-transport-ws: authenticate `{"Authorization": "Bearer <token>"}` from connection_init."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        auth = params.get("Authorization") or params.get("authorization")
        try:
            actor = await self.state["actors"].resolve(authorization=auth if isinstance(auth, str) else None)
        except AuthError as exc:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": exc.reason}) from exc
        context.actor = actor
        context.loaders = Loaders(context.engine, actor)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET by persisted-query hash carries no `query` either: it is an operation, not the IDE.
        return bool(super().should_render_graphql_ide(request)) and "extensions" not in request.query_params

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
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
        # The gateway middleware put the authenticated actor here; only the GraphiQL page itself comes
        # without one, and an actor without scopes can run nothing.
        actor = request.scope.get("state", {}).get("actor") or NOBODY
        return Context(engine=self.state["engine"], settings=self.settings, actor=actor, request_id=request_id,
                       request=request, response=response)


def create_app(settings: Settings, *, dev_token: str | None = None) -> Starlette:
    """Build the application; the lifespan owns the database engine and the token cache."""
    state: dict[str, Any] = {"metrics": ops.Metrics()}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        ops.count_statements(state["metrics"], engine)
        state["engine"] = engine
        state["actors"] = ActorResolver(engine=engine, cache_seconds=settings.token_cache_seconds)
        try:
            async with listening(settings.database_url):
                yield
        finally:
            await engine.dispose()

    graphql_app = GraphQLApp(settings=settings, state=state, dev_token=dev_token)
    limiter = (TokenBucket(rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
               if settings.rate_limit_per_second > 0 else None)
    guarded = GatewayMiddleware(graphql_app, resolver=lambda: state["actors"], max_body_bytes=settings.max_body_bytes,
                                rate_limiter=limiter)

    async def index(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    routes = [Route("/", index), Route("/graphql", guarded, methods=["GET", "POST"]),
              WebSocketRoute("/graphql", graphql_app), Route("/healthz", ops.healthz),
              Route("/readyz", ops.readyz_endpoint(state, settings)),
              Route("/metrics", ops.metrics_endpoint(state["metrics"], state))]
    routes += rest.routes(state=state, settings=settings, guard=lambda app: GatewayMiddleware(
        app, resolver=lambda: state["actors"], max_body_bytes=settings.max_body_bytes, rate_limiter=limiter,
        graphql=False))
    if graphql_app.ide is not None:  # GraphiQL's own files, from the allow-list in app/graphql/ide.py
        routes.append(Route(STATIC_PREFIX + "{path:path}", graphql_app.ide.static, methods=["GET", "HEAD"]))
    return Starlette(
        routes=routes,
        lifespan=lifespan,
    )
