"""``/api/v1/suppliers/keys``: an organisation's signing keys (register, rotate, revoke).

For every organisation that signs statements (:data:`~registry.api.deps.SigningOrg`): suppliers
(enterprises) for attestations and partner certifiers for recognitions, whose keys live in the
same registry. Each call acts on the caller's own keys only (the crud functions check the owner).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from registry.api.deps import SessionDep, SettingsDep, SigningOrg
from registry.crud import suppliers as crud
from registry.models.common import utcnow
from registry.models.suppliers import (
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    RegistrationChallenge,
    SupplierKeyPublic,
    SupplierKeysPublic,
)

router = APIRouter(prefix="/api/v1/suppliers/keys", tags=["suppliers"])


@router.get("/challenge")
def registration_challenge(
    address: Annotated[str, Query(description="the address to register")],
    settings: SettingsDep,
    org: SigningOrg,
) -> RegistrationChallenge:
    """The message the key must sign (``personal_sign``) to be registered to your organisation."""
    normal = crud.normal_address(address, "query.address")
    return RegistrationChallenge(
        address=normal,
        message=crud.registration_message(
            base_url=settings.base_url, org_id=org.id, address=normal
        ),
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def register_key(
    body: KeyRegistration, session: SessionDep, settings: SettingsDep, org: SigningOrg
) -> SupplierKeyPublic:
    """Register a signing key (with its proof of possession) for your organisation."""
    key = crud.register_key(session, org=org, body=body, base_url=settings.base_url)
    session.commit()
    return crud.to_public(key)


@router.get("")
def list_keys(session: SessionDep, org: SigningOrg) -> SupplierKeysPublic:
    """Your organisation's signing keys, oldest first, with their effective windows."""
    keys = crud.list_keys(session, org=org)
    now = utcnow()
    return SupplierKeysPublic(data=[crud.to_public(k, now=now) for k in keys], count=len(keys))


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
    key = crud.revoke_key(session, org=org, address=address, body=body)
    session.commit()
    return crud.to_public(key)
