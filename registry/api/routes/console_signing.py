"""The console's in-browser signing: suppliers sign attestations, partners sign recognitions.

The signing key never reaches the server. The page (``registry/static/console/signing.js``)
opens an encrypted keystore file (Web3 Secret Storage) with its password, or asks a browser
wallet (EIP-1193, ``eth_signTypedData_v4``), gets the typed data from the API
(``POST /api/v1/attestations/typed-data``, ``POST /api/v1/recognitions/typed-data``), shows what is
signed, signs it locally and sends only the signed statement here, with the session's CSRF token
in the ``X-CSRF-Token`` header:

- ``GET /console/signing/attest``: a supplier's page (:attr:`Action.ATTESTATION_SIGN`): the open
  requests of its customers (supplier invitations), its signing keys, and what it signed.
- ``POST /console/signing/attestations`` ``{customer, message, signature}``: pushed to the
  customer with :func:`registry.crud.attestations.push`, the crud of ``POST /api/v1/attestations``
  (the customer is the pusher, so it reads the attestation, cites it in its footprints and sees
  its invitation answered). Only a customer that asked (an open invitation) may be named.
- ``GET /console/signing/recognise``: a partner certifier's page
  (:attr:`Action.RECOGNITION_SIGN`): the Chongqing labels in its scope (:func:`partner_scope`),
  its recognitions of them, and links to the proof files (the label bundles that nest them).
- ``POST /console/signing/recognitions`` ``{typedData, signature, schemeId?}`` and
  ``POST /console/signing/recognitions/{id}/withdraw`` ``{typedData, signature}``:
  :func:`registry.crud.recognitions.submit_recognition` and ``withdraw_recognition``, the crud of
  the API's routes.

- ``GET /console/signing/keys/challenge?address=`` and ``POST /console/signing/keys``
  ``{address, signature}``: register the key opened in the page (its ``personal_sign`` of the
  registry's challenge, :func:`registry.crud.suppliers.register_key`), for whoever may sign.

Errors are the API's JSON bodies (``{"error": {"code", "message", "field", "details"}}``); the
script shows their message with the code and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Field
from sqlmodel import Session, col, select

from anchoring import ledger
from registry.api.deps import SessionDep, SettingsDep, wake_anchoring
from registry.api.routes.attestations import deployment, raise_item_error
from registry.api.routes.console import (
    CSRF_FIELD,
    ConsoleUser,
    LangQuery,
    check_csrf,
    console_page,
    permit,
)
from registry.catalogue import FOOTPRINT_CATEGORIES
from registry.crud import attestations as attestation_crud
from registry.crud import recognitions as recognition_crud
from registry.crud import supplier_invitations as invitations
from registry.crud import suppliers as supplier_keys
from registry.crud.labels import ACTIVE as LABEL_ACTIVE
from registry.crud.suppliers import is_active, list_keys
from registry.crud.users import SignedIn
from registry.errors import InvalidInputError, PermissionDeniedError
from registry.i18n import choose_language, localized, messages
from registry.models.attestations import Attestation
from registry.models.common import StrictInput, utcnow
from registry.models.labels import Label
from registry.models.orgs import Organisation, OrgRole
from registry.models.recognitions import ACTIVE as RECOGNITION_ACTIVE
from registry.models.recognitions import Recognition, SignedStatement
from registry.models.suppliers import KeyRegistration, RegistrationChallenge, SupplierKeyPublic
from registry.permissions import Action, check
from registry.records import sweep_revocations
from verifier.protocol.reasons import WITHDRAWAL_REASONS
from verifier.protocol.records import LABEL, RECOGNITION
from verifier.protocol.scheme import label_category, label_scheme_id

__all__ = [
    "PROFILES_DIR",
    "PartnerScope",
    "SignedAttestation",
    "customers_of",
    "key_owner",
    "labels_in_scope",
    "partner_scope",
    "pending_requests",
    "router",
]

router = APIRouter(prefix="/console/signing", tags=["console"], include_in_schema=False)

#: The partner certifiers' trust profiles (docs/PROTOCOL.md, section 7): who recognises what.
PROFILES_DIR: Final = Path(__file__).resolve().parents[2] / "data" / "trust-profiles"
#: Rows a page lists at most.
MAX_ROWS: Final = 200
#: The header the page's script sends the session's CSRF token in.
CSRF_HEADER: Final = "X-CSRF-Token"
#: Catalogue keys the page's script reads start with these (passed in ``data-messages``).
SCRIPT_KEY_PREFIXES: Final = ("console_signing_js_", "console_signing_review_")

SupplierUser = Annotated[SignedIn, Depends(permit(Action.ATTESTATION_SIGN))]
PartnerUser = Annotated[SignedIn, Depends(permit(Action.RECOGNITION_SIGN))]


def _csrf_header(
    user: SignedIn, token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None
) -> None:
    check_csrf({CSRF_FIELD: token or ""}, user)


def supplier_csrf(
    user: SupplierUser, token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None
) -> SignedIn:
    """A supplier allowed to sign, whose request carries the session's CSRF token."""
    _csrf_header(user, token)
    return user


