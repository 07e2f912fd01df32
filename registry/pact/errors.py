"""PACT's own error responses: ``{"code", "message"}`` with the spec's HTTP status per code.

The PACT routes (``/3/...``) answer with these instead of the registry's usual
``{"error": {...}}`` shape; ``/auth/token`` answers RFC 6749 section 5.2 bodies
(``{"error", "error_description"}``) instead (:class:`OAuthError`).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from registry.errors import RegistryError

#: PACT v3 error response code -> HTTP status (the v3 OpenAPI's ``Error.code`` enum, 3.0.3;
#: it renamed the spec text's ``NoSuchFootprint`` to ``NotFound``).
PACT_ERROR_STATUS: Final[dict[str, int]] = {
    "AccessDenied": 403,
    "BadRequest": 400,
    "NotFound": 404,
    "NotImplemented": 501,
    "TokenExpired": 401,
    "InternalError": 500,
}
#: RFC 6749 section 5.2 error -> HTTP status (401 where the client failed to authenticate).
OAUTH_ERROR_STATUS: Final[dict[str, int]] = {
    "invalid_request": 400,
    "invalid_client": 401,
    "invalid_grant": 400,
    "unauthorized_client": 400,
    "unsupported_grant_type": 400,
    "invalid_scope": 400,
}


class PactApiError(RegistryError):
    """A PACT action failed; ``code`` is one of :data:`PACT_ERROR_STATUS`."""

    code = "BadRequest"

    @property
    def http_status(self) -> int:
        """The HTTP status the spec gives this code."""
        return PACT_ERROR_STATUS[self.code]

    def response(self) -> JSONResponse:
        """The error response: ``{"code", "message"}``."""
        headers = {"WWW-Authenticate": "Bearer"} if self.http_status == 401 else None
        return JSONResponse(self.pact_body(), status_code=self.http_status, headers=headers)

    def pact_body(self) -> dict[str, Any]:
        """The body alone (it also travels in a RequestRejected event)."""
        return {"code": self.code, "message": self.message}


class OAuthError(RegistryError):
    """``/auth/token`` refused; ``code`` is one of :data:`OAUTH_ERROR_STATUS`."""

    code = "invalid_request"

    def response(self) -> JSONResponse:
        """The RFC 6749 error response (``WWW-Authenticate: Basic`` on a 401)."""
        status = OAUTH_ERROR_STATUS[self.code]
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="pact"'
        body = {"error": self.code, "error_description": self.message}
        return JSONResponse(body, status_code=status, headers=headers)


class PactErrorBody(BaseModel):
    """A PACT error response (OpenAPI documentation of :meth:`PactApiError.response`)."""

    code: str
    message: str


class OAuthErrorBody(BaseModel):
    """An RFC 6749 error response (OpenAPI documentation of :meth:`OAuthError.response`)."""

    error: str
    error_description: str


def pact_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a PACT route that can answer these :data:`PACT_ERROR_STATUS` codes."""
    return {
        PACT_ERROR_STATUS[code]: {"model": PactErrorBody, "description": f"PACT error {code}"}
        for code in codes
    }


def oauth_responses() -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of ``/auth/token``: the statuses of :data:`OAUTH_ERROR_STATUS`."""
    return {
        status: {"model": OAuthErrorBody, "description": "OAuth 2.0 error (RFC 6749 5.2)"}
        for status in sorted(set(OAUTH_ERROR_STATUS.values()))
    }
