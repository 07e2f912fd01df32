"""Refuse a NUL character in a request's path or query string, before any route sees it.

No id, name or filter of the registry holds U+0000, and PostgreSQL refuses it in any text
parameter (``DataError``: every lookup by such an id would be a 500). Bodies are checked by the
models (names and signed texts refuse control characters); this covers path and query values,
which reach lookups as they are. A refused request gets 422 ``nul_character`` naming the part.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api.errors import error_body

NUL = "\x00"


def nul_field(scope: Scope) -> str | None:
    """``path`` or ``query.<name>`` when that part of the request holds a NUL, else ``None``."""
    if NUL in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if NUL in query or "%00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True, encoding="latin-1"):
            if NUL in name or NUL in value:
                return f"query.{name.replace(NUL, '')}"
    return None


class RefuseNul:
    """ASGI middleware answering 422 ``nul_character`` to a path or query holding U+0000."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        field = nul_field(scope) if scope["type"] == "http" else None
        if field is None:
            await self.app(scope, receive, send)
            return
        body = error_body("nul_character", f"the {field} holds a NUL character (U+0000)", field)
        await JSONResponse(body, status_code=422)(scope, receive, send)
