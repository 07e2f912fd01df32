"""``GET /api/v1/footprints/{id}/calculation``: a computed footprint's full breakdown.

For certifiers: the engine's result (breakdowns by stage, gas, line and data source, the primary
data share, the data-quality indicators, the factor datasets and the engine version), recomputed
from the footprint's stored inventory record and the published factor datasets
(:func:`registry.accounting.breakdown.footprint_calculation`), and given only when it reproduces
the value the footprint recorded. The issuing organisation, certification bodies and admins only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from registry.accounting.breakdown import footprint_calculation
from registry.api.deps import CurrentOrg, SessionDep
from registry.crud import footprints as crud
from registry.errors import PermissionDeniedError
from registry.models.orgs import OrgRole

router = APIRouter(prefix="/api/v1/footprints", tags=["footprints"])

#: Who may read a footprint's breakdown besides the issuing organisation.
READERS = (OrgRole.CERTIFICATION_BODY, OrgRole.ADMIN)


@router.get(
    "/{footprint_id}/calculation",
    responses={
        403: {"description": "not the issuing organisation, a certification body or an admin"},
        404: {"description": "no such footprint, or it was not computed (not_computed)"},
        409: {"description": "the stored inventory does not reproduce the recorded value"},
    },
)
def get_calculation(footprint_id: str, session: SessionDep, org: CurrentOrg) -> dict[str, Any]:
    """The full engine result of a computed footprint (no Monte Carlo interval)."""
    footprint = crud.get_footprint(session, footprint_id=footprint_id, org=org)
    if org.role not in READERS and footprint.org_id != org.id:
        raise PermissionDeniedError(
            "a calculation is shown to its enterprise, certification bodies and admins only",
            code="forbidden_role",
        )
    result = footprint_calculation(session, footprint).to_dict()
    result.pop("interval", None)
    result["footprint_id"] = footprint.id
    return result
