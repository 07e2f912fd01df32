"""GS1 Digital Link resolver: ``/01/{gtin}[/10/{lot}][/21/{serial}]`` → the label, or its linkset.

A browser (and a phone scanning the QR code) is redirected (307) to the label's consumer page. A
client asking for links gets an RFC 9264 linkset (JSON) naming, with GS1 link types:

- ``gs1:defaultLink`` and ``gs1:pip``: the consumer page ``/l/{label_id}`` (zh-Hans/zh-Hant/en);
- ``gs1:certificationInfo``: the label's ``tanji-bundle/1`` (proof, recognitions);
- ``gs1:sustainabilityInfo``: the PACT v3 ProductFootprint of the labelled footprint.

The linkset is returned for ``?linkType=all`` or ``Accept: application/linkset+json`` (served as
that media type), or ``Accept: application/json`` (served as JSON). ``?linkType=gs1:pip`` (or
another listed type) redirects to that link. Every redirect carries a ``Link`` header pointing at
the linkset. The lot (AI 10) does not select a label; without a serial (AI 21) the GTIN's newest
active label is chosen.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from registry.api.deps import SessionDep, SettingsDep
from registry.api.openapi import PAGE_OR_ERROR_404
from registry.api.routes.pages import not_found_page
from registry.crud.prefixes import gtin_owner
from registry.errors import InvalidInputError, NotFoundError
from registry.i18n import LANGUAGES, choose_language, localized
from registry.labelview import find_label_by_gs1
from registry.models.labels import Label
from registry.qr import normalize_gtin
from verifier.protocol.records import BUNDLE_FORMAT

router = APIRouter(tags=["resolver"])

LINKSET_TYPE: Final = "application/linkset+json"
GS1_VOC: Final = "https://gs1.org/voc/"
LINK_TYPES: Final = ("defaultLink", "pip", "certificationInfo", "sustainabilityInfo")

LinkType = Annotated[str | None, Query(alias="linkType")]
#: What a Digital Link answers: its linkset, a redirect, or a 404 page (error body for clients).
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "The label's linkset (RFC 9264), for `?linkType=all` or when asked.",
        "content": {LINKSET_TYPE: {"schema": {"type": "object"}}},
    },
    307: {"description": "Redirect to the label's page, or to the link `linkType` names."},
    404: PAGE_OR_ERROR_404,
}


def find_label(session: Session, *, gtin14: str, serial: str | None) -> Label | None:
    """The label a Digital Link names: by GTIN and serial, or the GTIN's newest active label.

    Only labels of the organisation holding the GTIN's confirmed GS1 company prefix count: a
    GTIN is never sent to another company's label (none, when no one holds the prefix).
    """
    owner = gtin_owner(session, gtin14=gtin14)
    if owner is None:
        return None
    if serial is not None:
        label_id = find_label_by_gs1(session, gtin14=gtin14, serial=serial, enterprise_org_id=owner)
        return None if label_id is None else session.get(Label, label_id)
    return session.exec(
        select(Label)
        .where(Label.gtin == gtin14, Label.enterprise_org_id == owner)
        .order_by(col(Label.status) != "active", col(Label.created_at).desc())
    ).first()


def digital_link(base_url: str, gtin14: str, lot: str | None, serial: str | None) -> str:
    """The canonical Digital Link URI (lot before serial, as GS1 orders the qualifiers)."""
    uri = f"{base_url.rstrip('/')}/01/{gtin14}"
    if lot is not None:
        uri += f"/10/{quote(lot, safe='')}"
    if serial is not None:
        uri += f"/21/{quote(serial, safe='')}"
    return uri


def linkset(base_url: str, anchor: str, label: Label) -> dict[str, Any]:
    """The RFC 9264 JSON linkset of a label (one context object, anchored at its Digital Link)."""
    base = base_url.rstrip("/")
    name = label.record.get("product", {}).get("name") or {}
    page = {
        "href": f"{base}/l/{quote(label.id, safe='')}",
        "title": localized(name, "en") or label.certificate_number,
        "type": "text/html",
        "hreflang": list(LANGUAGES),
    }
    return {
        "linkset": [
            {
                "anchor": anchor,
                f"{GS1_VOC}defaultLink": [page],
                f"{GS1_VOC}pip": [page],
                f"{GS1_VOC}certificationInfo": [
                    {
                        "href": f"{base}/api/v1/labels/{quote(label.id, safe='')}/bundle",
                        "title": f"Carbon label {label.certificate_number}: proof bundle "
                        f"({BUNDLE_FORMAT}, with recognitions)",
                        "type": "application/json",
                    }
                ],
                f"{GS1_VOC}sustainabilityInfo": [
                    {
                        # Public and key-free: what the label publishes (registry.pact.routes).
                        "href": f"{base}/pact/labels/{quote(label.id, safe='')}/footprint",
                        "title": "Product carbon footprint (WBCSD PACT v3 ProductFootprint)",
                        "type": "application/json",
                    }
                ],
            }
        ]
    }


def _wants_linkset(request: Request, link_type: str | None) -> str | None:
    if link_type == "all":
        return LINKSET_TYPE
    accept = request.headers.get("accept", "")
    if LINKSET_TYPE in accept:
        return LINKSET_TYPE
    if "application/json" in accept and "text/html" not in accept:
        return "application/json"
    return None


def _resolve(
    request: Request,
    session: Session,
    base_url: str,
    *,
    gtin: str,
    lot: str | None,
    serial: str | None,
    link_type: str | None,
) -> Response:
    media = _wants_linkset(request, link_type)
    lang = choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    shown = f"01/{gtin}" + (f"/21/{serial}" if serial is not None else "")
    try:
        gtin14 = normalize_gtin(gtin)
    except InvalidInputError:
        if media:
            raise NotFoundError(f"{gtin} is not a valid GTIN", field="gtin") from None
        return not_found_page(request, lang, shown)
    label = find_label(session, gtin14=gtin14, serial=serial)
    if label is None:
        if media:
            raise NotFoundError(f"no label for {shown}", field="serial" if serial else "gtin")
        return not_found_page(request, lang, shown)
    anchor = digital_link(base_url, gtin14, lot, serial)
    links = linkset(base_url, anchor, label)
    linkset_url = f"{anchor}?linkType=all"
    if media:
        return JSONResponse(
            links, media_type=media, headers={"Vary": "Accept", "Link": f'<{anchor}>; rel="self"'}
        )
    target = f"/l/{quote(label.id, safe='')}"
    wanted = (link_type or "").removeprefix("gs1:").removeprefix(GS1_VOC)
    if wanted in LINK_TYPES:
        target = links["linkset"][0][GS1_VOC + wanted][0]["href"]
    elif request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(
        target,
        status_code=307,
        headers={
            "Vary": "Accept",
            "Link": f'<{linkset_url}>; rel="linkset"; type="{LINKSET_TYPE}"',
        },
    )


@router.get("/01/{gtin}", summary="GS1 Digital Link resolver (GTIN only)", responses=RESPONSES)
def resolve_gtin(
    gtin: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link_type: LinkType = None,
) -> Response:
    """The GTIN's newest active label: redirect to its page, or its linkset."""
    return _resolve(
        request, session, settings.base_url, gtin=gtin, lot=None, serial=None, link_type=link_type
    )


