"""FastAPI dependencies as ``Annotated`` aliases: settings, DB session, the calling org."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy import Engine
from sqlmodel import Session

from registry.config import Settings
from registry.crud.idempotency import check_key
from registry.crud.orgs import org_for_key
from registry.errors import AuthenticationError, PermissionDeniedError
from registry.models.orgs import Organisation, OrgRole


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_org(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Organisation:
    """The organisation whose API key is in ``Authorization: Bearer <key>``."""
    if not authorization:
        raise AuthenticationError(
            "this endpoint needs an API key: send Authorization: Bearer <key>",
            code="missing_api_key",
            field="header.Authorization",
        )
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthenticationError(
            "the Authorization header must be 'Bearer <key>'",
            code="invalid_authorization",
            field="header.Authorization",
        )
    return org_for_key(session, plaintext=key.strip())


CurrentOrg = Annotated[Organisation, Depends(get_current_org)]


def require_role(*roles: OrgRole) -> Callable[[Organisation], Organisation]:
    """A dependency that admits only organisations with one of ``roles``."""

    def check(org: CurrentOrg) -> Organisation:
        if org.role not in roles:
            allowed = " or ".join(role.value for role in roles)
            raise PermissionDeniedError(
                f"this needs an organisation with role {allowed}; yours is {org.role.value}",
                code="forbidden_role",
                details=[{"required_roles": [role.value for role in roles], "role": org.role}],
            )
        return org

    return check


EnterpriseOrg = Annotated[Organisation, Depends(require_role(OrgRole.ENTERPRISE))]
CertifierOrg = Annotated[Organisation, Depends(require_role(OrgRole.CERTIFICATION_BODY))]
AdminOrg = Annotated[Organisation, Depends(require_role(OrgRole.ADMIN))]
#: Organisations that sign statements with registered keys: suppliers (enterprises) sign
#: attestations, partner certifiers sign recognitions; each manages its own keys.
SigningOrg = Annotated[
    Organisation, Depends(require_role(OrgRole.ENTERPRISE, OrgRole.PARTNER_CERTIFIER))
]


def get_idempotency_key(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str | None:
    return None if idempotency_key is None else check_key(idempotency_key)


IdempotencyKey = Annotated[str | None, Depends(get_idempotency_key)]


class Page:
    """``offset``/``limit`` query parameters."""

    def __init__(
        self,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> None:
        self.offset = offset
        self.limit = limit


PageDep = Annotated[Page, Depends()]
