"""The base class of the generated client: GraphQL over HTTP with httpx, nothing else.

scripts/codegen copies this file into processgraph_client/ (ariadne-codegen's `base_client_file_path`) instead
of ariadne-codegen's default base client, which also carries an optional websockets (subscriptions) part that
does not pass strict mypy. Adapted from ariadne-codegen's `async_base_client.py` and `exceptions.py`
(BSD-3-Clause), without the WebSocket and multipart parts; the generated methods call `execute` and
`get_data` exactly as they call the default's. With a base client of its own ariadne-codegen does not copy its
`exceptions.py`, so the exceptions are here.
"""

from types import TracebackType
from typing import Any, Self, cast

import httpx
from pydantic import BaseModel as PydanticBaseModel
from pydantic_core import to_jsonable_python

from .base_model import UNSET


class GraphQLClientError(Exception):
    """Base exception."""


class GraphQLClientHttpError(GraphQLClientError):
    """A response with a status outside 2xx (401 for a bad token, 413, 429, ...)."""

    def __init__(self, status_code: int, response: httpx.Response) -> None:
        self.status_code = status_code
        self.response = response

    def __str__(self) -> str:
        return f"HTTP status code: {self.status_code}"


class GraphQLClientInvalidResponseError(GraphQLClientError):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def __str__(self) -> str:
        return "Invalid response format."


class GraphQLClientGraphQLError(GraphQLClientError):
    """One entry of a response's GraphQL `errors` (payload `errors` of a mutation are data, not these)."""

    def __init__(
        self,
        message: str,
        locations: list[dict[str, int]] | None = None,
        path: list[str] | None = None,
        extensions: dict[str, object] | None = None,
        original: dict[str, object] | None = None,
    ) -> None:
        self.message = message
        self.locations = locations
        self.path = path
        self.extensions = extensions
        self.original = original

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_dict(cls, error: dict[str, Any]) -> "GraphQLClientGraphQLError":
        return cls(
            message=error["message"],
            locations=error.get("locations"),
            path=error.get("path"),
            extensions=error.get("extensions"),
            original=error,
        )


class GraphQLClientGraphQLMultiError(GraphQLClientError):
    def __init__(self, errors: list[GraphQLClientGraphQLError], data: dict[str, Any] | None = None) -> None:
        self.errors = errors
        self.data = data

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)

    @classmethod
    def from_errors_dicts(
        cls, errors_dicts: list[dict[str, Any]], data: dict[str, Any] | None = None
    ) -> "GraphQLClientGraphQLMultiError":
        return cls(errors=[GraphQLClientGraphQLError.from_dict(e) for e in errors_dicts], data=data)


class AsyncBaseClient:
    """POSTs `{query, operationName, variables}` as JSON to `url`; `headers` go with every request (for
    example `{"Authorization": "Bearer pgt_..."}`). Pass `http_client` to share or configure the httpx
    client; the client closes it on exit either way."""

    def __init__(
        self,
        url: str = "",
        headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.headers = headers
        self.http_client = http_client if http_client else httpx.AsyncClient(headers=headers)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.http_client.aclose()

    async def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one operation; `kwargs` go to `httpx.AsyncClient.post` (headers, timeout, ...)."""
        payload = {
            "query": query,
            "operationName": operation_name,
            "variables": self._convert_dict(variables) if variables else {},
        }
        return await self.http_client.post(url=self.url, json=to_jsonable_python(payload), **kwargs)

    def get_data(self, response: httpx.Response) -> dict[str, Any]:
        """The response's `data`; raises on a non-2xx status, a malformed body or any GraphQL error."""
        if not 200 <= response.status_code <= 299:
            raise GraphQLClientHttpError(status_code=response.status_code, response=response)
        try:
            body = response.json()
        except ValueError as exc:
            raise GraphQLClientInvalidResponseError(response=response) from exc
        if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
            raise GraphQLClientInvalidResponseError(response=response)
        data = body.get("data")
        errors = body.get("errors")
        if errors:
            raise GraphQLClientGraphQLMultiError.from_errors_dicts(errors_dicts=errors, data=data)
        return cast(dict[str, Any], data)

    def _convert_dict(self, values: dict[str, Any]) -> dict[str, Any]:
        # Unset optional arguments are left out, so the server applies its defaults.
        return {key: self._convert_value(value) for key, value in values.items() if value is not UNSET}

    def _convert_value(self, value: Any) -> Any:
        if isinstance(value, PydanticBaseModel):
            # Inputs by their GraphQL names; fields never set are left out (a @oneOf input sends one field).
            return value.model_dump(by_alias=True, exclude_unset=True)
        if isinstance(value, list):
            return [self._convert_value(item) for item in value]
        return value
