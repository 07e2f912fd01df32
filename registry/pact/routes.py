"""The PACT v3.0 REST API of the registry (HTTPS, see ``tanji serve --ssl-certfile``).

- ``POST /auth/token``: OAuth 2.0 client credentials (HTTP Basic, form-encoded body
  ``grant_type=client_credentials``); RFC 6749 error bodies (``invalid_client``, ...).
- ``GET /.well-known/openid-configuration``: OpenID Connect discovery (``token_endpoint``).
- ``GET /3/footprints``: ListFootprints (``limit``, ``offset`` in the ``Link: rel="next"``
  pagination link, the criteria of :mod:`registry.pact.filters`).
- ``GET /3/footprints/{id}``: GetFootprint.
- ``POST /3/events``: CloudEvents (:mod:`registry.pact.events`).
- ``GET /pact/schemas/tanji-footprint-extension/1.json``: the extension's JSON Schema, and
  ``GET /pact/docs/tanji-footprint-extension`` its pact-catalog ``extension.json`` (public).
- ``GET /pact/footprints/{id}/bundle``: the footprint's anchored bundle (bearer token).
- ``GET /pact/labels/{label_id}/footprint``: a labelled footprint's ProductFootprint (public:
  the label already publishes it; the GS1 linkset's ``sustainabilityInfo`` points here).
- ``GET|POST /api/v1/pact/grants``, ``DELETE /api/v1/pact/grants/{org_id}``: an enterprise
  shares its footprints with a requesting organisation (registry API key).

``/3/...`` errors are PACT's ``{"code", "message"}`` (:mod:`registry.pact.errors`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from registry.api.deps import SessionDep, permit
from registry.config import Settings
from registry.errors import NotFoundError
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.pact import access, auth, events
from registry.pact.datamodel import EXTENSION_DOCS_PATH, EXTENSION_SCHEMA_PATH
from registry.pact.documents import BUNDLE_PATH, footprint_document
from registry.pact.errors import OAuthError, PactApiError, oauth_responses, pact_responses
from registry.pact.extension import catalog_entry, extension_schema
from registry.pact.filters import Criteria
from registry.pact.ids import footprint_id_of
from registry.pact.models import PactClient
from registry.permissions import Action
from registry.records import anchored_bundle
from verifier.protocol.records import FOOTPRINT

router = APIRouter(tags=["pact"])
#: Who shares footprints over PACT: the rule the console's sharing page checks too.
SharingOrg = Annotated[Organisation, Depends(permit(Action.PACT_SHARE))]

#: Most footprints one ListFootprints page holds (a client's ``limit`` may ask for fewer).
MAX_PAGE: Final = 100


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _bearer_org(request: Request, session: SessionDep) -> str:
    """The organisation of the request's valid bearer token (PACT errors otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PactApiError("a bearer access token is required", code="BadRequest")
    claims = auth.verify_token(token.strip(), key=auth.token_key(_settings(request)))
    client = session.get(PactClient, claims.client_id)
    if client is None or client.revoked_at is not None:
        raise PactApiError("the access token's client was revoked", code="BadRequest")
    return claims.org_id


