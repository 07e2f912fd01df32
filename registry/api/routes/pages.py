"""Public, server-rendered pages and media of a label.

- ``GET /l/{label_id}``: the consumer page a QR code opens (zh-Hans, zh-Hant or en; mobile
  first). Its content is server-rendered; its only scripts are the in-browser verifier's
  (``registry/static/verify/``), which checks the label's bundle against a chain node on the
  reader's device (in a process that holds the chain, see :func:`_device_check`);
- (the GS1 Digital Link resolver that redirects a scanned ``/01/{gtin}/21/{serial}`` here lives
  in ``registry.api.routes.resolver``);
- ``GET /api/v1/labels/{id}/artwork.svg``, ``qr.png``, ``qr.svg``: printable media.

Nothing here needs an API key: everything shown is in the label's public record.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from registry.accounting.breakdown import PageBreakdown
from registry.api.deps import SessionDep, SettingsDep
from registry.api.reads import public_read
from registry.artwork import format_amount, render_label_svg, unit_text
from registry.catalogue import get_category, unit_name
from registry.chain import ChainHandle
from registry.config import Settings
from registry.errors import InvalidInputError, NotFoundError, RegistryError
from registry.grading import GRADE_COLOURS, GRADES, load_scheme
from registry.i18n import (
    COMPANION,
    LANGUAGE_NAMES,
    LANGUAGES,
    Language,
    choose_language,
    messages,
)
from registry.label_reads import LabelPage, fetch_label_page, read_label_page
from registry.labelview import LabelView, load_label_view
from registry.qr import qr_png, qr_svg
from registry.stagechart import StageBar, stage_chart_svg
from verifier.protocol.finality import DEFAULT_REQUIRED
from verifier.protocol.reasons import RevocationReason, revocation_reason

__all__ = ["PAGE_CACHE_SECONDS", "PageCache", "render_page", "router"]

PACKAGE_DIR = Path(__file__).resolve().parents[2]
COMPARISONS_FILE = PACKAGE_DIR / "data" / "comparisons.json"
# The page shows live state (anchoring, revocation): browsers revalidate every time.
PAGE_CACHE = "no-cache"
# Media of a label never change once it is issued (URL, numbers, grade are in the record).
MEDIA_CACHE = "public, max-age=86400"
#: How long the server reuses a rendered consumer page (see :class:`PageCache`).
PAGE_CACHE_SECONDS = 2.0

#: The ``?lang=`` of a page.
LANG_QUERY = (
    "zh-Hans, zh-Hant or en (zh, zh-CN: zh-Hans; zh-HK, zh-TW: zh-Hant); "
    "default from Accept-Language"
)

router = APIRouter(tags=["pages"])


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates are package data: no stat() of each template file on every render.
        auto_reload=False,
    )


@lru_cache(maxsize=1)
def page_css() -> str:
    """The stylesheet every page inlines in its ``<style>`` (the CSP allows it by its hash)."""
    # Inlined: one request per page on a slow mobile connection.
    return (PACKAGE_DIR / "static" / "tanji.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _car_comparison() -> float:
    data = json.loads(COMPARISONS_FILE.read_text(encoding="utf-8"))
    entry = next(c for c in data["comparisons"] if c["key"] == "petrol_car_km")
    return float(entry["kg_co2e_per_unit"])


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """One entry of a page's language switch."""

    lang: Language
    name: str  # the language's name in itself
    url: str  # this page in that language


def _language_switch(request: Request) -> list[LanguageChoice]:
    """The page in every language Tanji writes, in :data:`LANGUAGES` order (``?lang=<tag>``)."""
    params = dict(request.query_params)
    return [
        LanguageChoice(
            lang=lang,
            name=LANGUAGE_NAMES[lang],
            url=f"{request.url.path}?{urlencode({**params, 'lang': lang})}",
        )
        for lang in LANGUAGES
    ]


