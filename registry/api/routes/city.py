"""The city administrator's API: aggregate figures, districts, publisher confirmations.

- ``GET /api/v1/stats?measure=&by=&from=&to=&category=&district=&format=json|csv``: footprints
  or labels by category, district or grade, by month (:mod:`registry.city.stats`; the same
  numbers as the console's charts); :data:`Action.STATS_READ`.
- ``GET /api/v1/districts``: Chongqing's districts, the keys of ``by=district`` (public).
- ``GET /api/v1/publishers``, ``POST /api/v1/publishers/{org_id}/confirm|withdraw``
  ``{reason?}``: the city's decision on each emission-factor publisher, audited;
  :data:`Action.PUBLISHER_CONFIRM`.

The console's ``/console/city/...`` pages call the same functions under the same actions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from registry.api.deps import PageDep, SessionDep, permit
from registry.city import publishers as crud
from registry.city.districts import districts
from registry.city.models import PublisherDecision, PublisherPublic, PublishersPublic
from registry.city.stats import MAX_MONTHS, aggregate, to_csv
from registry.models.orgs import Organisation
from registry.permissions import Action

router = APIRouter(tags=["city"])

StatsOrg = Annotated[Organisation, Depends(permit(Action.STATS_READ))]
ConfirmingOrg = Annotated[Organisation, Depends(permit(Action.PUBLISHER_CONFIRM))]
OrgIdPath = Annotated[str, Path(min_length=1, max_length=64)]
MONTH = r"^\d{4}-\d{2}$"


@router.get(
    "/api/v1/stats",
    responses={
        200: {
            "description": "JSON: a row per month with each key's count and the total; CSV: a "
            "header of keys, a row per month, a last row of totals",
            "content": {"application/json": {}, "text/csv": {}},
        }
    },
)
def stats(
    session: SessionDep,
    org: StatsOrg,
    measure: Annotated[
        Literal["footprints", "labels"],
        Query(description="footprints submitted, or labels issued, in each month"),
    ],
    by: Annotated[
        Literal["category", "district", "grade"],
        Query(description="category, the organisation's district, or (labels) grade"),
    ],
    start: Annotated[
        str | None,
        Query(
            alias="from",
            pattern=MONTH,
            description="first month, YYYY-MM (default: 11 months before the current one)",
        ),
    ] = None,
    end: Annotated[
        str | None,
        Query(
            alias="to",
            pattern=MONTH,
            description=f"last month, YYYY-MM (default: the current one; at most {MAX_MONTHS} "
            "months in all)",
        ),
    ] = None,
    category: Annotated[str | None, Query(max_length=64, description="one category")] = None,
    district: Annotated[
        str | None, Query(max_length=32, description="one district id, or unassigned")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Response:
    """Footprints or labels by month and by category, district or grade (city administrators).

    Months are calendar months in UTC. A label counts in the month it was issued, whatever
    became of it later; an organisation's footprints and labels count in the district it is
    registered in now (``unassigned`` when none).
    """
    data = aggregate(
        session,
        measure=measure,
        by=by,
        start=start,
        end=end,
        category=category,
        district=district,
    )
    if format == "csv":
        name = f"tanji-{measure}-by-{by}-{data.months[0]}-{data.months[-1]}.csv"
        return Response(
            to_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(data.as_json())


@router.get("/api/v1/districts")
def list_districts() -> dict[str, Any]:
    """Chongqing's districts and counties: ``id`` (what ``by=district`` and an organisation's
    ``district`` hold), the GB/T 2260 ``code`` (none for a new area), ``kind`` and ``names`` by
    language tag."""
    return {
        "data": [
            {"id": d.id, "code": d.code, "kind": d.kind, "names": dict(d.names)}
            for d in districts()
        ]
    }


@router.get("/api/v1/publishers")
def list_publishers(session: SessionDep, org: ConfirmingOrg, page: PageDep) -> PublishersPublic:
    """Every publisher organisation, its signing keys in force, its dataset versions and the
    city's decision (``unconfirmed``, ``confirmed``, ``withdrawn``)."""
    rows, count = crud.list_publishers(session, offset=page.offset, limit=page.limit)
    return PublishersPublic(data=rows, count=count)


@router.post("/api/v1/publishers/{org_id}/confirm")
def confirm_publisher(
    org_id: OrgIdPath,
    session: SessionDep,
    org: ConfirmingOrg,
    body: PublisherDecision | None = None,
) -> PublisherPublic:
    """The city confirms a publisher (audited ``publisher.confirm``); confirming again changes
    nothing. 422 ``not_a_publisher`` for another kind of organisation."""
    crud.confirm_publisher(
        session, org_id=org_id, decider=org, reason=body.reason if body else None
    )
    session.commit()
    return crud.publisher_view(session, org_id)


@router.post("/api/v1/publishers/{org_id}/withdraw")
def withdraw_publisher(
    org_id: OrgIdPath, body: PublisherDecision, session: SessionDep, org: ConfirmingOrg
) -> PublisherPublic:
    """The city withdraws its confirmation, saying why (audited ``publisher.withdraw``; 422
    ``reason_required`` without a reason)."""
    crud.withdraw_publisher(session, org_id=org_id, decider=org, reason=body.reason)
    session.commit()
    return crud.publisher_view(session, org_id)