def partner_csrf(
    user: PartnerUser, token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None
) -> SignedIn:
    """A partner allowed to sign, whose request carries the session's CSRF token."""
    _csrf_header(user, token)
    return user


def key_owner(user: ConsoleUser) -> SignedIn:
    """Whoever may sign for their organisation (attestations for an enterprise, recognitions
    for a partner certifier) may register the key they sign with."""
    action = (
        Action.RECOGNITION_SIGN
        if user.org.role == OrgRole.PARTNER_CERTIFIER
        else Action.ATTESTATION_SIGN
    )
    check(action, org_role=user.org.role, user_role=user.user.role)
    return user


KeyOwner = Annotated[SignedIn, Depends(key_owner)]


def key_owner_csrf(
    user: KeyOwner, token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None
) -> SignedIn:
    """A key owner whose request carries the session's CSRF token."""
    _csrf_header(user, token)
    return user


class SignedAttestation(StrictInput):
    """Body of ``POST /console/signing/attestations``: the signed statement and its customer."""

    customer: str = Field(min_length=1, max_length=64, description="the customer's org id")
    message: dict[str, Any] = Field(description="the attestation message as it was signed")
    signature: str = Field(max_length=200, description="0x-hex, 65 bytes r || s || v")


# -- signing keys -------------------------------------------------------------------------------


@router.get("/keys/challenge")
def key_challenge(
    address: Annotated[str, Query(description="the address to register", max_length=64)],
    settings: SettingsDep,
    user: KeyOwner,
) -> RegistrationChallenge:
    """The text the opened key signs (``personal_sign``) to be registered to the person's
    organisation: the same challenge as ``GET /api/v1/suppliers/keys/challenge``."""
    normal = supplier_keys.normal_address(address, "query.address")
    message = supplier_keys.registration_message(
        base_url=settings.base_url, org_id=user.org.id, address=normal
    )
    return RegistrationChallenge(address=normal, message=message)


@router.post("/keys", status_code=status.HTTP_201_CREATED)
def register_signing_key(
    body: KeyRegistration,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[SignedIn, Depends(key_owner_csrf)],
) -> SupplierKeyPublic:
    """Register the key opened in the page with its proof of possession
    (:func:`registry.crud.suppliers.register_key`, as ``POST /api/v1/suppliers/keys``)."""
    key = supplier_keys.register_key(session, org=user.org, body=body, base_url=settings.base_url)
    session.commit()
    return supplier_keys.to_public(key)


# -- suppliers ----------------------------------------------------------------------------------


