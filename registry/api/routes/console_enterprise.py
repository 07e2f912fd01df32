"""The enterprise's console pages: products, labels, suppliers, PACT sharing, API keys.

- ``/console/products``: the organisation's products (list, make one), its GS1 company prefixes
  (claim one); ``/console/products/{id}``: change one, see its footprints and labels.
- ``/console/labels``: the organisation's labels with their state (anchoring and confirmations,
  revoked, superseded), QR codes (PNG, SVG) and printable artwork: links to the public routes of
  :mod:`registry.api.routes.pages`, which serve the same functions the API documents.
- ``/console/suppliers``: supplier invitations (:mod:`registry.crud.supplier_invitations`: send,
  cancel, see the answer), and the supplier attestations the organisation's footprints cite or it
  pushed, each hop with its state (the supply-chain sentences of the consumer page,
  :func:`registry.api.routes.pages._supply_lines`).
- ``/console/sharing``: PACT sharing grants (:mod:`registry.pact.access`): list, grant, revoke.
- ``/console/api-keys``: the organisation's API keys (:mod:`registry.crud.api_keys`): make one
  (shown once, in the answer to the form), revoke one.

Every page and form checks its :class:`registry.permissions.Action` with
:func:`registry.api.routes.console.permit` (the rule the API checks), every form its CSRF token,
and every change goes through the crud the API uses. A refused change is shown in the page with
its code and field, with the error's 4xx status. Forms are plain POSTs; no script.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session, col, select

from registry.api.deps import SERIAL_ID_MAX, SessionDep
from registry.api.routes.console import (
    FormFields,
    LangQuery,
    check_csrf,
    console_page,
    form_problem,
    invalid_form,
    may,
    page_language,
    permit,
    redirect_to,
)
from registry.api.routes.pages import _supply_lines
from registry.catalogue import FOOTPRINT_CATEGORIES
from registry.crud import api_keys as api_keys_crud
from registry.crud import prefixes as prefixes_crud
from registry.crud import products as crud
from registry.crud import supplier_invitations as invitations
from registry.crud.attestations import label_supply_chain, tree_view
from registry.crud.users import SignedIn
from registry.errors import InvalidInputError, RegistryError
from registry.finality import anchor_state
from registry.i18n import LANGUAGES, NAME_KEYS, Language, localized
from registry.models.attestations import Attestation
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.models.products import Product, ProductCreate, ProductUpdate
from registry.pact import access as pact_access
from registry.permissions import Action
from verifier.protocol.records import ATTESTATION, FOOTPRINT, LABEL

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

ReadUser = Annotated[SignedIn, Depends(permit(Action.PRODUCTS_READ))]
ProductsUser = Annotated[SignedIn, Depends(permit(Action.PRODUCTS_MANAGE))]
SuppliersUser = Annotated[SignedIn, Depends(permit(Action.SUPPLIERS_MANAGE))]
SharingUser = Annotated[SignedIn, Depends(permit(Action.PACT_SHARE))]
KeysUser = Annotated[SignedIn, Depends(permit(Action.API_KEYS_MANAGE))]
ProductId = Annotated[str, Path(min_length=1, max_length=32)]
OrgId = Annotated[str, Path(min_length=1, max_length=64)]
InvitationId = Annotated[int, Path(ge=1, le=SERIAL_ID_MAX)]
KeyId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]

#: How many rows a console list shows.
PAGE_ROWS: Final = 200
#: Form field of each name language: ``name-zh-Hans``, ``name-zh-Hant``, ``name-en``.
NAME_FIELDS: Final = {lang: f"name-{lang}" for lang in LANGUAGES}
#: The stored name key of each form field, for placing an error on the right input.
_FIELD_OF_NAME_KEY: Final = {f"name.{NAME_KEYS[lang]}": NAME_FIELDS[lang] for lang in LANGUAGES}


# -- shared pieces ------------------------------------------------------------------------------


def _problem(exc: RegistryError, t: dict[str, str]) -> dict[str, Any]:
    """An error as a page shows it: the catalogue's sentence for its code when there is one."""
    field = _FIELD_OF_NAME_KEY.get(exc.field or "", exc.field)
    return form_problem(exc, t, area="enterprise", field=field)


