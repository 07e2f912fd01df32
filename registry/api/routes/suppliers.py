"""``/api/v1/suppliers/keys``: an organisation's signing keys (register, rotate, revoke).

For every organisation that signs statements (:data:`~registry.api.deps.SigningOrg`): suppliers
(enterprises) for attestations and partner certifiers for recognitions, whose keys live in the
same registry. Each call acts on the caller's own keys only (the crud functions check the owner).
:func:`add_key_routes` mounts the challenge, register and list routes again for partner
certifiers under ``/api/v1/recognitions/keys`` (the same handlers, not a copy).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, status

from registry.api.deps import CurrentOrg, SessionDep, SettingsDep, SigningOrg, require_role
from registry.crud import key_revocation
from registry.crud import suppliers as crud
from registry.models.common import utcnow
from registry.models.orgs import OrgRole
from registry.models.suppliers import (
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    RegistrationChallenge,
    SupplierKeyPublic,
    SupplierKeysPublic,
)

router = APIRouter(prefix="/api/v1/suppliers/keys", tags=["suppliers"])


# Registering and listing keys is the same for every signing role: these routes are mounted here
# for all signing organisations and under /api/v1/recognitions/keys for partner certifiers
# (add_key_routes), each mount with its own role check, operation names and descriptions.


def registration_challenge(
    address: Annotated[str, Query(description="the address to register")],
    settings: SettingsDep,
    org: CurrentOrg,
) -> RegistrationChallenge:
    """The message the key must sign (``personal_sign``) to be registered to your organisation."""
    normal = crud.normal_address(address, "query.address")
    return RegistrationChallenge(
        address=normal,
        message=crud.registration_message(
            base_url=settings.base_url, org_id=org.id, address=normal
        ),
    )


def register_key(
    body: KeyRegistration, session: SessionDep, settings: SettingsDep, org: CurrentOrg
) -> SupplierKeyPublic:
    """Register a signing key (with its proof of possession) for your organisation."""
    key = crud.register_key(session, org=org, body=body, base_url=settings.base_url)
    session.commit()
    return crud.to_public(key)


def list_keys(session: SessionDep, org: CurrentOrg) -> SupplierKeysPublic:
    """Your organisation's signing keys, oldest first, with their effective windows."""
    keys = crud.list_keys(session, org=org)
    now = utcnow()
    return SupplierKeysPublic(data=[crud.to_public(k, now=now) for k in keys], count=len(keys))


@dataclass(frozen=True)
class KeyRouteDocs:
    """One mount's ``(operation name, description)`` of each key route, for its OpenAPI."""

    challenge: tuple[str, str]
    register: tuple[str, str]
    listing: tuple[str, str]


def _docs(endpoint: Callable[..., Any]) -> tuple[str, str]:
    return endpoint.__name__, inspect.getdoc(endpoint) or ""


#: The names and descriptions of the mount under ``/api/v1/suppliers/keys``.
SIGNING_KEY_DOCS: Final = KeyRouteDocs(
    challenge=_docs(registration_challenge),
    register=_docs(register_key),
    listing=_docs(list_keys),
)


def add_key_routes(
    router: APIRouter, *roles: OrgRole, path: str = "", docs: KeyRouteDocs = SIGNING_KEY_DOCS
) -> None:
    """Mount ``GET {path}/challenge``, ``POST {path}`` and ``GET {path}`` on ``router`` for
    organisations of ``roles`` (others: 403 ``forbidden_role``)."""
    admit = [Depends(require_role(*roles))]
    for suffix, method, endpoint, status_code, (name, description) in (
        ("/challenge", "GET", registration_challenge, None, docs.challenge),
        ("", "POST", register_key, status.HTTP_201_CREATED, docs.register),
        ("", "GET", list_keys, None, docs.listing),
    ):
        router.add_api_route(
            path + suffix,
            endpoint,
            methods=[method],
            status_code=status_code,
            dependencies=admit,
            name=name,
            description=description,
        )


add_key_routes(router, OrgRole.ENTERPRISE, OrgRole.PARTNER_CERTIFIER)


@router.post("/{address}/rotate", status_code=status.HTTP_201_CREATED)
def rotate_key(
    address: str,
    body: KeyRotation,
    session: SessionDep,
    settings: SettingsDep,
    org: SigningOrg,
) -> SupplierKeyPublic:
    """Replace a key with a new one from ``effective_at``; answers with the new key."""
    new = crud.rotate_key(session, org=org, address=address, body=body, base_url=settings.base_url)
    session.commit()
    return crud.to_public(new)


@router.post("/{address}/revoke")
def revoke_key(
    address: str, body: KeyRevocation, session: SessionDep, org: SigningOrg
) -> SupplierKeyPublic:
    """Revoke a key from ``effective_at``: its later signatures are refused (``revoked_key``)."""
    key = key_revocation.revoke_key(session, org=org, address=address, body=body)
    session.commit()
    return crud.to_public(key)
