"""Logging set-up: every line the server writes has the chain node URL's secrets taken out
(and the tokens of console setup links).

Libraries quote the node URL in exception messages and tracebacks (a failed start-up, a retry
warning); :class:`RedactingFilter` renders each record (traceback included) and passes it
through :func:`verifier.redaction.redact_secrets` before any handler formats it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from verifier.redaction import redact_secrets

#: The token of a console setup link (``/console/setup/<token>``, registry.api.routes.console):
#: a password can be set with it until it is used, so access logs never show it.
SETUP_LINK_TOKEN = re.compile(r"(/console/setup/)[A-Za-z0-9_-]+")
#: The loggers that get their own handlers from uvicorn's log config.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class RedactingFilter(logging.Filter):
    """Replace node-URL secrets in a record's message and traceback."""

    def __init__(self, node_url: str | None) -> None:
        super().__init__()
        self.node_url = node_url

    def redact(self, text: str) -> str:
        """``text`` without node-URL secrets and without console setup-link tokens."""
        return SETUP_LINK_TOKEN.sub(r"\1[redacted]", redact_secrets(text, self.node_url))

    def _clean(self, value: object) -> object:
        if isinstance(value, bool | int | float) or value is None:
            return value
        return self.redact(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        # Arguments are cleaned one by one rather than merged into the message: some formatters
        # (uvicorn's access log) read them.
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(arg) for arg in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(
    node_url: str | None, loggers: Iterable[str] = ("", *UVICORN_LOGGERS)
) -> None:
    """Attach a :class:`RedactingFilter` to every handler of ``loggers`` (root by default)."""
    redacting = RedactingFilter(node_url)
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(redacting)
