"""``/api/v1/factors``: the emission-factor database; ``/factors/…``: a factor's public page.

- ``GET|POST /api/v1/factors/keys``, ``GET …/keys/challenge``: a publisher's signing keys (the
  supplier-key routes' own handlers, mounted for publishers by
  :func:`registry.api.routes.suppliers.add_key_routes`);
- ``GET /api/v1/factors/eip712``: the domain and types a publisher signs a version with;
- ``POST /api/v1/factors/datasets``: a publisher's signed version (201; 200 for the same version
  again; 409 ``version_exists`` for another digest), anchored as a ``factor_dataset`` record;
- ``GET /api/v1/factors/datasets``, ``…/datasets/{dataset}/{version}?format=json|csv``,
  ``…/bundle``: public; ``…/impact``: certification bodies and admins;
- ``GET /api/v1/factors?q=&category=&geography=&dataset=&limit=&offset=``, ``GET
  /api/v1/factors/{dataset}/{version}/{factor_id}``: public search and lookup;
- ``GET /factors/{dataset}/{version}/{factor_id}``: the factor's page, with its source citation
  (zh-Hans, zh-Hant, en; illustrative factors marked).

docs/ACCOUNTING.md ("Factor database") is the reference.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from registry.api.deps import Offset, PageDep, SessionDep, SettingsDep, require_role, wake_anchoring
from registry.api.routes.pages import LANG_QUERY, render_page
from registry.api.routes.recognitions import Deployment
from registry.api.routes.suppliers import KeyRouteDocs, add_key_routes
from registry.errors import RegistryError
from registry.factors import crud
from registry.factors.models import (
    DatasetVersionPublic,
    DatasetVersionsPublic,
    FactorPublic,
    FactorsPublic,
    ImpactPublic,
    SignedDataset,
)
from registry.factors.tables import factors_to_csv
from registry.i18n import COMPANION, choose_language, localized
from registry.models.orgs import Organisation, OrgRole
from registry.records import bundle_of
from verifier.protocol.factor_dataset import RECORD_TYPE

API: Final = "/api/v1/factors"

router = APIRouter(tags=["factors"])

PublisherOrg = Annotated[Organisation, Depends(require_role(OrgRole.PUBLISHER))]
ReviewerOrg = Annotated[
    Organisation, Depends(require_role(OrgRole.CERTIFICATION_BODY, OrgRole.ADMIN))
]

#: The publisher mount of the shared key routes.
PUBLISHER_KEY_DOCS: Final = KeyRouteDocs(
    challenge=(
        "publisher_key_challenge",
        "The text the key at ``address`` signs (``personal_sign``) to be registered to the caller.",
    ),
    register=(
        "register_publisher_key",
        "Register a signing address of the calling publisher (proof of possession).",
    ),
    listing=("list_publisher_keys", "The calling publisher's signing keys."),
)
add_key_routes(router, OrgRole.PUBLISHER, path=f"{API}/keys", docs=PUBLISHER_KEY_DOCS)


@router.get(f"{API}/eip712")
def eip712(domain: Deployment) -> dict[str, Any]:
    """Domain, types and primary type a publisher signs ``FactorDataset`` with."""
    return crud.eip712_description(chain_id=domain[0], contract=domain[1])


@router.post(
    f"{API}/datasets",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetVersionPublic,
    responses={200: {"description": "the same version (same digest) was already published"}},
)
def publish_dataset(
    body: SignedDataset,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: PublisherOrg,
    domain: Deployment,
) -> JSONResponse:
    """Publish a signed dataset version; it is stored once and anchored on chain."""
    row, created = crud.publish(
        session,
        org=org,
        document=body.document,
        signature=body.signature,
        chain_id=domain[0],
        contract=domain[1],
    )
    session.commit()
    wake_anchoring(request)
    public = crud.to_public(session, row, base_url=settings.base_url)
    return JSONResponse(
        public.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@router.get(f"{API}/datasets")
def list_datasets(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    dataset: Annotated[str | None, Query(max_length=63)] = None,
) -> DatasetVersionsPublic:
    """Published dataset versions, by dataset and publication order (public)."""
    rows, count = crud.list_versions(session, dataset=dataset, offset=page.offset, limit=page.limit)
    return DatasetVersionsPublic(
        data=crud.versions_public(session, rows, base_url=settings.base_url), count=count
    )


@router.get(
    f"{API}/datasets/{{dataset}}/{{version}}",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def get_dataset(
    dataset: str,
    version: str,
    session: SessionDep,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Response:
    """The signed ``tanji-factors/1`` document of a version, or its factors as CSV."""
    row = crud.get_version(session, dataset=dataset, version=version)
    if format == "csv":
        return Response(
            factors_to_csv(row.document["factors"]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{dataset}@{version}.csv"'},
        )
    return JSONResponse(row.document, headers={"X-Tanji-Digest": row.digest})


@router.get(f"{API}/datasets/{{dataset}}/{{version}}/bundle")
def get_dataset_bundle(dataset: str, version: str, session: SessionDep) -> JSONResponse:
    """The version's own ``tanji-bundle/1`` (public)."""
    row = crud.get_version(session, dataset=dataset, version=version)
    return JSONResponse(bundle_of(session, RECORD_TYPE, row))


