"""``GET /``: a small landing page (zh-Hans, zh-Hant or en, by ``?lang=`` or
``Accept-Language``) linking the disclosure list, the API docs, the category catalogue and the
deployment's trust file, and saying what Tanji is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from registry.api.routes.pages import render_page
from registry.i18n import choose_language
from registry.publication import TRUST_PATH

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, summary="Landing page")
def home(request: Request, lang: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """What Tanji is, and where to go: disclosures, docs, catalogue, trust file."""
    language = choose_language(lang, request.headers.get("accept-language"))
    return render_page("home.html", request=request, lang=language, trust_path=TRUST_PATH)
