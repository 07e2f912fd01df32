"""The city administrator's console pages: confirmations, aggregate charts, anchoring health.

- ``/console/city/prefixes``: GS1 company prefixes organisations claimed; confirm or refuse each
  (:func:`registry.crud.prefixes.confirm_prefix`, :func:`~registry.crud.prefixes.refuse_prefix`,
  the API's ``/api/v1/orgs/{org_id}/id-prefixes/{prefix}/confirm|refuse``);
- ``/console/city/publishers``: emission-factor publishers, their keys in force; confirm or
  withdraw (:mod:`registry.city.publishers`, the API's ``/api/v1/publishers``);
- ``/console/city/districts``: the district each organisation is registered in; change it
  (:func:`registry.crud.orgs.set_district`, the API's ``PUT /api/v1/orgs/{org_id}/district``);
- ``/console/city/stats``: footprints, labels and grades by category or district, by month, as a
  server-rendered SVG chart with its table, and ``/console/city/stats.csv`` the same numbers as
  CSV (:func:`registry.city.stats.aggregate`, the API's ``/api/v1/stats``);
- ``/console/city/health``: what ``/healthz`` reports (database, chain, anchoring backlog,
  signer conflicts) and the last anchored batch with its confirmations.

Every page checks its :class:`registry.permissions.Action` with
:func:`registry.api.routes.console.permit` (the rule the API checks), every form its CSRF token;
a refused change is shown with its code and field and the error's 4xx status. No script.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from anchoring.ledger import BATCH_ANCHORED, AnchorBatch
from registry.api.deps import SessionDep
from registry.api.routes.console import (
    FormFields,
    LangQuery,
    check_csrf,
    console_page,
    form_problem,
    page_language,
    permit,
    redirect_to,
)
from registry.api.routes.health import healthz
from registry.catalogue import FOOTPRINT_CATEGORIES
from registry.city import publishers as publishers_crud
from registry.city.districts import UNASSIGNED, district_name, districts
from registry.city.stats import GROUPINGS, MEASURES, Aggregate, aggregate, to_csv
from registry.city.svgchart import stacked_bars_svg
from registry.crud import orgs as orgs_crud
from registry.crud import prefixes as prefixes_crud
from registry.crud.users import SignedIn
from registry.errors import RegistryError
from registry.grading import GRADES
from registry.i18n import Language
from registry.models.orgs import Organisation
from registry.permissions import Action

__all__ = ["router"]

router = APIRouter(prefix="/console/city", tags=["console"], include_in_schema=False)

PrefixUser = Annotated[SignedIn, Depends(permit(Action.PREFIX_CONFIRM))]
PublisherUser = Annotated[SignedIn, Depends(permit(Action.PUBLISHER_CONFIRM))]
StatsUser = Annotated[SignedIn, Depends(permit(Action.STATS_READ))]
DistrictUser = Annotated[SignedIn, Depends(permit(Action.ORG_DISTRICT_SET))]
Month = Annotated[str | None, Query(max_length=7)]
Short = Annotated[str | None, Query(max_length=64)]

#: How many rows a console list shows.
PAGE_ROWS: Final = 200
PREFIX_STATUSES: Final = ("claimed", "confirmed", "refused")
#: The charts the stats page offers as links: (measure, by).
PRESETS: Final = (
    ("labels", "category"),
    ("labels", "district"),
    ("labels", "grade"),
    ("footprints", "category"),
    ("footprints", "district"),
)


def _org_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()
    return {row.id: row.name for row in rows}


# -- GS1 company prefixes -----------------------------------------------------------------------


def _prefixes_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    status: str | None,
    done: str | None = None,
    error: RegistryError | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    shown = status if status in (*PREFIX_STATUSES, "all") else "claimed"
    rows, count = prefixes_crud.list_prefixes(
        session, status=None if shown == "all" else shown, limit=PAGE_ROWS
    )
    names = _org_names(session, {row.org_id for row in rows})
    notice = t.get(f"console_city_done_{done}") if done else None
    return console_page(
        "console_city_prefixes.html",
        request,
        user,
        lang=language,
        status_code=error.status_code if error else 200,
        rows=rows,
        count=count,
        names=names,
        shown=shown,
        statuses=(*PREFIX_STATUSES, "all"),
        notice=notice,
        problem=form_problem(error, t, area="city") if error else None,
    )


@router.get("/prefixes", response_class=HTMLResponse)
def prefixes_page(
    request: Request,
    session: SessionDep,
    user: PrefixUser,
    lang: LangQuery = None,
    status: Short = None,
    done: Short = None,
) -> HTMLResponse:
    return _prefixes_page(request, session, user, lang, status=status, done=done)


@router.post("/prefixes/confirm", response_class=HTMLResponse)
def prefix_confirm(
    request: Request,
    session: SessionDep,
    user: PrefixUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    check_csrf(form, user)
    try:
        prefixes_crud.confirm_prefix(
            session,
            org_id=form.get("org_id", ""),
            prefix=form.get("prefix", ""),
            confirmer=user.org,
        )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _prefixes_page(request, session, user, lang, status="claimed", error=exc)
    return redirect_to(
        "/console/city/prefixes", page_language(request, lang)[0], "&done=prefix_confirmed"
    )


@router.post("/prefixes/refuse", response_class=HTMLResponse)
def prefix_refuse(
    request: Request,
    session: SessionDep,
    user: PrefixUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    check_csrf(form, user)
    try:
        prefixes_crud.refuse_prefix(
            session,
            org_id=form.get("org_id", ""),
            prefix=form.get("prefix", ""),
            refuser=user.org,
            reason=form.get("reason", "")[:500],
        )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _prefixes_page(request, session, user, lang, status="claimed", error=exc)
    return redirect_to(
        "/console/city/prefixes", page_language(request, lang)[0], "&done=prefix_refused"
    )


# -- publishers ---------------------------------------------------------------------------------


def _publishers_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    done: str | None = None,
    error: RegistryError | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    rows, count = publishers_crud.list_publishers(session, limit=PAGE_ROWS)
    return console_page(
        "console_city_publishers.html",
        request,
        user,
        lang=language,
        status_code=error.status_code if error else 200,
        rows=rows,
        count=count,
        notice=t.get(f"console_city_done_{done}") if done else None,
        problem=form_problem(error, t, area="city") if error else None,
    )


@router.get("/publishers", response_class=HTMLResponse)
def publishers_page(
    request: Request,
    session: SessionDep,
    user: PublisherUser,
    lang: LangQuery = None,
    done: Short = None,
) -> HTMLResponse:
    return _publishers_page(request, session, user, lang, done=done)


@router.post("/publishers/{decision}", response_class=HTMLResponse)
def publisher_decide(
    decision: Literal["confirm", "withdraw"],
    request: Request,
    session: SessionDep,
    user: PublisherUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    check_csrf(form, user)
    org_id, reason = form.get("org_id", ""), form.get("reason", "").strip()[:500] or None
    try:
        if decision == "confirm":
            publishers_crud.confirm_publisher(
                session, org_id=org_id, decider=user.org, reason=reason
            )
        else:
            publishers_crud.withdraw_publisher(
                session, org_id=org_id, decider=user.org, reason=reason
            )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _publishers_page(request, session, user, lang, error=exc)
    return redirect_to(
        "/console/city/publishers", page_language(request, lang)[0], f"&done=publisher_{decision}"
    )


# -- districts of organisations ----------------------------------------------------------------


def _districts_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    page: int = 1,
    done: str | None = None,
    error: RegistryError | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    rows, count = orgs_crud.list_orgs(session, offset=(page - 1) * PAGE_ROWS, limit=PAGE_ROWS)
    return console_page(
        "console_city_districts.html",
        request,
        user,
        lang=language,
        status_code=error.status_code if error else 200,
        rows=rows,
        count=count,
        page=page,
        pages=max(1, (count + PAGE_ROWS - 1) // PAGE_ROWS),
        districts=[(d.id, district_name(d.id, language, "")) for d in districts()],
        notice=t.get(f"console_city_done_{done}") if done else None,
        problem=form_problem(error, t, area="city") if error else None,
    )


@router.get("/districts", response_class=HTMLResponse)
def districts_page(
    request: Request,
    session: SessionDep,
    user: DistrictUser,
    lang: LangQuery = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    done: Short = None,
) -> HTMLResponse:
    return _districts_page(request, session, user, lang, page=page, done=done)


@router.post("/districts", response_class=HTMLResponse)
def district_set(
    request: Request,
    session: SessionDep,
    user: DistrictUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    check_csrf(form, user)
    try:
        orgs_crud.set_district(
            session, org_id=form.get("org_id", ""), district=form.get("district") or None
        )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _districts_page(request, session, user, lang, error=exc)
    return redirect_to(
        "/console/city/districts", page_language(request, lang)[0], "&done=district_set"
    )


# -- aggregate charts ---------------------------------------------------------------------------


def key_namer(by: str, language: Language, t: dict[str, str]) -> Any:
    """How a chart names its keys: a category's or district's name in ``language``."""

    def name(key: str) -> str:
        if by == "category":
            found = FOOTPRINT_CATEGORIES.get(key)
            return found.name(language) if found else key
        if by == "district":
            return district_name(key, language, t["console_city_unassigned"])
        return key

    return name


def _query(params: dict[str, str | None]) -> str:
    return urlencode({k: v for k, v in params.items() if v})


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    session: SessionDep,
    user: StatsUser,
    lang: LangQuery = None,
    measure: Short = None,
    by: Short = None,
    start: Annotated[str | None, Query(alias="from", max_length=7)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=7)] = None,
    category: Short = None,
    district: Short = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    measure, by = measure or "labels", by or "category"
    params = {
        "measure": measure,
        "by": by,
        "from": start or None,
        "to": end or None,
        "category": category or None,
        "district": district or None,
    }
    data: Aggregate | None = None
    problem = None
    try:
        data = aggregate(
            session,
            measure=measure,
            by=by,
            start=params["from"],
            end=params["to"],
            category=params["category"],
            district=params["district"],
        )
    except RegistryError as exc:
        problem = form_problem(exc, t, area="city")
    name = key_namer(by, language, t)
    chart = None
    title = t.get(f"console_city_chart_{measure}_{by}", f"{measure} / {by}")
    if data is not None:
        description = t["console_city_chart_desc"].format(
            total=data.total, first=data.months[0], last=data.months[-1], keys=len(data.keys)
        )
        chart = stacked_bars_svg(data, title=title, description=description, name=name)
    query = _query({**params, "lang": None})
    return console_page(
        "console_city_stats.html",
        request,
        user,
        lang=language,
        status_code=problem["status"] if problem else 200,
        data=data,
        chart=chart,
        title=title,
        name=name,
        params=params,
        presets=[
            {"measure": m, "by": b, "title": t[f"console_city_chart_{m}_{b}"]} for m, b in PRESETS
        ],
        measures=MEASURES,
        groupings=GROUPINGS,
        categories=[(code, c.name(language)) for code, c in FOOTPRINT_CATEGORIES.items()],
        districts=[
            *((d.id, district_name(d.id, language, "")) for d in districts()),
            (UNASSIGNED, t["console_city_unassigned"]),
        ],
        grades=GRADES,
        csv_url=f"/console/city/stats.csv?{query}",
        api_url=f"/api/v1/stats?{query}",
        problem=problem,
    )


@router.get("/stats.csv")
def stats_csv(
    session: SessionDep,
    user: StatsUser,
    measure: Short = None,
    by: Short = None,
    start: Annotated[str | None, Query(alias="from", max_length=7)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=7)] = None,
    category: Short = None,
    district: Short = None,
) -> Response:
    """The chart's numbers as CSV (:func:`registry.city.stats.to_csv`, as ``/api/v1/stats``)."""
    data = aggregate(
        session,
        measure=measure or "labels",
        by=by or "category",
        start=start or None,
        end=end or None,
        category=category or None,
        district=district or None,
    )
    name = f"tanji-{data.measure}-by-{data.by}-{data.months[0]}-{data.months[-1]}.csv"
    return Response(
        to_csv(data),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# -- anchoring health ---------------------------------------------------------------------------


def last_anchored_batch(session: Session) -> AnchorBatch | None:
    """The most recently anchored batch, if any."""
    return session.exec(
        select(AnchorBatch)
        .where(col(AnchorBatch.status) == BATCH_ANCHORED)
        .order_by(col(AnchorBatch.anchored_at).desc(), col(AnchorBatch.id).desc())
        .limit(1)
    ).first()


@router.get("/health", response_class=HTMLResponse)
async def health_page(
    request: Request, session: SessionDep, user: StatsUser, lang: LangQuery = None
) -> HTMLResponse:
    report = await healthz(request)
    body: dict[str, Any] = json.loads(bytes(report.body))
    batch = await run_in_threadpool(last_anchored_batch, session)
    chain = body.get("chain") or {}
    head = chain.get("head")
    confirmations = None
    if batch is not None and batch.block_number is not None and isinstance(head, int):
        confirmations = max(0, head - batch.block_number + 1)
    anchoring = body.get("anchoring") or {}
    return console_page(
        "console_city_health.html",
        request,
        user,
        lang=lang,
        health=body,
        chain=chain,
        anchoring=anchoring,
        transactions=anchoring.get("transactions") or {},
        batch=batch,
        confirmations=confirmations,
    )
