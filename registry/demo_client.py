"""What every part of ``tanji demo`` shares: its error, API replies checked, API keys, waiting.

The demo drives the registry's real API in process (``fastapi.testclient.TestClient``); these
helpers turn an error reply into a :class:`DemoError` naming the step, recognise the 409 a re-run
gets for something already there, and give each demo organisation an API key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from registry.crud.orgs import add_api_key, create_org
from registry.errors import RegistryError
from registry.models.orgs import Organisation, OrgRole

__all__ = [
    "ANCHOR_TIMEOUT_SECONDS",
    "DemoError",
    "auth",
    "check",
    "conflict_id",
    "org_key",
    "wait_until",
]

ANCHOR_TIMEOUT_SECONDS: Final = 300.0


class DemoError(RegistryError):
    """The demo could not complete (the message says which step and why)."""

    code = "demo_failed"
    status_code = 500


def check(reply: Any, step: str) -> dict[str, Any]:
    """The JSON body of ``reply``; a :class:`DemoError` naming ``step`` for an error reply."""
    if reply.status_code >= 400:
        try:
            error = reply.json()["error"]
            detail = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            detail = reply.text[:300]
        raise DemoError(f"{step} failed with HTTP {reply.status_code} ({detail})")
    body: dict[str, Any] = reply.json()
    return body


def conflict_id(reply: Any, code: str, member: str) -> str | None:
    """The existing record's id when ``reply`` is the 409 ``code`` of a re-run."""
    if reply.status_code != 409:
        return None
    error = reply.json().get("error", {})
    if error.get("code") != code or not error.get("details"):
        return None
    value = error["details"][0].get(member)
    return str(value) if value else None


def auth(key: str) -> dict[str, str]:
    """The ``Authorization`` header of API key ``key``."""
    return {"Authorization": f"Bearer {key}"}


def org_key(session: Session, *, name: str, role: OrgRole, address: str | None = None) -> str:
    """An API key of the organisation ``name`` (created on the first run, reused later)."""
    existing = session.exec(
        select(Organisation)
        .where(Organisation.name == name, Organisation.role == role)
        .order_by(col(Organisation.created_at))
    ).first()
    if existing is not None:
        return add_api_key(session, org_id=existing.id)
    _, key = create_org(session, name=name, role=role, address=address)
    return key


def wait_until(
    client: TestClient,
    app: Any,
    paths: list[str],
    ready: Callable[[dict[str, Any]], bool],
    *,
    what: str,
) -> list[dict[str, Any]]:
    """GET each of ``paths`` until ``ready`` holds for it (waking the anchoring loop): the bodies.

    Raises :class:`DemoError` after :data:`ANCHOR_TIMEOUT_SECONDS`.
    """
    deadline = time.monotonic() + ANCHOR_TIMEOUT_SECONDS
    if app.state.loop is not None:
        app.state.loop.wake()
    bodies = []
    for path in paths:
        body = check(client.get(path), f"reading {path}")
        while not ready(body):
            if time.monotonic() > deadline:
                raise DemoError(
                    f"{path} was not {what} within {ANCHOR_TIMEOUT_SECONDS:.0f} s"
                    f" (anchoring loop: {getattr(app.state.loop, 'last_error', None)})"
                )
            time.sleep(0.05)
            body = check(client.get(path), f"reading {path}")
        bodies.append(body)
    return bodies
