"""``/api/v1/pact/footprints``: WBCSD PACT v3 ProductFootprint export and import.

- ``GET /api/v1/pact/footprints/{footprint_id}``: the footprint as a PACT v3 ProductFootprint, with
  its anchored ``tanji-bundle/1`` in the Tanji data model extension (docs/ATTESTATIONS.md,
  section 6). PACT requires values Tanji does not record; query parameters give them
  (``fossilCarbonContent``, ``ipccCharacterizationFactors`` (repeatable),
  ``exemptedEmissionsPercent``, ``productMassPerDeclaredUnit``), else the declared defaults of
  docs/PACT.md apply (:data:`registry.pact.documents.DECLARED_DEFAULTS`).
- ``POST /api/v1/pact/footprints``: import a ProductFootprint as a footprint of the calling
  enterprise (``category`` and ``name`` query parameters fill what a foreign document lacks:
  ``name=zh=...`` (repeatable, ``TAG=TEXT``) a name by language tag).
  Without a category the footprint is stored under the general category (not graded or
  labelled); a region-only geography is stored as ``{"region": ...}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from registry.api.deps import CurrentOrg, SessionDep, permit, wake_anchoring
from registry.crud import footprints
from registry.crud import pact as crud
from registry.errors import PermissionDeniedError
from registry.i18n import parse_names
from registry.models.footprints import Footprint
from registry.models.orgs import Organisation, OrgRole
from registry.permissions import Action

router = APIRouter(prefix="/api/v1/pact/footprints", tags=["pact"])

#: Who may call the routes that take it: the rule of ``footprint.submit``
#: (:mod:`registry.permissions`).
Submitter = Annotated[Organisation, Depends(permit(Action.FOOTPRINT_SUBMIT))]


def _readable(session: SessionDep, org: Organisation, footprint_id: str) -> Footprint:
    if org.role == OrgRole.PARTNER_CERTIFIER:
        # A partner reads what a label already publishes: certified footprints only.
        footprint = session.get(Footprint, footprint_id)
        if footprint is not None and footprint.status == "certified":
            return footprint
        raise PermissionDeniedError(
            "partner certifiers read PACT records of certified footprints only",
            code="forbidden_role",
            field="footprint_id",
        )
    return footprints.get_footprint(session, footprint_id=footprint_id, org=org)


@router.get("/{footprint_id}")
def export_footprint(
    footprint_id: str,
    request: Request,
    session: SessionDep,
    org: CurrentOrg,
    fossil_carbon_content: Annotated[str | None, Query(alias="fossilCarbonContent")] = None,
    ipcc_factors: Annotated[list[str] | None, Query(alias="ipccCharacterizationFactors")] = None,
    exempted_percent: Annotated[str | None, Query(alias="exemptedEmissionsPercent")] = None,
    mass: Annotated[str | None, Query(alias="productMassPerDeclaredUnit")] = None,
) -> JSONResponse:
    """The footprint as a PACT v3 ProductFootprint with its proof as an extension."""
    footprint = _readable(session, org, footprint_id)
    extra: dict[str, Any] = {}
    for name, value in (
        ("fossilCarbonContent", fossil_carbon_content),
        ("ipccCharacterizationFactors", ipcc_factors),
        ("exemptedEmissionsPercent", exempted_percent),
        ("productMassPerDeclaredUnit", mass),
    ):
        if value is not None:
            extra[name] = value
    settings = request.app.state.settings
    doc = crud.export_footprint(session, footprint=footprint, settings=settings, pcf_extra=extra)
    return JSONResponse(doc)


@router.post("", status_code=status.HTTP_201_CREATED)
def import_footprint(
    request: Request,
    session: SessionDep,
    org: Submitter,
    doc: Annotated[dict[str, Any], Body(description="a PACT v3 ProductFootprint")],
    category: Annotated[str | None, Query()] = None,
    name: Annotated[
        list[str] | None,
        Query(
            description="TAG=TEXT, repeatable: the product's name in a language the document "
            "lacks (zh=... Simplified Chinese, zh-Hant=..., en=...)"
        ),
    ] = None,
) -> JSONResponse:
    """Import a ProductFootprint as a footprint of the caller; stored and queued for anchoring."""
    names = parse_names(name or [], field="name")
    fill: dict[str, Any] = {"product_name": names} if names else {}
    if category is not None:
        fill["category"] = category
    footprint, bundle = crud.import_footprint(session, org=org, doc=doc, fill=fill)
    session.commit()
    wake_anchoring(request)
    body = footprints.to_public(session, footprint).model_dump(mode="json")
    body["pact_id"] = doc.get("id")
    body["carried_bundle"] = bundle is not None
    return JSONResponse(body, status_code=status.HTTP_201_CREATED)