def customers_of(session: Session, supplier: Organisation) -> list[Organisation]:
    """The customers a supplier may push to: those with an open invitation to it (who asked it
    for an attestation, :mod:`registry.crud.supplier_invitations`), by name."""
    asked = {
        row.org_id
        for row in invitations.invitations_to(session, supplier_org_id=supplier.id, limit=MAX_ROWS)
    }
    return list(
        session.exec(
            select(Organisation)
            .where(col(Organisation.id).in_(asked))
            .order_by(col(Organisation.name), col(Organisation.id))
        ).all()
    )


def _customer(session: Session, supplier: Organisation, org_id: str) -> Organisation:
    for org in customers_of(session, supplier):
        if org.id == org_id:
            return org
    raise InvalidInputError(
        f"organisation {org_id} has not asked this supplier for an attestation",
        code="unknown_customer",
        field="customer",
    )


def pending_requests(session: Session, supplier: Organisation) -> list[dict[str, Any]]:
    """The supplier's open invitations, newest first, each with its customer's name and its
    answer (the newest attestation of the component that reached the customer, or ``None``)."""
    rows = invitations.invitations_to(session, supplier_org_id=supplier.id, limit=MAX_ROWS)
    answered = invitations.answers(session, rows)
    names = {org.id: org.name for org in customers_of(session, supplier)}
    return [
        {
            "row": row,
            "customer": names.get(row.org_id, row.org_id),
            "answer": answered[row.id] if row.id is not None else None,
        }
        for row in rows
    ]


def _signed_attestations(session: Session, supplier: Organisation) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Attestation)
        .where(Attestation.supplier_org_id == supplier.id)
        .order_by(col(Attestation.received_at).desc(), col(Attestation.id))
        .limit(MAX_ROWS)
    ).all()
    names = {
        o.id: o.name
        for o in session.exec(
            select(Organisation).where(col(Organisation.id).in_({r.pushed_by_org_id for r in rows}))
        )
    }
    return [
        {
            "row": row,
            "customer": names.get(row.pushed_by_org_id, row.pushed_by_org_id),
            "anchor_status": ledger.record_status(
                session, record_type="attestation", record_id=row.id
            ),
        }
        for row in rows
    ]


def _script_messages(lang: str) -> str:
    t = messages(lang)
    return json.dumps(
        {
            key.removeprefix("console_signing_"): text
            for key, text in t.items()
            if key.startswith(SCRIPT_KEY_PREFIXES)
        },
        ensure_ascii=False,
    )


@router.get("/attest", response_class=HTMLResponse)
def attest_page(
    request: Request, session: SessionDep, user: SupplierUser, lang: LangQuery = None
) -> HTMLResponse:
    """Sign an attestation in the browser and push it to a customer."""
    now = utcnow()
    language = choose_language(lang, request.headers.get("accept-language"))
    return console_page(
        "console_signing_attest.html",
        request,
        user,
        lang=lang,
        keys=[k for k in list_keys(session, org=user.org) if is_active(k, now)],
        customers=customers_of(session, user.org),
        requests=pending_requests(session, user.org),
        signed=_signed_attestations(session, user.org),
        units=sorted(attestation_crud.ATTESTATION_UNITS),
        script_messages=_script_messages(language),
    )


@router.post("/attestations", status_code=status.HTTP_201_CREATED)
def push_signed_attestation(
    body: SignedAttestation,
    request: Request,
    session: SessionDep,
    user: Annotated[SignedIn, Depends(supplier_csrf)],
) -> JSONResponse:
    """Push one attestation the supplier signed in the page to ``customer``: 201 stored, 200
    already stored; else the intake's error (the same codes as ``POST /api/v1/attestations``)."""
    customer = _customer(session, user.org, body.customer)
    signer = str(body.message.get("supplier", ""))
    own = {k.address.lower() for k in list_keys(session, org=user.org)}
    if signer.lower() not in own:
        raise PermissionDeniedError(
            f"{signer or 'message.supplier'} is not a signing key of {user.org.name}",
            code="not_own_key",
            field="message.supplier",
        )
    chain_id, contract = deployment(request)
    item = {"message": body.message, "signature": body.signature}
    (result,) = attestation_crud.push(
        session, org=customer, items=[item], chain_id=chain_id, contract=contract, now=utcnow()
    )
    raise_item_error(result)
    session.commit()
    assert result.id is not None
    stored = attestation_crud.get_attestation(session, attestation_id=result.id)
    public = attestation_crud.to_public(session, stored)
    code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
    return JSONResponse(
        {
            **public.model_dump(mode="json"),
            "customer_name": customer.name,
            "outcome": result.status,
        },
        status_code=code,
    )


