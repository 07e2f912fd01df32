"""Errors raised by the registry.

Every error derives from :class:`RegistryError` and carries what the HTTP layer and the CLI show:
a machine-readable ``code``, a message, the offending ``field`` (a JSON path, or ``None``) and
optional ``details``. The HTTP status lives here too so routes never pick one ad hoc.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RegistryError(Exception):
    """Root of every error raised by ``registry``."""

    code: str = "registry_error"
    status_code: ClassVar[int] = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` body every 4xx response carries."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
                "details": self.details,
            }
        }


class ConfigError(RegistryError):
    """Settings are missing, malformed or unsafe for how the service is run."""

    code = "config_error"


class InvalidInputError(RegistryError):
    """A request or command argument is invalid; ``field`` names it."""

    code = "invalid_field"
    status_code = 422


class NotFoundError(RegistryError):
    """The named resource does not exist (or is not visible to the caller)."""

    code = "not_found"
    status_code = 404


class ConflictError(RegistryError):
    """The request conflicts with the current state (duplicate, already revoked, ...)."""

    code = "conflict"
    status_code = 409


class AuthenticationError(RegistryError):
    """No API key, or an unknown one."""

    code = "unauthenticated"
    status_code = 401


class PermissionDeniedError(RegistryError):
    """The caller's organisation may not do this (wrong role, another organisation's record)."""

    code = "forbidden"
    status_code = 403


class ChainSetupError(RegistryError):
    """The chain, the contract or the signer cannot be set up."""

    code = "chain_setup_error"
    status_code = 503


class RateLimitedError(RegistryError):
    """Too many requests (or failed attempts) from one client; try again after ``retry_after``."""

    code = "rate_limited"
    status_code = 429

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details=[{"retry_after": retry_after}])
        self.retry_after = retry_after
