"""Public disclosure of issued carbon labels: ``GET /api/v1/disclosures`` and ``GET /disclosures``.

The national plan asks for footprint results of labelled products to be disclosed; this is the
public list, filterable by category, company and grade, as JSON and as a page in each language.
It shows only what each label's public record holds.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from registry.api.deps import Offset, SessionDep, SettingsDep
from registry.api.routes.pages import render_page
from registry.artwork import format_amount, unit_text
from registry.catalogue import CATEGORIES, get_category
from registry.errors import InvalidInputError
from registry.grading import GRADE_COLOURS, GRADES
from registry.i18n import choose_language
from registry.labelview import LabelView, list_label_views

__all__ = ["router"]

STATUSES = ("active", "revoked", "superseded", "all")
PAGE_SIZE = 20

router = APIRouter(tags=["disclosures"])


class DisclosuresPublic(BaseModel):
    """A page of disclosed labels and how many match the filters in all."""

    data: list[dict[str, Any]]
    count: int


class _Filters:
    """Query parameters shared by the JSON list and the page."""

    def __init__(
        self,
        category: Annotated[str | None, Query(description="catalogue code, e.g. laptop")] = None,
        company: Annotated[
            str | None, Query(max_length=200, description="organisation id or part of its name")
        ] = None,
        grade: Annotated[str | None, Query(description="A+, A, B, C or D")] = None,
        status: Annotated[str, Query(description="active, revoked, superseded or all")] = "active",
    ) -> None:
        # Empty strings come from the HTML form's "all" choices.
        self.category = category or None
        self.company = (company or "").strip() or None
        self.grade = grade or None
        self.status = status
        if self.category is not None and self.category not in CATEGORIES:
            raise InvalidInputError(
                f"unknown product category {self.category!r}",
                code="unknown_category",
                field="query.category",
            )
        if self.grade is not None and self.grade not in GRADES:
            raise InvalidInputError(
                f"grade must be one of {', '.join(GRADES)}",
                code="invalid_grade",
                field="query.grade",
            )
        if self.status not in STATUSES:
            raise InvalidInputError(
                f"status must be one of {', '.join(STATUSES)}",
                code="invalid_status",
                field="query.status",
            )

    def query(
        self, session: SessionDep, base_url: str, offset: int, limit: int
    ) -> tuple[list[LabelView], int]:
        return list_label_views(
            session,
            base_url=base_url,
            category=self.category,
            company=self.company,
            grade=self.grade,
            status=None if self.status == "all" else self.status,
            offset=offset,
            limit=limit,
        )


@router.get("/api/v1/disclosures", response_model=DisclosuresPublic)
def list_disclosures(
    session: SessionDep,
    settings: SettingsDep,
    filters: Annotated[_Filters, Depends()],
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DisclosuresPublic:
    """Issued labels, newest first; filters: ``category``, ``company``, ``grade``, ``status``."""
    views, count = filters.query(session, settings.base_url, offset, limit)
    return DisclosuresPublic(data=[v.as_dict() for v in views], count=count)


@router.get("/disclosures", response_class=HTMLResponse, summary="Disclosure list (page)")
def disclosures_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    filters: Annotated[_Filters, Depends()],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    lang: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The disclosure list page (zh-Hans, zh-Hant or en) with the JSON list's filters."""
    language = choose_language(lang, request.headers.get("accept-language"))
    views, count = filters.query(session, settings.base_url, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    items = [
        {
            "v": v,
            "name": v.name(language),
            "category": get_category(v.category).name(language),
            "value": format_amount(v.kg_co2e_per_unit),
            "unit": unit_text(v.category, v.declared_unit, language),
            "colour": GRADE_COLOURS.get(v.grade, "#555"),
        }
        for v in views
    ]
    params = {
        key: value
        for key, value in (
            ("lang", language),
            ("category", filters.category),
            ("company", filters.company),
            ("grade", filters.grade),
            ("status", None if filters.status == "active" else filters.status),
        )
        if value
    }

    def page_url(number: int) -> str:
        return "/disclosures?" + urlencode({**params, "page": number})

    return render_page(
        "disclosures.html",
        request=request,
        lang=language,
        items=items,
        count=count,
        categories=list(CATEGORIES.values()),
        grades=GRADES,
        filters=filters,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page * PAGE_SIZE < count else None,
    )