def _see(path: str, lang: str | None, request: Request) -> RedirectResponse:
    language, _ = page_language(request, lang)
    return redirect_to(path, language)


def _category_options(lang: Language) -> list[dict[str, str]]:
    return [
        {"code": code, "name": category.name(lang)}
        for code, category in FOOTPRINT_CATEGORIES.items()
    ]


def _name_of(names: dict[str, Any], lang: Language) -> str:
    return localized(names, lang)


# -- products -----------------------------------------------------------------------------------


def _form_names(form: dict[str, str]) -> dict[str, str]:
    return {
        NAME_KEYS[lang]: form[field].strip()
        for lang, field in NAME_FIELDS.items()
        if form.get(field, "").strip()
    }


def _products_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    error: RegistryError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    rows, count = crud.list_products(session, org=user.org, limit=PAGE_ROWS)
    footprints = crud.product_footprints(session, rows)
    labels = crud.product_labels(session, rows)
    products = [
        {
            "id": row.id,
            "name": _name_of(row.name, language),
            "gtin": row.gtin,
            "category": FOOTPRINT_CATEGORIES[row.category].name(language),
            "footprints": len(footprints[row.gtin]),
            "labels": len(labels[row.gtin]),
        }
        for row in rows
    ]
    prefixes, _ = prefixes_crud.list_prefixes(session, org_id=user.org.id)
    problem = None if error is None else _problem(error, t)
    return console_page(
        "console_enterprise_products.html",
        request,
        user,
        lang=lang,
        status_code=200 if problem is None else problem["status"],
        products=products,
        count=count,
        prefixes=prefixes,
        categories=_category_options(language),
        name_fields=NAME_FIELDS,
        may_manage=may(user, Action.PRODUCTS_MANAGE),
        error=problem,
        form=form or {},
    )


@router.get("/products", response_class=HTMLResponse)
def products_page(
    request: Request, session: SessionDep, user: ReadUser, lang: LangQuery = None
) -> HTMLResponse:
    return _products_page(request, session, user, lang)


