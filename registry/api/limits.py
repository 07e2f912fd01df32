"""Bounds on every request body, checked before any route, parser or database sees it.

:class:`RequestLimits` is pure ASGI middleware (no per-request task or thread):

- **Size.** A body longer than its limit is refused with 413 ``body_too_large``: at once when
  ``Content-Length`` says so, or as soon as a streamed (chunked) body passes it. Limits are per
  path prefix (``/rpc`` is anonymous and small), else the general one.
- **Depth.** A JSON body nested deeper than ``max_json_depth`` is refused with 422
  ``json_too_deep`` before it is parsed: CPython's C JSON parser recurses once per level, and a
  document of 70,000 ``[`` is only 140 KB (see :mod:`verifier._internal.runtime` for the other half
  of that guard). Bodies of non-JSON media types (forms, uploads) are not scanned.

A refused request gets the registry's error body with ``field: "body"`` and its limit in
``details``; the connection is closed after the answer, since its body was not read to the end.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.errors import error_body
from verifier.protocol.wire import json_depth_exceeds

#: Media types whose bodies are never JSON (not scanned for depth).
NOT_JSON: Final = (
    b"multipart/",
    b"application/x-www-form-urlencoded",
    b"image/",
    b"application/pdf",
    b"application/octet-stream",
    b"text/csv",
)


@dataclass(frozen=True)
class BodyLimits:
    """The bounds :class:`RequestLimits` enforces."""

    max_body_bytes: int
    max_json_depth: int
    #: Smaller (or larger) size limits for paths under a prefix, e.g. ``{"/rpc": 1 << 20}``.
    per_prefix: Mapping[str, int] = field(default_factory=dict)

    def size_limit(self, path: str) -> int:
        """The body size limit for ``path``."""
        for prefix, limit in self.per_prefix.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_body_bytes


class RequestLimits:
    """ASGI middleware enforcing :class:`BodyLimits` on HTTP requests."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if not chunked and (length is None or length.strip() in (b"", b"0")):
            await self.app(scope, receive, send)  # no body
            return
        limit = self.limits.size_limit(scope["path"])
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _refuse(send, 413, "body_too_large", _too_large(limit), limit=limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away; nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, "body_too_large", _too_large(limit), limit=limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        media_type = headers.get(b"content-type", b"").lower()
        if not media_type.startswith(NOT_JSON) and json_depth_exceeds(
            body, self.limits.max_json_depth
        ):
            depth = self.limits.max_json_depth
            text = f"the JSON body nests arrays/objects more than {depth} deep"
            await _refuse(send, 422, "json_too_deep", text, limit=depth)
            return
        await self.app(scope, _replay(body, receive), send)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # only http.disconnect can follow

    return replay


async def _refuse(send: Send, status: int, code: str, message: str, *, limit: int) -> None:
    payload: dict[str, Any] = error_body(code, message, "body", [{"limit": limit}])
    data = json.dumps(payload).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
