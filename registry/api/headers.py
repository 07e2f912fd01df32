"""Security headers on every response, and the registry's CORS policy (pure ASGI middleware).

Every HTTP response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and a ``Content-Security-Policy`` chosen by what the response is:

- **pages** (``text/html``: ``/l/{id}``, ``/disclosures``, the 404 page): scripts only from this
  origin (the in-browser verifier in ``/static``), the inlined stylesheet only by its hash
  (``style`` attributes, the grade colours, stay allowed), and ``connect-src`` naming the chain
  nodes the verifier may ask: this origin (``/rpc``), the origin of ``TANJI_PUBLIC_RPC_URL``, and
  the origins the reader chose in the page's own address (:data:`READER_URL_PARAMS`: a chain node
  in ``?rpc=``, a trust profile in ``?trust=``), each as its origin only;
- **the API docs** (``/docs``, Swagger UI served from this origin: registry.api.docs): this
  origin, and the page's own inline script by hash;
- **everything else** (JSON, bundles, SVG artwork, QR codes, static files): ``default-src
  'none'``, so a document opened on its own loads and runs nothing.

All of them carry ``frame-ancestors 'none'``: no page of the registry can be framed. A header a
route set itself is left as it is.

**CORS** (the policy is written up in docs/SECURITY.md): any origin may read the answers to
``GET`` and ``HEAD``, and ``POST /rpc`` (``Access-Control-Allow-Origin: *``, never with
credentials), so another verifier's page can fetch bundles, labels and the chain through this
registry. A preflight is granted only for those methods and for the headers in
:data:`CORS_REQUEST_HEADERS`; ``Authorization`` is not among them, so a browser never sends an API
key cross-origin, and every authenticated or writing call stays same-origin (or outside browsers).
A refused preflight gets 403 ``cors_not_allowed``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.docs import DOCS_PATH
from registry.api.errors import error_body
from registry.api.routes.pages import page_css
from registry.config import Settings

__all__ = [
    "CORS_POST_PATHS",
    "CORS_REQUEST_HEADERS",
    "READER_URL_PARAMS",
    "REFERRER_POLICY",
    "SecurityHeaders",
    "connect_origin",
    "install_security_headers",
]

REFERRER_POLICY: Final = "no-referrer"
#: Query parameters of a page that name a URL its in-browser verifier fetches
#: (``registry/static/verify/tanji-verify-page.js``): ``rpc``, the reader's own chain node, and
#: ``trust``, the reader's own trust profile (a ``tanji-trust/1`` file). The origin of each
#: (:func:`connect_origin`) is added to the page's ``connect-src``.
READER_URL_PARAMS: Final = ("rpc", "trust")
#: Methods any origin may use (with no credentials) on any path.
CORS_READ_METHODS: Final = ("GET", "HEAD")
#: Paths that also take a cross-origin ``POST``: the JSON-RPC endpoint verifiers ask.
CORS_POST_PATHS: Final = frozenset({"/rpc"})
#: Request headers a cross-origin request may carry (``Authorization`` is deliberately absent).
CORS_REQUEST_HEADERS: Final = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
#: Response headers a cross-origin reader may see besides the CORS-safelisted ones.
CORS_EXPOSED_HEADERS: Final = "Content-Disposition, Link, Retry-After"
#: How long a browser may reuse a granted preflight (seconds).
CORS_MAX_AGE: Final = 600

#: A DNS name or IPv4 address as CSP host-source syntax accepts it (lower case, as urlsplit gives).
_HOST = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)
_ALWAYS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", REFERRER_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
)
_CSP: Final = b"content-security-policy"


def _policy(directives: Mapping[str, Iterable[str]]) -> str:
    return "; ".join(" ".join((name, *values)) for name, values in directives.items())


def _sha256_source(content: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode() + "'"


def connect_origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, as a CSP source; else ``None``.

    ``None`` for a relative URL (same origin: ``'self'`` covers it) and for anything that is not
    a plain http(s) URL with a DNS name or IPv4 address: such a value never reaches the header.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host or len(host) > 253:
        return None
    if not _HOST.fullmatch(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _page_directives(connect: Iterable[str]) -> dict[str, list[str]]:
    return {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        # style-src-elem: the one inlined <style> by hash, and /static stylesheets. style-src is
        # what `style` attributes (grade colours) fall back to; it is also all a browser without
        # style-src-elem (CSP 2) reads.
        "style-src": ["'self'", "'unsafe-inline'"],
        "style-src-elem": ["'self'", _sha256_source(page_css().encode())],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *connect],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }


DOCUMENT_CSP: Final = _policy(
    {
        "default-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
)


def docs_csp(inline_scripts: Iterable[bytes]) -> str:
    """The policy of the documentation page (all of it from this origin), whose own inline
    scripts are hashed."""
    return _policy(
        {
            "default-src": ["'none'"],
            "script-src": ["'self'", *map(_sha256_source, inline_scripts)],
            # Swagger UI sets styles from script (style elements and attributes).
            "style-src": ["'self'", "'unsafe-inline'"],
            "font-src": ["'self'", "data:"],
            "img-src": ["'self'", "data:"],
            "connect-src": ["'self'"],
            "worker-src": ["'self'", "blob:"],
            "form-action": ["'self'"],
            "base-uri": ["'none'"],
            "frame-ancestors": ["'none'"],
        }
    )


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def cors_allowed(method: str, path: str) -> bool:
    """True when any origin may make a ``method`` request to ``path`` (without credentials)."""
    return method in CORS_READ_METHODS or (method == "POST" and path in CORS_POST_PATHS)


class SecurityHeaders:
    """ASGI middleware adding the security headers and answering CORS preflights."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        public_rpc_url: str | None = None,
        docs_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        public = connect_origin(public_rpc_url)
        self.fixed_connect = [public] if public else []
        self.page_csp = _policy(_page_directives(self.fixed_connect)).encode()
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path = _route_path(scope)
        cors = cors_allowed(method, path)
        docs = path in self.docs_paths
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if docs and _is_html(message):
                    held.append(message)  # its CSP hashes the body's inline scripts
                    return
                message = self._decorate(message, scope, cors)
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *body = held
                held.clear()
                content = b"".join(m.get("body", b"") for m in body)
                csp = docs_csp(_INLINE_SCRIPT.findall(content))
                await send(self._decorate(start, scope, cors, csp=csp.encode()))
                message = {"type": "http.response.body", "body": content}
            await send(message)

        if method == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                await self._preflight(headers, path)(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)

    def _decorate(
        self, message: Message, scope: Scope, cors: bool, *, csp: bytes | None = None
    ) -> Message:
        """A copy of the response start ``message`` with the headers it lacks added.

        A copy: a response object may be sent again (the page cache reuses rendered pages), and
        its header list must not grow with each sending.
        """
        headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        added = list(_ALWAYS)
        if csp is None:
            csp = self._page_csp(scope) if _is_html(message) else DOCUMENT_CSP.encode()
        added.append((_CSP, csp))
        if cors:
            added += [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", CORS_EXPOSED_HEADERS.encode()),
            ]
        headers += [(name, value) for name, value in added if name not in present]
        return {**message, "headers": headers}

    def _page_csp(self, scope: Scope) -> bytes:
        """The page policy, with the origins of the page's own ``?rpc=`` node and ``?trust=``
        profile if it names them (the first value of each, as the page's ``URLSearchParams.get``
        reads it)."""
        query = scope.get("query_string", b"").decode("latin-1")
        if not any(f"{name}=" in query for name in READER_URL_PARAMS):
            return self.page_csp
        params = parse_qs(query)
        chosen = [connect_origin(params.get(name, [None])[0]) for name in READER_URL_PARAMS]
        extra = [o for o in dict.fromkeys(chosen) if o is not None and o not in self.fixed_connect]
        if not extra:
            return self.page_csp
        return _policy(_page_directives([*self.fixed_connect, *extra])).encode()

    def _preflight(self, headers: Headers, path: str) -> Response:
        """Grant or refuse a CORS preflight for ``path``."""
        method = headers["access-control-request-method"].strip().upper()
        wanted = [
            h.strip().lower()
            for h in headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        allowed = [m for m in ("GET", "HEAD", "POST") if cors_allowed(m, path)]
        refused = [h for h in wanted if h not in {a.lower() for a in CORS_REQUEST_HEADERS}]
        if method not in allowed:
            field = "access-control-request-method"
            message = f"cross-origin {method} is not allowed on {path}"
        elif refused:
            field = "access-control-request-headers"
            message = f"cross-origin requests may not send {', '.join(refused)}"
        else:
            return Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": ", ".join(allowed),
                    "Access-Control-Allow-Headers": ", ".join(CORS_REQUEST_HEADERS),
                    "Access-Control-Max-Age": str(CORS_MAX_AGE),
                },
            )
        details = [{"allowed_methods": allowed, "allowed_headers": list(CORS_REQUEST_HEADERS)}]
        body = error_body("cors_not_allowed", message, field, details)
        return JSONResponse(body, status_code=403)


def _is_html(message: Message) -> bool:
    for name, value in message.get("headers", []):
        if name.lower() == b"content-type":
            return bool(value.lower().startswith(b"text/html"))
    return False


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    """Add :class:`SecurityHeaders` to ``app``, outermost of the middleware added so far."""
    docs = [app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url, DOCS_PATH]
    app.add_middleware(
        SecurityHeaders,
        public_rpc_url=settings.browser_rpc_url,
        docs_paths=[path for path in docs if path],
    )
