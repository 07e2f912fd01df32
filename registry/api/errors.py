"""Every 4xx/5xx body is ``{"error": {"code", "message", "field", "details"}}``.

Handlers for the registry's own errors, FastAPI's request validation errors (mapped field by
field, see :mod:`registry.validation`), Starlette's HTTP exceptions (404 route, 405), and errors of
the anchoring package that reach a route.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from anchoring.errors import AnchoringError, LedgerError
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


def error_body(
    code: str, message: str, field: str | None = None, details: list[Any] | None = None
) -> dict[str, Any]:
    """The registry's error body."""
    return {"error": {"code": code, "message": message, "field": field, "details": details or []}}


async def _registry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    headers = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="tanji"'
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


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Details go to the log only: an exception message may quote internal state.
    log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "the registry hit an unexpected error; it was logged"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(AnchoringError, _anchoring_error)
