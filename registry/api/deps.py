"""FastAPI dependencies as ``Annotated`` aliases: settings, DB session, the calling org."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.requests import HTTPConnection

from registry.api.ratelimit import TokenBuckets
from registry.audit import Actor, set_actor
from registry.config import Settings
from registry.crud.idempotency import check_key
from registry.crud.orgs import org_for_key
from registry.errors import AuthenticationError, PermissionDeniedError
from registry.models.orgs import Organisation, OrgRole
from registry.permissions import Action, check
from registry.security import key_id_of


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


def wake_anchoring(request: Request) -> None:
    """Tell this process's anchoring loop (if it runs one) that records wait: it batches them
    now instead of at its next tick. Called after a commit that queued records."""
    loop = getattr(request.app.state, "loop", None)
    if loop is not None:
        loop.wake()


SessionDep = Annotated[Session, Depends(get_session)]


class _BearerHeader(HTTPBearer):
    """The ``bearer`` security scheme in the OpenAPI; at run time the raw ``Authorization`` header.

    FastAPI's own :class:`HTTPBearer` answers a missing and a malformed header alike (``None``
    or its own 403); :func:`get_current_org` tells them apart with the registry's codes.
    """

    async def __call__(self, request: HTTPConnection) -> str | None:  # type: ignore[override]
        return request.headers.get("Authorization")


bearer_scheme = _BearerHeader(
    scheme_name="bearer",
    bearerFormat="API key",
    description="An organisation's API key: `Authorization: Bearer <key>`.",
    auto_error=False,
)


def client_address(request: Request) -> str:
    """The client as the server sees it (``X-Forwarded-For`` only from a trusted proxy)."""
    return request.client.host if request.client is not None else "unknown"


def get_current_org(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Depends(bearer_scheme)] = None,
) -> Organisation:
    """The organisation whose API key is in ``Authorization: Bearer <key>``.

    A client that failed too often is answered 429 before its key is looked at
    (:mod:`registry.api.ratelimit`); a wrong or malformed key takes one of its attempts.
    """
    limiter: TokenBuckets = request.app.state.auth_failures
    client = client_address(request)
    limiter.check(client)
    try:
        return _authenticate(session, authorization)
    except AuthenticationError as exc:
        if exc.code != "missing_api_key":
            limiter.spend(client)
        raise


def _authenticate(session: Session, authorization: str | None) -> Organisation:
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
    org = org_for_key(session, plaintext=key.strip())
    # Who acts in this request's session: every audit entry its changes make names them.
    set_actor(session, Actor(org_id=org.id, key_id=key_id_of(key.strip())))
    return org


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


def permit(action: Action) -> Callable[[Organisation], Organisation]:
    """A dependency that admits an API key's organisation if :mod:`registry.permissions` lets
    it do ``action`` (the console checks the same rule for a person:
    :func:`registry.api.routes.console.permit`)."""

    def check_action(org: CurrentOrg) -> Organisation:
        check(action, org_role=org.role, user_role=None)
        return org

    return check_action


EnterpriseOrg = Annotated[Organisation, Depends(require_role(OrgRole.ENTERPRISE))]
CertifierOrg = Annotated[Organisation, Depends(require_role(OrgRole.CERTIFICATION_BODY))]
AdminOrg = Annotated[Organisation, Depends(require_role(OrgRole.ADMIN))]
#: Organisations that sign statements with registered keys: suppliers (enterprises) sign
#: attestations, partner certifiers sign recognitions, publishers sign factor-dataset versions;
#: each manages its own keys.
SigningOrg = Annotated[
    Organisation,
    Depends(require_role(OrgRole.ENTERPRISE, OrgRole.PARTNER_CERTIFIER, OrgRole.PUBLISHER)),
]


def get_idempotency_key(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str | None:
    return None if idempotency_key is None else check_key(idempotency_key)


IdempotencyKey = Annotated[str | None, Depends(get_idempotency_key)]


#: The largest integer a database column or parameter holds (SQLite and PostgreSQL ``bigint``):
#: every integer a request carries to the database is bounded by it (or less).
DB_INT_MAX = 2**63 - 1
#: The largest id of an auto-numbered ``INTEGER`` key (``int4`` in PostgreSQL, which refuses a
#: larger parameter compared with it): the bound of such an id in a path.
SERIAL_ID_MAX = 2**31 - 1
#: The largest ``offset`` of a list: deeper pages are refused with a 422 before any query.
MAX_OFFSET = 1_000_000_000
#: The largest ``limit`` of a list.
MAX_LIMIT = 1000

Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip (at most {MAX_OFFSET:,})")
]


class Page:
    """``offset``/``limit`` query parameters, bounded so no paging value overflows a query."""

    def __init__(
        self,
        offset: Offset = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> None:
        self.offset = offset
        self.limit = limit


PageDep = Annotated[Page, Depends()]