def render_page(
    template: str, *, request: Request, lang: Language, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` in ``lang`` with the shared page context.

    ``t`` is the catalogue of ``lang``, ``o`` that of its companion language ``other_lang``
    (:data:`registry.i18n.COMPANION`), for what a page says in two languages.
    """
    other = COMPANION[lang]
    html = (
        _environment()
        .get_template(template)
        .render(
            lang=lang,
            t=messages(lang),
            o=messages(other),
            other_lang=other,
            css=page_css(),
            languages=_language_switch(request),
            **context,
        )
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Cache-Control": PAGE_CACHE,
            "Content-Language": lang,
            "Vary": "Accept-Language",
        },
    )


def _language(request: Request, lang: str | None) -> Language:
    return choose_language(lang, request.headers.get("accept-language"))


def _round_km(km: float) -> str:
    # Two significant figures: the comparison is an order of magnitude, not a measurement.
    if km >= 10:
        digits = len(str(int(km))) - 2
        return f"{round(km, -digits):,.0f}"
    return f"{km:.1f}"


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    """What the page's in-browser verifier is given: the bundle and this deployment's trust."""

    bundle_url: str
    rpc_url: str
    chain_id: int
    contracts: list[str]
    issuers: list[str]
    #: Confirmations the deployment waits for: the browser reads PENDING (409) until then.
    confirmations: int = DEFAULT_REQUIRED


def _device_check(request: Request, label_id: str) -> DeviceCheck | None:
    """The page's in-browser verification settings, or ``None`` when this process has no chain.

    The trust is the deployment's own (the ``tanji-trust/1`` document ``tanji demo`` writes as
    trust.json), never the bundle's claimed anchor. A process that does not anchor holds no
    chain handle, so it has no trust of its own to hand out, and one on an outside chain names no
    node unless ``TANJI_PUBLIC_RPC_URL`` is set (see ``Settings.browser_rpc_url``): the page then
    goes without.
    """
    chain: ChainHandle | None = request.app.state.chain
    settings: Settings = request.app.state.settings
    rpc_url = settings.browser_rpc_url
    if chain is None or rpc_url is None:
        return None
    trust = chain.trust_document(rpc_url=rpc_url, name="Tanji registry")
    (entry,) = trust["chains"]
    return DeviceCheck(
        bundle_url=f"/api/v1/labels/{label_id}/bundle",
        rpc_url=entry["rpcUrl"],
        chain_id=entry["chainId"],
        contracts=list(entry["contracts"]),
        issuers=[issuer["address"] for issuer in trust["issuers"]],
        confirmations=int(entry.get("confirmations", DEFAULT_REQUIRED)),
    )


def _status(view: LabelView) -> str:
    if view.status in ("revoked", "superseded"):
        return view.status
    if view.expired:
        return "expired"
    return "anchored" if view.anchor is not None else "pending"


def _grade_context(view: LabelView, lang: Language) -> dict[str, Any]:
    """The grade scale (grade, upper bound, colour) and scheme name the label was graded under."""
    try:
        scheme = load_scheme(view.grade_scheme_version)
        spec = scheme.categories[view.category]
    except (InvalidInputError, KeyError):
        # A scheme version this deployment no longer ships: show the grade without the scale.
        return {"scale": [], "last_bound": "", "scheme_name": view.grade_scheme}
    bounds = [format_amount(b) for _, b in spec.bounds]
    scale: list[tuple[str, str | None, str]] = [
        (g, b, GRADE_COLOURS[g]) for (g, _), b in zip(spec.bounds, bounds, strict=True)
    ]
    scale.append((GRADES[-1], None, GRADE_COLOURS[GRADES[-1]]))
    return {"scale": scale, "last_bound": bounds[-1], "scheme_name": scheme.name(lang)}


def not_found_page(request: Request, lang: Language, label_id: str) -> HTMLResponse:
    """The bilingual 404 page of an unknown label."""
    return render_page(
        "not_found.html", request=request, lang=lang, status_code=404, label_id=label_id
    )


class PageCache:
    """Rendered consumer pages kept for :data:`PAGE_CACHE_SECONDS` (LRU, bounded).

    A QR code on a popular product means many phones open the same page at once; rendering it
    once per interval instead of once per scan keeps the page fast under such bursts. The cost is
    that a state change (anchored, revoked) shows up to :data:`PAGE_CACHE_SECONDS` late on the
    page; verifiers read the chain and are not affected. Used from the event loop thread only.
    """

    def __init__(self, *, seconds: float = 2.0, max_entries: int = 4096) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str], tuple[float, HTMLResponse]] = OrderedDict()
        #: Renders under way: concurrent requests for the same page wait for the one render.
        self.inflight: dict[tuple[str, str, str], asyncio.Future[HTMLResponse]] = {}

    def get(self, key: tuple[str, str, str]) -> HTMLResponse | None:
        """The cached response for ``key`` if still fresh."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: tuple[str, str, str], response: HTMLResponse) -> None:
        """Keep ``response`` for ``key``; evict the least recently used beyond the bound."""
        self._entries[key] = (time.monotonic() + self.seconds, response)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _page_cache(request: Request) -> PageCache:
    cache: PageCache | None = getattr(request.app.state, "page_cache", None)
    if cache is None:
        cache = PageCache(seconds=PAGE_CACHE_SECONDS)
        request.app.state.page_cache = cache
    return cache


@router.get("/l/{label_id}", response_class=HTMLResponse, summary="Consumer page of a label")
async def label_page(
    label_id: str,
    request: Request,
    lang: Annotated[str | None, Query(description=LANG_QUERY)] = None,
) -> HTMLResponse:
    """The page a label's QR code opens: footprint, grade, certifier, validity, chain status."""
    language = _language(request, lang)
    cache = _page_cache(request)
    key = (label_id, language, request.url.query)
    cached = cache.get(key)
    if cached is not None:
        return cached
    pending = cache.inflight.get(key)
    if pending is not None:
        # A burst of scans when the cached page expires renders it once, not once per scan.
        return await asyncio.shield(pending)
    future: asyncio.Future[HTMLResponse] = asyncio.get_running_loop().create_future()
    cache.inflight[key] = future
    try:
        response = await _label_page_response(request, label_id, language)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved here: no "never retrieved" warning without waiters
        raise
    finally:
        del cache.inflight[key]
    future.set_result(response)
    if response.status_code == 200:
        cache.put(key, response)
    return response


async def _label_page_response(request: Request, label_id: str, language: Language) -> HTMLResponse:
    """Read the page's label (one statement, and one for its recognitions when any may concern
    it: registry.label_reads) and render it once the connection is back in the pool.

    The render runs on the event loop: it is CPU work only, which a thread would not run any
    sooner (it needs the GIL) and would add a hop and turns at the GIL to.
    """
    base_url = request.app.state.settings.base_url
    page = await public_read(
        request,
        lambda rows, in_thread: fetch_label_page(rows, in_thread, label_id, base_url=base_url),
        lambda connection: read_label_page(connection, label_id, base_url=base_url),
    )
    return _render_label_page(request, label_id, language, page)


def _render_label_page(
    request: Request, label_id: str, language: Language, page: LabelPage | None
) -> HTMLResponse:
    if page is None:
        return not_found_page(request, language, label_id)
    view, supply_chain, breakdown = page.view, page.supply_chain, page.breakdown
    recognitions = _recognition_lines(page.label, page.recognitions, language)
    category = get_category(view.category)
    reason = view.revocation_reason
    t = messages(language)
    status = _status(view)
    device_check = _device_check(request, view.label_id)
    grade = _grade_context(view, language)
    threshold_unit = (
        unit_name(view.declared_unit, language, category)
        if view.declared_unit == category.typical_unit
        else unit_name(category.typical_unit, language, category)
    )
    return render_page(
        "label.html",
        request=request,
        lang=language,
        v=view,
        category=category,
        product_name=view.name(language),
        other_product_name=view.name(COMPANION[language]),
        value=format_amount(view.kg_co2e_per_unit),
        unit=unit_text(view.category, view.declared_unit, language),
        fossil=format_amount(view.fossil_kg_co2e),
        biogenic=format_amount(view.biogenic_kg_co2e),
        comparison_km=_round_km(view.kg_co2e_per_unit / _car_comparison()),
        comparison_factor=_car_comparison(),
        grade_colour=GRADE_COLOURS.get(view.grade, "#555"),
        **grade,
        threshold_unit=threshold_unit,
        grade_compare=_grade_compare(
            view, grade["scale"], category.name(language), threshold_unit, t
        ),
        status=status,
        verdict=_initial_verdict(status, device_check is not None),
        verdicts=VERDICT_KEYS,
        device_check=device_check,
        supply_chain=_supply_lines(supply_chain, language, category, t),
        recognitions=recognitions,
        breakdown=breakdown,
        stage_chart=_stage_chart(breakdown, t),
        # The chain's reason in the page's language (verifier/protocol/reasons.py).
        reason_text=t["reason_1"]
        if reason == RevocationReason.SUPERSEDED
        else revocation_reason(reason).describe(language)
        if reason
        else "",
    )


#: The plain verdicts a label page can show, one at a time (``#verdict[data-verdict]``): the
#: registry's word first, then the reader's device's (``tanji-verify-page.js``).
VERDICT_KEYS = (
    "VALID",
    "CHECKING",
    "ANCHORED",
    "SUPERSEDED",
    "REVOKED",
    "PENDING",
    "EXPIRED",
    "INVALID",
    "ERROR",
)


def _initial_verdict(status: str, device_check: bool) -> str:
    """The verdict the page opens with: an anchored label is being checked on the reader's
    device when the page can (the script then shows that check's verdict), else the registry's."""
    if status == "anchored":
        return "CHECKING" if device_check else "ANCHORED"
    return status.upper()


def _grade_compare(
    view: LabelView,
    scale: list[tuple[str, str | None, str]],
    category: str,
    unit: str,
    t: dict[str, str],
) -> str | None:
    """One plain sentence placing the grade on its scale: its limit for the category."""
    if not scale:
        return None
    grades = [g for g, _, _ in scale]
    if view.grade not in grades:
        return None
    index = grades.index(view.grade)
    bound = scale[index][1]
    key = "grade_compare_within"
    if bound is None:  # the last grade: above the one before it
        key, bound = "grade_compare_above", scale[index - 1][1]
    return t[key].format(
        grade=view.grade,
        best=grades[0],
        worst=grades[-1],
        bound=bound,
        unit=unit,
        category=category,
    )


def _supply_lines(
    nodes: list[dict[str, Any]], lang: Language, category: Any, t: dict[str, str]
) -> list[dict[str, Any]]:
    """The supply-chain tree with each hop's sentence for people, in ``lang``."""

    def line(node: dict[str, Any]) -> dict[str, Any]:
        if node.get("missing"):
            text = t["supply_missing"]
        else:
            state = (
                "supply_withdrawn"
                if node["status"] == "revoked"
                else "supply_signed_anchored"
                if node.get("anchor_status") == "anchored"
                else "supply_signed_pending"
            )
            text = (
                t["supply_component"].format(
                    component=node.get("component_id") or node["id"][:10],
                    supplier=node.get("supplier_name") or t["supply_unknown_supplier"],
                    value=format_amount(float(node["kg_co2e_per_unit"])),
                    unit=unit_name(str(node["declared_unit"]), lang),
                )
                + " — "
                + t[state]
            )
        quantity = None
        if "quantity" in node:
            quantity = t["supply_quantity"].format(
                quantity=f"{node['quantity']:g}", unit=unit_name(str(node["unit"]), lang)
            )
        return {
            **node,
            "text": text,
            "quantity_text": quantity,
            "upstream": [line(u) for u in node.get("upstream", [])],
        }

    return [line(n) for n in nodes]


def _recognition_lines(
    label: Any, recognitions: list[tuple[Any, str | None]], lang: Language
) -> list[str]:
    """Each active recognition of the label (with its organisation's name, ``None`` when it has
    none) as a sentence: who recognised it, under what, for what, until when."""
    from datetime import UTC, datetime

    t = messages(lang)
    lines = []
    for recognition, org_name in recognitions:
        until = (
            datetime.fromtimestamp(recognition.valid_until, UTC).date().isoformat()
            if recognition.valid_until
            else t["recognition_until_withdrawn"]
        )
        category = (
            get_category(recognition.category).name(lang)
            if recognition.category
            else get_category(label.record["product"]["category"]).name(lang)
        )
        lines.append(
            t["recognition_sentence"].format(
                recognizer=org_name if org_name is not None else recognition.recognizer,
                scheme=recognition.scheme,
                category=category,
                until=until,
            )
        )
    return lines


def _stage_chart(breakdown: PageBreakdown | None, t: dict[str, str]) -> Markup | None:
    """The stage breakdown's SVG bar chart in the page's language (escaped markup), or None."""
    if breakdown is None or not breakdown.stages:
        return None
    bars = [StageBar(t["stage_" + stage], value) for stage, value in breakdown.stages]
    description = "; ".join(f"{bar.name} {bar.value}" for bar in bars)
    return Markup(stage_chart_svg(bars, title=t["stage_breakdown"], description=description))


class LabelEndedError(RegistryError):
    """A QR code asked for a revoked or superseded label: nothing new should be printed with it."""

    code = "label_ended"
    status_code = 410


def _live_view_or_410(session: SessionDep, settings: SettingsDep, label_id: str) -> LabelView:
    """The label's view, unless it is revoked or superseded (:class:`LabelEndedError`, code
    ``label_revoked`` or ``label_superseded``; a superseded one names its replacement)."""
    view = _view_or_404(session, settings, label_id)
    if view.status in ("revoked", "superseded"):
        raise LabelEndedError(
            f"label {label_id} is {view.status}: no new QR code is made for it"
            + (f"; its replacement is {view.superseded_by}" if view.superseded_by else ""),
            code=f"label_{view.status}",
            field="label_id",
            details=[{"status": view.status, "superseded_by": view.superseded_by}],
        )
    return view


def _view_or_404(session: SessionDep, settings: SettingsDep, label_id: str) -> LabelView:
    view = load_label_view(session, label_id, base_url=settings.base_url)
    if view is None:
        raise NotFoundError(f"label {label_id} does not exist", field="label_id")
    return view


@router.get(
    "/api/v1/labels/{label_id}/artwork.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
    tags=["labels"],
    summary="Printable label artwork (SVG)",
)
def label_artwork(
    label_id: str,
    session: SessionDep,
    settings: SettingsDep,
    lang: Annotated[
        str | None,
        Query(
            description="the language printed first, with its companion (zh-Hans or zh-Hant "
            "with en, en with zh-Hans); default zh-Hans. Not read from Accept-Language: the "
            "same URL always prints the same artwork"
        ),
    ] = None,
) -> Response:
    """The label's printable artwork: footprint, grade, QR, certificate, validity, bilingual."""
    view = _view_or_404(session, settings, label_id)
    return Response(
        render_label_svg(view.artwork(choose_language(lang, None))),
        media_type="image/svg+xml",
        # A revocation or supersession puts a band across it: revalidated, like the page.
        headers={"Cache-Control": PAGE_CACHE},
    )


@router.get(
    "/api/v1/labels/{label_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    tags=["labels"],
    summary="QR code of the label URL (PNG)",
)
def label_qr_png(
    label_id: str,
    session: SessionDep,
    settings: SettingsDep,
    box_size: Annotated[int, Query(ge=1, le=40, description="pixels per module")] = 8,
) -> Response:
    """A PNG QR code of the label's URL (GS1 Digital Link when the product has a GTIN); refused
    (410 ``label_revoked`` / ``label_superseded``) once the label no longer holds."""
    view = _live_view_or_410(session, settings, label_id)
    return Response(
        qr_png(view.url, box_size=box_size),
        media_type="image/png",
        headers={"Cache-Control": MEDIA_CACHE},
    )


@router.get(
    "/api/v1/labels/{label_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
    tags=["labels"],
    summary="QR code of the label URL (SVG)",
)
def label_qr_svg(label_id: str, session: SessionDep, settings: SettingsDep) -> Response:
    """An SVG QR code of the label's URL; refused (410) once the label no longer holds."""
    view = _live_view_or_410(session, settings, label_id)
    return Response(
        qr_svg(view.url), media_type="image/svg+xml", headers={"Cache-Control": MEDIA_CACHE}
    )