@router.get(f"{API}/datasets/{{dataset}}/{{version}}/impact")
def get_impact(dataset: str, version: str, session: SessionDep, org: ReviewerOrg) -> ImpactPublic:
    """Certified footprints that used a factor this version deprecates (for their review)."""
    row = crud.get_version(session, dataset=dataset, version=version)
    found = crud.impact(session, dataset=dataset, version=version)
    revoked = crud.revocation(session, row.id)
    return ImpactPublic(
        dataset=row.dataset,
        version=row.version,
        deprecates=list(row.deprecates),
        revoked_at=revoked.revoked_at if revoked is not None else None,
        data=found,
        count=len(found),
    )


@router.get(API)
def search_factors(
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[
        str | None, Query(max_length=200, description="matches the id or a name, any language")
    ] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    geography: Annotated[str | None, Query(max_length=16)] = None,
    dataset: Annotated[str | None, Query(max_length=63)] = None,
    version: Annotated[
        str | None, Query(max_length=32, description="only this version (with dataset)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=crud.MAX_PAGE)] = 20,
    offset: Offset = 0,
) -> FactorsPublic:
    """Search factors of every published version (public), newest version first."""
    rows, count = crud.search_factors(
        session,
        q=q,
        category=category,
        geography=geography,
        dataset=dataset,
        version=version,
        offset=offset,
        limit=limit,
    )
    return FactorsPublic(
        data=crud.factors_public(session, rows, base_url=settings.base_url),
        count=count,
        limit=limit,
        offset=offset,
    )


@router.get(f"{API}/{{dataset}}/{{version}}/{{factor_id}}")
def get_factor(
    dataset: str, version: str, factor_id: str, session: SessionDep, settings: SettingsDep
) -> FactorPublic:
    """One factor of a version (public)."""
    factor = crud.get_factor(session, dataset=dataset, version=version, factor_id=factor_id)
    (public,) = crud.factors_public(session, [factor], base_url=settings.base_url)
    return public


@router.get(
    "/factors/{dataset}/{version}/{factor_id}",
    response_class=HTMLResponse,
    summary="Public page of an emission factor",
)
def factor_page(
    dataset: str,
    version: str,
    factor_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: Annotated[str | None, Query(description=LANG_QUERY)] = None,
) -> HTMLResponse:
    """A factor, its value and unit, its source citation and its dataset version's anchoring."""
    language = choose_language(lang, request.headers.get("accept-language"))
    try:
        factor = crud.get_factor(session, dataset=dataset, version=version, factor_id=factor_id)
    except RegistryError:
        return render_page(
            "factor_missing.html",
            request=request,
            lang=language,
            status_code=404,
            factor_id=f"{dataset}@{version}:{factor_id}",
        )
    (public,) = crud.factors_public(session, [factor], base_url=settings.base_url)
    row = crud.get_version(session, dataset=dataset, version=version)
    view = crud.to_public(session, row, base_url=settings.base_url)
    data = public.factor
    names = data.get("names") or {}
    gases = data.get("gases")
    uncertainty = data.get("uncertainty") or {}
    base = f"{API}/datasets/{dataset}/{version}"
    return render_page(
        "factor.html",
        request=request,
        lang=language,
        f=data,
        name=localized(names, language) or factor_id,
        other_name=localized(names, COMPANION[language]) or factor_id,
        dataset=dataset,
        version=version,
        gases=gases
        if isinstance(gases, str)
        else ", ".join(f"{gas} {value}" for gas, value in (gases or {}).items()),
        uncertainty=", ".join(f"{key} {value}" for key, value in uncertainty.items()),
        source=[
            (key, data["source"][key])
            for key in ("document", "table", "page", "url")
            if (data.get("source") or {}).get(key)
        ],
        quality=[
            (key, data["quality"][key])
            for key in ("reliability", "completeness", "temporal", "geographical", "technological")
            if key in (data.get("quality") or {})
        ],
        deprecated_by=public.deprecated_by,
        publisher=view.publisher.get("name", view.org_id),
        digest=view.digest,
        anchor_status="anchored" if view.anchor_status == "anchored" else "pending",
        json_url=base,
        csv_url=f"{base}?format=csv",
        bundle_url=f"{base}/bundle",
    )