@router.get(
    "/01/{gtin}/10/{lot}", summary="GS1 Digital Link resolver (GTIN and lot)", responses=RESPONSES
)
def resolve_lot(
    gtin: str,
    lot: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link_type: LinkType = None,
) -> Response:
    """As :func:`resolve_gtin`; the lot is kept in the linkset's anchor."""
    return _resolve(
        request, session, settings.base_url, gtin=gtin, lot=lot, serial=None, link_type=link_type
    )


@router.get(
    "/01/{gtin}/21/{serial}",
    summary="GS1 Digital Link resolver (GTIN and serial)",
    responses=RESPONSES,
)
def resolve_serial(
    gtin: str,
    serial: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link_type: LinkType = None,
) -> Response:
    """The label with this GTIN and serial: redirect to its page, or its linkset."""
    return _resolve(
        request, session, settings.base_url, gtin=gtin, lot=None, serial=serial, link_type=link_type
    )


@router.get(
    "/01/{gtin}/10/{lot}/21/{serial}",
    summary="GS1 Digital Link resolver (lot, serial)",
    responses=RESPONSES,
)
def resolve_lot_serial(
    gtin: str,
    lot: str,
    serial: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link_type: LinkType = None,
) -> Response:
    """As :func:`resolve_serial`; the lot does not select the label."""
    return _resolve(
        request, session, settings.base_url, gtin=gtin, lot=lot, serial=serial, link_type=link_type
    )


@router.get("/01/{gtin}/21/{serial}/10/{lot}", include_in_schema=False)
def resolve_serial_lot(
    gtin: str,
    serial: str,
    lot: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    link_type: LinkType = None,
) -> Response:
    # Not GS1's order (lot before serial), but printed codes in the wild use it.
    return _resolve(
        request, session, settings.base_url, gtin=gtin, lot=lot, serial=serial, link_type=link_type
    )