@router.post(
    "/auth/token",
    summary="PACT Action Authenticate (OAuth 2.0 client credentials)",
    responses=oauth_responses(),
)
async def token(request: Request, session: SessionDep) -> JSONResponse:
    """An access token for valid client credentials (RFC 6749 section 4.4)."""
    try:
        client_id, secret = auth.parse_basic(request.headers.get("authorization"))
        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body))
        grant = form.get("grant_type")
        if grant is None:
            raise OAuthError("grant_type is required", code="invalid_request")
        if grant != "client_credentials":
            raise OAuthError(
                f"grant_type {grant!r} is not supported", code="unsupported_grant_type"
            )
        client = auth.authenticate_client(session, client_id, secret)
    except OAuthError as exc:
        return exc.response()
    settings = _settings(request)
    lifetime = settings.pact_token_seconds
    access_token = auth.issue_token(client, key=auth.token_key(settings), lifetime=lifetime)
    return JSONResponse(
        {"access_token": access_token, "token_type": auth.TOKEN_TYPE, "expires_in": lifetime},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


@router.get("/.well-known/openid-configuration", summary="OpenID Connect discovery")
def openid_configuration(request: Request) -> JSONResponse:
    """The OpenID Provider Configuration Document: where to get a token."""
    base = _settings(request).base_url
    return JSONResponse(
        {
            "issuer": base,
            "token_endpoint": f"{base}/auth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }
    )


def _documents(session: SessionDep, org_id: str, settings: Settings) -> list[dict[str, Any]]:
    footprints = access.visible_footprints(session, org_id=org_id)
    return [footprint_document(session, fp, settings=settings) for fp in footprints]


def _positive(value: str | None, name: str, *, zero: bool = False) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or (int(value) == 0 and not zero):
        raise PactApiError(f"{name} must be a positive integer", code="BadRequest")
    return int(value)


@router.get(
    "/3/footprints",
    summary="PACT Action ListFootprints",
    responses=pact_responses("BadRequest", "TokenExpired"),
)
def list_footprints(request: Request, session: SessionDep) -> Response:
    """The caller's visible footprints matching the criteria, a page at a time."""
    try:
        org_id = _bearer_org(request, session)
        params = list(request.query_params.multi_items())
        criteria = Criteria.from_query(params)
        limit = _positive(request.query_params.get("limit"), "limit")
        offset = _positive(request.query_params.get("offset"), "offset", zero=True) or 0
        docs = [d for d in _documents(session, org_id, _settings(request)) if criteria.matches(d)]
    except PactApiError as exc:
        return exc.response()
    size = min(limit or MAX_PAGE, MAX_PAGE)
    page = docs[offset : offset + size]
    headers = {}
    if offset + size < len(docs):
        kept = [(k, v) for k, v in params if k not in ("offset", "limit")]
        query = urlencode([*kept, ("limit", str(size)), ("offset", str(offset + size))])
        headers["Link"] = f'<{request.url.replace(query=query)}>; rel="next"'
    return JSONResponse({"data": page}, headers=headers)


def _find(session: SessionDep, org_id: str, pf_id: str) -> Footprint:
    # The PACT id encodes the footprint id (registry.pact.ids): one primary-key lookup.
    footprint_id = footprint_id_of(pf_id)
    footprint = None if footprint_id is None else session.get(Footprint, footprint_id)
    if footprint is None:
        raise PactApiError(f"The specified footprint {pf_id} does not exist", code="NotFound")
    if not access.may_read(session, org_id=org_id, footprint=footprint):
        # Another organisation's, not shared with the caller.
        raise PactApiError("Access denied", code="AccessDenied")
    return footprint


@router.get(
    "/3/footprints/{pf_id}",
    summary="PACT Action GetFootprint",
    responses=pact_responses("BadRequest", "TokenExpired", "AccessDenied", "NotFound"),
)
def get_footprint(pf_id: str, request: Request, session: SessionDep) -> Response:
    """One footprint by its PACT id."""
    try:
        org_id = _bearer_org(request, session)
        footprint = _find(session, org_id, pf_id)
    except PactApiError as exc:
        return exc.response()
    doc = footprint_document(session, footprint, settings=_settings(request))
    return JSONResponse({"data": doc})


@router.post(
    "/3/events",
    summary="PACT Action Events (CloudEvents)",
    responses=pact_responses("BadRequest", "TokenExpired", "NotFound"),
)
async def post_event(request: Request, session: SessionDep) -> Response:
    """Take a CloudEvent: 200 with an empty body when accepted."""
    try:
        org_id = _bearer_org(request, session)
        try:
            event = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise PactApiError("the body must be a JSON CloudEvent") from None
        if not isinstance(event, dict):
            raise PactApiError("the body must be a JSON object (structured content mode)")
        events.receive(session, org_id=org_id, event=event, settings=_settings(request))
        session.commit()
    except PactApiError as exc:
        return exc.response()
    return Response(status_code=status.HTTP_200_OK)


@router.get(
    EXTENSION_SCHEMA_PATH,
    summary="JSON Schema of the Tanji PACT extension",
    response_class=JSONResponse,
    responses={200: {"content": {"application/schema+json": {"schema": {"type": "object"}}}}},
)
def get_extension_schema(request: Request) -> JSONResponse:
    """The ``dataSchema`` of the Tanji footprint extension."""
    return JSONResponse(
        extension_schema(_settings(request).base_url), media_type="application/schema+json"
    )


@router.get(EXTENSION_DOCS_PATH, summary="The Tanji PACT extension's catalogue entry")
def get_extension_docs(request: Request) -> JSONResponse:
    """The extension's ``extension.json`` (wbcsd/pact-catalog format); see docs/PACT.md."""
    return JSONResponse(catalog_entry(_settings(request).base_url))


@router.get(
    BUNDLE_PATH,
    summary="A footprint's anchored Tanji bundle (PACT bearer token)",
    responses=pact_responses("BadRequest", "TokenExpired", "AccessDenied", "NotFound"),
)
def get_bundle(pf_id: str, request: Request, session: SessionDep) -> Response:
    """The proof bundle the extension links to."""
    try:
        org_id = _bearer_org(request, session)
        footprint = _find(session, org_id, pf_id)
        bundle = anchored_bundle(session, FOOTPRINT, footprint)
        if bundle is None:
            raise PactApiError("the footprint is not anchored yet", code="NotFound")
    except PactApiError as exc:
        return exc.response()
    return JSONResponse(bundle)


@router.get("/pact/labels/{label_id}/footprint", summary="A labelled footprint (PACT, public)")
def get_label_footprint(label_id: str, request: Request, session: SessionDep) -> JSONResponse:
    """The ProductFootprint a label publishes, without a key."""
    label = session.get(Label, label_id)
    footprint = session.get(Footprint, label.footprint_id) if label is not None else None
    if footprint is None:
        raise NotFoundError(f"no label {label_id!r}", field="label_id")
    return JSONResponse(footprint_document(session, footprint, settings=_settings(request)))


@router.get("/api/v1/pact/grants", summary="The organisations the caller shares footprints with")
def list_grants(session: SessionDep, org: SharingOrg) -> JSONResponse:
    """The caller's active PACT sharing grants."""
    rows = access.grants_of(session, owner_id=org.id)
    data = [{"org_id": r.recipient_org_id, "created_at": r.created_at.isoformat()} for r in rows]
    return JSONResponse({"data": data, "count": len(data)})


@router.post("/api/v1/pact/grants/{org_id}", status_code=status.HTTP_201_CREATED)
def create_grant(org_id: str, session: SessionDep, org: SharingOrg) -> JSONResponse:
    """Share the caller's footprints with ``org_id`` over PACT (audited)."""
    access.grant(session, owner=org, recipient_id=org_id)
    session.commit()
    return JSONResponse({"org_id": org_id, "active": True}, status_code=status.HTTP_201_CREATED)


@router.delete("/api/v1/pact/grants/{org_id}")
def delete_grant(org_id: str, session: SessionDep, org: SharingOrg) -> JSONResponse:
    """Stop sharing with ``org_id`` (audited)."""
    access.revoke(session, owner=org, recipient_id=org_id)
    session.commit()
    return JSONResponse({"org_id": org_id, "active": False})
