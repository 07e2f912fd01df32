"""``/api/v1/orgs/me/keys``: an organisation lists, issues, rotates and revokes its own API keys.

Included before :mod:`registry.api.routes.orgs`, whose admin routes ``/api/v1/orgs/{org_id}/...``
would otherwise take ``me`` for an organisation id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from registry.api.deps import SessionDep, bearer_scheme, permit
from registry.crud import api_keys as crud
from registry.models.api_keys import ApiKeyNew, ApiKeyPublic, ApiKeysPublic
from registry.models.orgs import ApiKey, Organisation
from registry.permissions import Action
from registry.security import key_id_of

router = APIRouter(prefix="/api/v1/orgs/me/keys", tags=["orgs"])

#: Who manages the organisation's keys: the rule the console's API keys page checks too
#: (any organisation's key; in the console, its owners).
KeysOrg = Annotated[Organisation, Depends(permit(Action.API_KEYS_MANAGE))]
KeyId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]


def _current_key_id(
    authorization: Annotated[str | None, Depends(bearer_scheme)] = None,
) -> str | None:
    # Only called after KeysOrg accepted the header, so it is a well-formed key.
    return key_id_of(authorization.partition(" ")[2].strip()) if authorization else None


CurrentKeyId = Annotated[str | None, Depends(_current_key_id)]


def _public(row: ApiKey, current: str | None) -> ApiKeyPublic:
    return ApiKeyPublic(
        key_id=row.key_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        active=row.revoked_at is None,
        current=row.key_id == current,
    )


@router.get("")
def list_keys(org: KeysOrg, session: SessionDep, current: CurrentKeyId) -> ApiKeysPublic:
    """Your organisation's API keys, newest first: ids and dates, never secrets."""
    rows = crud.list_api_keys(session, org_id=org.id)
    return ApiKeysPublic(data=[_public(row, current) for row in rows], count=len(rows))


@router.post("", status_code=status.HTTP_201_CREATED)
def issue_key(org: KeysOrg, session: SessionDep) -> ApiKeyNew:
    """Issue another API key; the reply carries it, shown this once."""
    row, plaintext = crud.issue_api_key(session, org_id=org.id)
    return ApiKeyNew(key_id=row.key_id, api_key=plaintext, created_at=row.created_at)


@router.post("/{key_id}/rotate", status_code=status.HTTP_201_CREATED)
def rotate_key(key_id: KeyId, org: KeysOrg, session: SessionDep) -> ApiKeyNew:
    """Replace a key: a new one is issued and this one revoked, in one step."""
    row, plaintext = crud.rotate_api_key(session, org_id=org.id, key_id=key_id)
    return ApiKeyNew(
        key_id=row.key_id, api_key=plaintext, created_at=row.created_at, replaces=key_id
    )


@router.post("/{key_id}/revoke")
def revoke_key(
    key_id: KeyId, org: KeysOrg, session: SessionDep, current: CurrentKeyId
) -> ApiKeyPublic:
    """Revoke a key at once (not the organisation's last active one)."""
    return _public(crud.revoke_api_key(session, org_id=org.id, key_id=key_id), current)