@router.post("/products", response_class=HTMLResponse, response_model=None)
def products_create(
    request: Request,
    session: SessionDep,
    user: ProductsUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    try:
        try:
            body = ProductCreate.model_validate(
                {
                    "gtin": form.get("gtin", ""),
                    "name": _form_names(form),
                    "category": form.get("category", ""),
                }
            )
        except ValidationError as exc:
            raise invalid_form(exc) from None
        row = crud.create_product(session, org=user.org, body=body)
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _products_page(request, session, user, lang, error=exc, form=form)
    return _see(f"/console/products/{row.id}", lang, request)


@router.post("/products/prefixes", response_class=HTMLResponse, response_model=None)
def prefix_claim(
    request: Request,
    session: SessionDep,
    user: ProductsUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    evidence = form.get("evidence", "").strip() or None
    try:
        if evidence is not None and len(evidence) > 500:
            raise InvalidInputError(
                "evidence is at most 500 characters", code="string_too_long", field="evidence"
            )
        prefixes_crud.claim_prefix(
            session, org=user.org, prefix=form.get("prefix", ""), evidence=evidence
        )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _products_page(request, session, user, lang, error=exc, form=form)
    return _see("/console/products", lang, request)


def _anchoring(session: Session, record_type: str, record_id: str) -> dict[str, Any]:
    status, finality = anchor_state(session, record_type=record_type, record_id=record_id)
    return {
        "status": status or "none",
        "confirmations": None if finality is None else finality.confirmations,
        "required": None if finality is None else finality.required,
    }


def _label_rows(
    session: Session, labels: Sequence[Label], language: Language
) -> list[dict[str, Any]]:
    rows = []
    for label in labels:
        product = label.record.get("product") or {}
        rows.append(
            {
                "id": label.id,
                "certificate_number": label.certificate_number,
                "product": _name_of(product.get("name") or {}, language),
                "gtin": label.gtin,
                "category": product.get("category", ""),
                "grade": label.grade,
                "status": label.status,
                "live": label.status == "active",
                "superseded_by": label.superseded_by,
                "valid_until": label.valid_until.isoformat(),
                "anchoring": _anchoring(session, LABEL, label.id),
            }
        )
    return rows


def _footprint_rows(session: Session, footprints: Sequence[Footprint]) -> list[dict[str, Any]]:
    return [
        {
            "id": fp.id,
            "status": fp.status,
            "kg_co2e_per_unit": fp.data.get("kg_co2e_per_unit"),
            "declared_unit": fp.data.get("declared_unit"),
            "created_at": fp.created_at.date().isoformat(),
            "anchoring": _anchoring(session, FOOTPRINT, fp.id),
        }
        for fp in footprints
    ]


def _product_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    row: Product,
    *,
    error: RegistryError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    footprints = crud.product_footprints(session, [row])[row.gtin]
    labels = crud.product_labels(session, [row])[row.gtin]
    values = form or {
        "category": row.category,
        **{field: row.name.get(NAME_KEYS[lang_], "") for lang_, field in NAME_FIELDS.items()},
    }
    problem = None if error is None else _problem(error, t)
    return console_page(
        "console_enterprise_product.html",
        request,
        user,
        lang=lang,
        status_code=200 if problem is None else problem["status"],
        product=row,
        product_name=_name_of(row.name, language),
        category_name=FOOTPRINT_CATEGORIES[row.category].name(language),
        footprints=_footprint_rows(session, footprints),
        labels=_label_rows(session, labels, language),
        categories=_category_options(language),
        name_fields=NAME_FIELDS,
        may_manage=may(user, Action.PRODUCTS_MANAGE),
        error=problem,
        form=values,
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    user: ReadUser,
    lang: LangQuery = None,
) -> HTMLResponse:
    try:
        row = crud.get_product(session, org=user.org, product_id=product_id)
    except RegistryError as exc:
        return _products_page(request, session, user, lang, error=exc)
    return _product_page(request, session, user, lang, row)


@router.post("/products/{product_id}", response_class=HTMLResponse, response_model=None)
def product_edit(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    user: ProductsUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    try:
        row = crud.get_product(session, org=user.org, product_id=product_id)
    except RegistryError as exc:
        return _products_page(request, session, user, lang, error=exc)
    try:
        try:
            body = ProductUpdate.model_validate(
                {"name": _form_names(form), "category": form.get("category", "")}
            )
        except ValidationError as exc:
            raise invalid_form(exc) from None
        crud.update_product(session, org=user.org, product_id=product_id, body=body)
        session.commit()
    except RegistryError as exc:
        session.rollback()
        row = crud.get_product(session, org=user.org, product_id=product_id)
        return _product_page(request, session, user, lang, row, error=exc, form=form)
    return _see(f"/console/products/{row.id}", lang, request)


# -- labels -------------------------------------------------------------------------------------


def _org_labels(session: Session, org: Organisation) -> list[Label]:
    return list(
        session.exec(
            select(Label)
            .where(Label.enterprise_org_id == org.id)
            .order_by(col(Label.created_at).desc(), col(Label.id))
            .limit(PAGE_ROWS)
        ).all()
    )


@router.get("/labels", response_class=HTMLResponse)
def labels_page(
    request: Request, session: SessionDep, user: ReadUser, lang: LangQuery = None
) -> HTMLResponse:
    language, _ = page_language(request, lang)
    labels = _label_rows(session, _org_labels(session, user.org), language)
    return console_page("console_enterprise_labels.html", request, user, lang=lang, labels=labels)


# -- suppliers ----------------------------------------------------------------------------------


def _pushed_roots(session: Session, org: Organisation) -> list[str]:
    """The attestations the organisation pushed that no other of them builds on, newest first."""
    rows = session.exec(
        select(Attestation)
        .where(Attestation.pushed_by_org_id == org.id)
        .order_by(col(Attestation.received_at).desc(), col(Attestation.id))
        .limit(PAGE_ROWS)
    ).all()
    below = {upstream for row in rows for upstream in row.upstream}
    return [row.id for row in rows if row.id not in below]


def _cited_chains(
    session: Session, org: Organisation, language: Language, t: dict[str, str]
) -> list[dict[str, Any]]:
    """The organisation's footprints that cite supplier attestations, each with its supply-chain
    tree as the label page shows it (:func:`registry.crud.attestations.label_supply_chain`)."""
    footprints = session.exec(
        select(Footprint)
        .where(Footprint.org_id == org.id)
        .order_by(col(Footprint.created_at).desc(), col(Footprint.id))
        .limit(PAGE_ROWS)
    ).all()
    return [
        {
            "footprint_id": fp.id,
            "product": _name_of(fp.data.get("product_name") or {}, language),
            "gtin": fp.gtin,
            "hops": _supply_lines(label_supply_chain(session, fp.data), language, None, t),
        }
        for fp in footprints
        if fp.data.get("components")
    ]


def _invitation_rows(session: Session, org: Organisation) -> list[dict[str, Any]]:
    rows = invitations.invitations_of(session, org_id=org.id)
    answered = invitations.answers(session, rows)
    names = {
        o.id: o.name
        for o in session.exec(
            select(Organisation).where(col(Organisation.id).in_({r.supplier_org_id for r in rows}))
        )
    }
    found = []
    for row in rows:
        assert row.id is not None
        answer = answered[row.id]
        found.append(
            {
                "id": row.id,
                "supplier": names.get(row.supplier_org_id, row.supplier_org_id),
                "supplier_org_id": row.supplier_org_id,
                "component_id": row.component_id,
                "note": row.note,
                "status": row.status,
                "created_at": row.created_at.date().isoformat(),
                "answer": None
                if answer is None
                else {
                    "id": answer.id,
                    "status": answer.status,
                    "anchoring": _anchoring(session, ATTESTATION, answer.id),
                },
            }
        )
    return found


def _suppliers_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    error: RegistryError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    cited = _cited_chains(session, user.org, language, t)
    shown = {hop["id"] for chain in cited for hop in chain["hops"]}
    pushed = [i for i in _pushed_roots(session, user.org) if i not in shown]
    chains = _supply_lines(tree_view(session, pushed), language, None, t)
    problem = None if error is None else _problem(error, t)
    return console_page(
        "console_enterprise_suppliers.html",
        request,
        user,
        lang=lang,
        status_code=200 if problem is None else problem["status"],
        cited=cited,
        chains=chains,
        invitations=_invitation_rows(session, user.org),
        may_manage=may(user, Action.SUPPLIERS_MANAGE),
        error=problem,
        form=form or {},
    )


@router.get("/suppliers", response_class=HTMLResponse)
def suppliers_page(
    request: Request, session: SessionDep, user: ReadUser, lang: LangQuery = None
) -> HTMLResponse:
    return _suppliers_page(request, session, user, lang)


@router.post("/suppliers/invitations", response_class=HTMLResponse, response_model=None)
def supplier_invite(
    request: Request,
    session: SessionDep,
    user: SuppliersUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    try:
        invitations.invite_supplier(
            session,
            org=user.org,
            supplier_org_id=form.get("supplier_org_id", ""),
            component_id=form.get("component_id", ""),
            note=form.get("note", ""),
        )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _suppliers_page(request, session, user, lang, error=exc, form=form)
    return _see("/console/suppliers", lang, request)


@router.post(
    "/suppliers/invitations/{invitation_id}/cancel",
    response_class=HTMLResponse,
    response_model=None,
)
def supplier_invitation_cancel(
    invitation_id: InvitationId,
    request: Request,
    session: SessionDep,
    user: SuppliersUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    try:
        invitations.cancel_invitation(session, org=user.org, invitation_id=invitation_id)
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _suppliers_page(request, session, user, lang, error=exc)
    return _see("/console/suppliers", lang, request)


# -- PACT sharing -------------------------------------------------------------------------------


def _sharing_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    error: RegistryError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    _, t = page_language(request, lang)
    grants = []
    for grant in pact_access.grants_of(session, owner_id=user.org.id):
        recipient = session.get(Organisation, grant.recipient_org_id)
        grants.append(
            {
                "org_id": grant.recipient_org_id,
                "org_name": recipient.name if recipient is not None else "",
                "since": grant.created_at.date().isoformat(),
            }
        )
    problem = None if error is None else _problem(error, t)
    return console_page(
        "console_enterprise_sharing.html",
        request,
        user,
        lang=lang,
        status_code=200 if problem is None else problem["status"],
        grants=grants,
        error=problem,
        form=form or {},
    )


@router.get("/sharing", response_class=HTMLResponse)
def sharing_page(
    request: Request, session: SessionDep, user: SharingUser, lang: LangQuery = None
) -> HTMLResponse:
    return _sharing_page(request, session, user, lang)


def _sharing_change(
    request: Request,
    session: Session,
    user: SignedIn,
    form: dict[str, str],
    lang: str | None,
    change: Callable[[], Any],
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    try:
        change()
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _sharing_page(request, session, user, lang, error=exc, form=form)
    return _see("/console/sharing", lang, request)


@router.post("/sharing", response_class=HTMLResponse, response_model=None)
def sharing_grant(
    request: Request,
    session: SessionDep,
    user: SharingUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    recipient = form.get("org_id", "").strip()[:64]
    return _sharing_change(
        request,
        session,
        user,
        form,
        lang,
        lambda: pact_access.grant(session, owner=user.org, recipient_id=recipient),
    )


@router.post("/sharing/{org_id}/revoke", response_class=HTMLResponse, response_model=None)
def sharing_revoke(
    org_id: OrgId,
    request: Request,
    session: SessionDep,
    user: SharingUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    return _sharing_change(
        request,
        session,
        user,
        form,
        lang,
        lambda: pact_access.revoke(session, owner=user.org, recipient_id=org_id),
    )


# -- API keys -----------------------------------------------------------------------------------


def _keys_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    new_key: str | None = None,
    error: RegistryError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _, t = page_language(request, lang)
    keys = api_keys_crud.list_api_keys(session, org_id=user.org.id)
    problem = None if error is None else _problem(error, t)
    return console_page(
        "console_enterprise_api_keys.html",
        request,
        user,
        lang=lang,
        status_code=status_code if problem is None else problem["status"],
        keys=keys,
        new_key=new_key,
        error=problem,
    )


@router.get("/api-keys", response_class=HTMLResponse)
def keys_page(
    request: Request, session: SessionDep, user: KeysUser, lang: LangQuery = None
) -> HTMLResponse:
    return _keys_page(request, session, user, lang)


@router.post("/api-keys", response_class=HTMLResponse)
def keys_create(
    request: Request,
    session: SessionDep,
    user: KeysUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Make a key: the answer shows it this once (never stored, never redirected)."""
    check_csrf(form, user)
    try:
        _, plaintext = api_keys_crud.issue_api_key(session, org_id=user.org.id)
    except RegistryError as exc:
        session.rollback()
        return _keys_page(request, session, user, lang, error=exc)
    return _keys_page(request, session, user, lang, new_key=plaintext)


@router.post("/api-keys/{key_id}/revoke", response_class=HTMLResponse, response_model=None)
def keys_revoke(
    key_id: KeyId,
    request: Request,
    session: SessionDep,
    user: KeysUser,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse | RedirectResponse:
    check_csrf(form, user)
    try:
        api_keys_crud.revoke_api_key(session, org_id=user.org.id, key_id=key_id)
    except RegistryError as exc:
        session.rollback()
        return _keys_page(request, session, user, lang, error=exc)
    return _see("/console/api-keys", lang, request)
