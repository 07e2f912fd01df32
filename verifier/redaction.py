"""Secrets in chain-node URLs: the one definition of what is taken out before text is shown.

A hosted node's URL carries its API key in the user info (``https://user:key@node``), in the
query (``?apikey=...``) or in a path segment (``/v3/<key>``, ``/v2/<key>``, ``/<token>/``).
Exception messages quote such URLs whole, or only their path and query (urllib3: ``Max retries
exceeded with url: /v2/<key>?apikey=...``), and reports, logs and CLI output must never carry them.

- :func:`redacted_url` — a URL fit to show: user info, query and fragment dropped, path segments
  that look like keys replaced by :data:`REDACTED`.
- :func:`redact_secrets` — any text (a log line, a traceback, an error message) with the secret
  parts of every full URL in it replaced, and each secret part of a known node URL (``url``)
  wherever it appears.

A path segment *looks like a key* when it is at least :data:`MIN_KEY_LENGTH` characters of
URL-safe token alphabet with a digit in it (``rpc``, ``v3``, ``eth-mainnet`` stay; a 32-hex key,
a UUID or a base64url token goes). ``anchoring``, ``registry`` and the verifier all import these.
"""

import re
from typing import Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

REDACTED: Final = "<redacted>"
#: Shortest path segment taken for a key; shorter tokens are path words (``v2``, ``rpc``).
MIN_KEY_LENGTH: Final = 16
#: Shortest query value or path of a known URL replaced wherever it appears in text.
MIN_SECRET_LENGTH: Final = 6

_KEYLIKE: Final = re.compile(rf"[A-Za-z0-9._~\-+=_]{{{MIN_KEY_LENGTH},}}")
_DIGIT: Final = re.compile(r"[0-9]")
_URL: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>()]+")


def looks_like_key(segment: str) -> bool:
    """True for a path segment that may be a credential (see the module docstring)."""
    return _KEYLIKE.fullmatch(segment) is not None and _DIGIT.search(segment) is not None


def _redact_path(path: str) -> str:
    return "/".join(REDACTED if looks_like_key(part) else part for part in path.split("/"))


def redacted_url(url: str) -> str:
    """``url`` fit for messages and reports: no user info, query or fragment; key-like path
    segments replaced by :data:`REDACTED`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # not a URL we can take apart: show nothing of it rather than a secret
        return "<unparsable node URL>"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, _redact_path(parts.path), "", ""))


def _redact_any_url(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        parts = urlsplit(text)
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return REDACTED
    shown = urlunsplit((parts.scheme, netloc, _redact_path(parts.path), "", ""))
    return shown + (f"?{REDACTED}" if parts.query else "")


def _known_secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return [url]
    secrets = [parts.query, parts.fragment, username or "", password or ""]
    if parts.path not in ("", "/") and any(looks_like_key(p) for p in parts.path.split("/")):
        secrets.append(parts.path)
    secrets += [part for part in parts.path.split("/") if looks_like_key(part)]
    secrets += [value for _, value in parse_qsl(parts.query)]
    return [s for s in secrets if len(s) >= MIN_SECRET_LENGTH]


def redact_secrets(text: str, url: str | None = None) -> str:
    """``text`` with node-URL secrets replaced by :data:`REDACTED`.

    Every full URL in ``text`` loses its user info, query and fragment and its key-like path
    segments. When the node ``url`` is given, each of its secret parts (its key-like path, path
    segments, query values, user name and password) is also replaced wherever it appears on its
    own: libraries quote a bare path (``url: /v2/<key>?apikey=...``) or a password alone.
    Other text (a request line, a file path) is left as it is.
    """
    text = _URL.sub(_redact_any_url, text)
    if url:
        for secret in sorted(set(_known_secrets(url)), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
    return text