# -- partner certifiers -------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerScope:
    """What a partner certifier recognises: its schemes and the product categories in scope.

    ``categories`` empty means every category. ``profile`` names the trust profile it came from
    (``None`` when no profile names the partner: then every active label is in scope).
    """

    schemes: tuple[str, ...]
    categories: tuple[str, ...] = ()
    profile: str | None = None
    bodies: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _profiles() -> tuple[tuple[str, dict[str, Any]], ...]:
    return tuple(
        (path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(PROFILES_DIR.glob("*.json"))
    )


def partner_scope(session: Session, partner: Organisation) -> PartnerScope:
    """The partner's scope, read from the trust profiles (``registry/data/trust-profiles``).

    A profile's certification body is the partner's when its address is one of the partner's
    registered keys, or else when its schemes include one the partner has recognised under. The
    scope is the union of those bodies' schemes and categories (a body without a category limit
    lifts it); with no such body, the schemes the partner has used or any profile accepts, and
    every category.
    """
    addresses = {k.address.lower() for k in list_keys(session, org=partner)}
    used = set(
        session.exec(
            select(Recognition.scheme).where(Recognition.org_id == partner.id).distinct()
        ).all()
    )
    matched: list[tuple[str, dict[str, Any]]] = []
    for name, profile in _profiles():
        for body in profile.get("certificationBodies", ()):
            if str(body.get("address", "")).lower() in addresses:
                matched.append((name, body))
    if not matched:
        for name, profile in _profiles():
            for body in profile.get("certificationBodies", ()):
                if used & set(body.get("schemes", ())):
                    matched.append((name, body))
    if not matched:
        accepted = {s for _, p in _profiles() for s in p.get("acceptedSchemes", ())}
        return PartnerScope(schemes=tuple(sorted(used | accepted)))
    schemes = sorted({s for _, body in matched for s in body.get("schemes", ())} | used)
    unlimited = any(not body.get("categories") for _, body in matched)
    listed = {c for _, body in matched for c in body.get("categories", ())}
    categories = () if unlimited else tuple(sorted(listed))
    return PartnerScope(
        schemes=tuple(schemes),
        categories=categories,
        profile=", ".join(sorted({name for name, _ in matched})),
        bodies=tuple(sorted({str(body.get("name", "")) for _, body in matched})),
    )


def _unix(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


def labels_in_scope(session: Session, scope: PartnerScope) -> list[dict[str, Any]]:
    """Active labels of the scope's categories, newest first, with their Merkle leaf hash (the
    subject a label recognition signs; ``None`` until the label is queued for anchoring)."""
    rows = session.exec(
        select(Label)
        .where(Label.status == LABEL_ACTIVE)
        .order_by(col(Label.created_at).desc(), col(Label.id))
        .limit(MAX_ROWS * 5)
    ).all()
    chosen = [
        r for r in rows if not scope.categories or label_category(r.record) in scope.categories
    ][:MAX_ROWS]
    leaves = {
        rec.record_id: rec.leaf_hash
        for rec in session.exec(
            select(ledger.AnchorRecord).where(
                ledger.AnchorRecord.record_type == LABEL,
                col(ledger.AnchorRecord.record_id).in_([r.id for r in chosen]),
            )
        )
    }
    return [
        {
            "label": row,
            "category": label_category(row.record) or "",
            "scheme": label_scheme_id(row.record) or "",
            "leaf": leaves.get(row.id),
            "valid_from": _unix(row.valid_from),
            "valid_until": _unix(row.valid_until),
        }
        for row in chosen
    ]


def _product_name(record: dict[str, Any], lang: str) -> str:
    product = record.get("product") or {}
    name = product.get("name") if isinstance(product, dict) else None
    return localized(name, lang) if isinstance(name, dict) else ""


def _recognitions_by_label(
    session: Session, partner: Organisation
) -> tuple[dict[str, list[Recognition]], list[Recognition]]:
    rows, _ = recognition_crud.list_recognitions(session, org_id=partner.id, limit=MAX_ROWS)
    by_label: dict[str, list[Recognition]] = {}
    schemes: list[Recognition] = []
    for row in rows:
        if row.label_id is not None:
            by_label.setdefault(row.label_id, []).append(row)
        else:
            schemes.append(row)
    return by_label, schemes


@router.get("/recognise", response_class=HTMLResponse)
def recognise_page(
    request: Request, session: SessionDep, user: PartnerUser, lang: LangQuery = None
) -> HTMLResponse:
    """The Chongqing labels in the partner's scope: recognise or withdraw, download proofs."""
    language = choose_language(lang, request.headers.get("accept-language"))
    now = utcnow()
    scope = partner_scope(session, user.org)
    by_label, scheme_rows = _recognitions_by_label(session, user.org)
    labels = labels_in_scope(session, scope)
    for entry in labels:
        entry["name"] = _product_name(entry["label"].record, language)
        entry["recognitions"] = by_label.get(entry["label"].id, [])
    names = {code: c.name(language) for code, c in FOOTPRINT_CATEGORIES.items()}
    return console_page(
        "console_signing_recognise.html",
        request,
        user,
        lang=lang,
        keys=[k for k in list_keys(session, org=user.org) if is_active(k, now)],
        scope=scope,
        category_names=names,
        labels=labels,
        scheme_recognitions=scheme_rows,
        active=RECOGNITION_ACTIVE,
        reasons=[(code, reason.describe(language)) for code, reason in WITHDRAWAL_REASONS.items()],
        script_messages=_script_messages(language),
    )


def _recognition_reply(
    session: Session, recognition: Recognition, base_url: str, created: bool
) -> JSONResponse:
    public = recognition_crud.to_public(session, recognition, base_url=base_url)
    return JSONResponse(
        public.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@router.post("/recognitions", status_code=status.HTTP_201_CREATED)
def submit_signed_recognition(
    body: SignedStatement,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[SignedIn, Depends(partner_csrf)],
) -> JSONResponse:
    """Record the recognition the partner signed in the page (``POST /api/v1/recognitions``)."""
    chain_id, contract = deployment(request)
    recognition, created = recognition_crud.submit_recognition(
        session, org=user.org, body=body, chain_id=chain_id, contract=contract
    )
    session.commit()
    sweep_revocations(session, RECOGNITION)
    wake_anchoring(request)
    return _recognition_reply(session, recognition, settings.base_url, created)


@router.post("/recognitions/{recognition_id}/withdraw")
def withdraw_signed_recognition(
    recognition_id: str,
    body: SignedStatement,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[SignedIn, Depends(partner_csrf)],
) -> JSONResponse:
    """Withdraw with the partner's signed ``Withdrawal`` (``POST .../{id}/withdraw``)."""
    chain_id, contract = deployment(request)
    recognition = recognition_crud.get_recognition(session, recognition_id=recognition_id)
    recognition_crud.withdraw_recognition(
        session,
        org=user.org,
        recognition=recognition,
        body=body,
        chain_id=chain_id,
        contract=contract,
    )
    session.commit()
    sweep_revocations(session, RECOGNITION)
    wake_anchoring(request)
    return _recognition_reply(session, recognition, settings.base_url, False)
