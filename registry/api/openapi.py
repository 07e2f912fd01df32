"""The OpenAPI document: every error status each operation can answer, with the error body.

FastAPI documents a route's success response, the bearer scheme of routes that depend on
:func:`~registry.api.deps.get_current_org`, and a 422 in its own shape. The registry answers every
error with :class:`~registry.api.errors.ErrorBody` instead, with statuses that follow from what a
route depends on. :func:`install_openapi` makes ``app.openapi`` add them, so a route gets them
without listing them in its decorator:

- every operation: 422 (invalid input, ``field`` names it; a URL holding NUL is refused by
  :mod:`registry.api.nul` before routing), 429 (a client over a rate limit) and 503 (the
  database or the chain faulted);
- an authenticated one (its dependencies reach ``get_current_org``): 401 and 403;
- one with path parameters or a body: 404 (a named or referenced record does not exist), as a
  page too when the route serves pages (its 200 is ``text/html``);
- one with a body: 413 (the body is over the size limit);
- one that is not ``GET``/``HEAD``: 409 (it conflicts with the current state).

A status a route lists in ``responses`` keeps its description and, when it gives one, its content;
an error status listed without content gets the error body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from registry.api.deps import get_current_org
from registry.api.errors import ErrorBody

__all__ = [
    "ERROR_DESCRIPTIONS",
    "ERROR_SCHEMA",
    "PAGE_OR_ERROR_404",
    "error_statuses",
    "install_openapi",
]

#: What each documented error status means for the registry.
ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "No API key, a malformed `Authorization` header, or an unknown or revoked key.",
    403: "The caller's organisation may not do this (its role, or another's record).",
    404: "The named or referenced record does not exist.",
    409: "The request conflicts with the current state (a duplicate, already revoked, ...).",
    413: "The request body is over the size limit.",
    422: "Invalid input: `error.field` names the offending field, `error.details` lists all.",
    429: "Too many requests (or failed authentications) from this client: see `Retry-After`.",
    503: "The database or the chain is unavailable for now: retry later (see `Retry-After`).",
}

#: The error body's schema (a component of the document).
ERROR_SCHEMA: dict[str, Any] = {"$ref": "#/components/schemas/ErrorBody"}
#: The 404 of a route that answers browsers with a page and API clients with the error body.
PAGE_OR_ERROR_404: dict[str, Any] = {
    "description": ERROR_DESCRIPTIONS[404],
    "content": {
        "text/html": {"schema": {"type": "string"}},
        "application/json": {"schema": ERROR_SCHEMA},
    },
}

_READS = frozenset({"GET", "HEAD"})
_FASTAPI_422_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Each API route of ``app`` as FastAPI's OpenAPI sees it (its path under its router's
    prefix, and the dependencies the router adds)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def error_statuses(route: Any, method: str, *, body: bool = False) -> set[int]:
    """The error statuses ``route`` (an API route) can answer ``method`` with, from what it
    depends on; ``body``: it reads a body it does not declare as a parameter (``/rpc``)."""
    tree = list(_dependants(route.dependant))
    has_path = any(d.path_params for d in tree)
    has_body = body or any(d.body_params for d in tree)
    statuses = {422, 429, 503}
    if any(d.call is get_current_org for d in tree):
        statuses |= {401, 403}
    if has_path or has_body:
        statuses.add(404)
    if has_body:
        statuses.add(413)
    if method.upper() not in _READS:
        statuses.add(409)
    return statuses


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def _serves_pages(operation: dict[str, Any]) -> bool:
    return "text/html" in operation.get("responses", {}).get("200", {}).get("content", {})


def _declared_content(route: Any, status: int) -> bool:
    declared = route.responses.get(status) or route.responses.get(str(status)) or {}
    return "content" in declared or "model" in declared


def document_errors(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses of every operation of ``app`` to its OpenAPI ``schema``."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for route in _api_routes(app):
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            statuses = error_statuses(route, method, body="requestBody" in operation)
            for status in sorted(statuses | _declared_errors(route)):
                if _declared_content(route, status):
                    continue
                if status == 404 and _serves_pages(operation):
                    responses["404"] = PAGE_OR_ERROR_404
                    continue
                given = responses.get(str(status), {})
                description = (
                    given.get("description")
                    if str(status) in map(str, route.responses)
                    else ERROR_DESCRIPTIONS.get(status)
                ) or ERROR_DESCRIPTIONS.get(status, "Error")
                responses[str(status)] = _error_response(description)
    text = repr(schema["paths"])
    for name in _FASTAPI_422_SCHEMAS:
        if f"#/components/schemas/{name}'" not in text:
            schemas.pop(name, None)
    return schema


def _declared_errors(route: Any) -> set[int]:
    return {int(status) for status in route.responses if str(status).isdigit()} & set(
        range(400, 600)
    )


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` document every operation's error responses.

    FastAPI builds the document again when routes were added since; each new one is completed.
    """
    generate = app.openapi
    documented: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not documented or documented[0] is not schema:
            documented[:] = [document_errors(app, schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
