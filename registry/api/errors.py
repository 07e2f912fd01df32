"""Every 4xx/5xx body is ``{"error": {"code", "message", "field", "details"}}``.

Handlers for the registry's own errors, FastAPI's request validation errors (mapped field by
field, see :mod:`registry.validation`), Starlette's HTTP exceptions (404 route, 405), and errors of
the anchoring package that reach a route. A fault of the database itself (locked, down,
restarting) is a 503 with ``database_busy`` or ``database_unavailable`` and ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from anchoring.errors import AnchoringError, LedgerError
from registry.db import (
    DATABASE_MESSAGES,
    RETRY_AFTER_SECONDS,
    database_fault,
    fault_text,
)
from registry.errors import RegistryError
from registry.validation import validation_error_details

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}


#: The code and message of a request body that is not JSON.
INVALID_JSON = ("invalid_json", "the request body is not valid JSON (UTF-8)")


class ErrorDetail(BaseModel):
    """What went wrong: a stable machine-readable ``code``, a message and the offending field."""

    code: str = Field(description="stable, machine-readable, e.g. invalid_api_key")
    message: str = Field(description="for people; its wording may change")
    field: str | None = Field(description="the offending field as a path, e.g. body.items[3].gtin")
    details: list[Any] = Field(description="more about the error, e.g. one entry per bad field")


class ErrorBody(BaseModel):
    """The body of every error response (4xx and 5xx) of the registry's API."""

    error: ErrorDetail


def error_body(
    code: str, message: str, field: str | None = None, details: list[Any] | None = None
) -> dict[str, Any]:
    """The registry's error body."""
    return {"error": {"code": code, "message": message, "field": field, "details": details or []}}


async def registry_error(request: Request, exc: Exception) -> JSONResponse:
    """The JSON answer to a :class:`RegistryError` (its status, code, field; Retry-After)."""
    assert isinstance(exc, RegistryError)
    headers = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="tanji"'
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = validation_error_details(exc.errors(), strip=("body",))
    first = details[0] if details else {"code": "invalid_field", "message": "invalid request"}
    message = first["message"]
    if len(details) > 1:
        message += f" (and {len(details) - 1} more)"
    return JSONResponse(
        error_body(first["code"], message, first.get("field"), details), status_code=422
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # FastAPI's answer to a body it could not decode (not UTF-8, say): invalid input.
        return JSONResponse(error_body(*INVALID_JSON, "body"), status_code=422)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _anchoring_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnchoringError)
    if isinstance(exc, LedgerError):
        return JSONResponse(error_body(exc.code, str(exc), exc.field), status_code=409)
    log.error("anchoring error in %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body(exc.code, str(exc)), status_code=503)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # A locked SQLite file, PostgreSQL down or restarting: 503 with a code and Retry-After.
    # Nothing was acknowledged for this request (its transaction did not commit).
    code = database_fault(exc)
    if code is None:
        return await _unexpected_error(request, exc)
    log.warning("%s in %s %s: %s", code, request.method, request.url.path, fault_text(exc))
    return JSONResponse(
        error_body(code, DATABASE_MESSAGES[code]),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS[code])},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    if database_fault(exc) is not None:  # raised outside the routes (a middleware): still a 503
        return await _database_error(request, exc)
    # Details go to the log only: an exception message may quote internal state.
    log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "the registry hit an unexpected error; it was logged"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(RegistryError, registry_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(AnchoringError, _anchoring_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(SATimeoutError, _database_error)
