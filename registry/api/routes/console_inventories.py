"""The console's inventories: upload an inventory, edit it line by line, calculate, submit.

- ``GET /console/inventories``: the organisation's drafts and the upload form.
- ``POST /console/inventories``: upload a ``tanji-inventory/1`` JSON file (multipart, at most
  :data:`registry.accounting.drafts.MAX_UPLOAD_BYTES`); a refused file is shown again with each
  fault (code and field, as the API reports them) next to the line it is about.
- ``GET /console/inventories/{id}``: the draft, its lines, the line editor (``?edit=<line>``;
  ``?q=`` narrows the factor list), the calculate and submit forms.
- ``POST …/{id}/lines`` (add or change a line), ``POST …/{id}/lines/{line}/delete``,
  ``POST …/{id}/delete``: edits (``inventory.edit``).
- ``POST …/{id}/calculate``: the engine's result, its breakdown (server-rendered SVG bars) and
  its Monte Carlo interval (``inventory.read``: calculating changes nothing).
- ``POST …/{id}/submit``: the result stored as a footprint (``footprint.submit``), which then
  waits for a certification body's review.

Every operation is :mod:`registry.accounting.drafts`, the same functions as the API
(``/api/v1/inventories/drafts``), with the same permission actions. Forms work without script;
htmx (``hx-select``) swaps only the part of the page that changed where that helps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from registry.accounting import drafts
from registry.accounting.calculation import Calculation, MonteCarlo
from registry.accounting.submission import FootprintDetails
from registry.api.deps import SessionDep
from registry.api.routes.console import (
    NO_STORE,
    FormFields,
    check_csrf,
    console_page,
    permit,
)
from registry.crud.users import SignedIn
from registry.errors import InvalidInputError, RegistryError
from registry.factors import crud as factors_crud
from registry.i18n import choose_language, localized, messages
from registry.models.inventory_drafts import InventoryDraft
from registry.permissions import Action, allowed
from registry.validation import validation_error_details
from verifier.protocol.accounting import (
    GASES,
    LINE_KINDS,
    STAGES,
    AccountingError,
    load_document,
)

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

Reader = Annotated[SignedIn, Depends(permit(Action.INVENTORY_READ))]
Editor = Annotated[SignedIn, Depends(permit(Action.INVENTORY_EDIT))]
Submitter = Annotated[SignedIn, Depends(permit(Action.FOOTPRINT_SUBMIT))]
LangQuery = Annotated[str | None, Query(max_length=16)]
DraftId = Annotated[str, Path(max_length=64)]
LineId = Annotated[str, Path(max_length=128)]

#: Lines shown on one page of a draft.
LINES_PER_PAGE: Final = 200
#: Factors offered in the line editor's list at most (narrow it with ``?q=``).
MAX_FACTOR_CHOICES: Final = 600
#: Dataset versions offered at most.
MAX_VERSIONS: Final = 100
#: Bars of the by-line chart (the largest lines; the table has them all).
MAX_LINE_BARS: Final = 12
#: What the multipart upload form may carry besides the file.
MAX_FORM_FIELDS: Final = 4
#: ``lines[3]`` at the start of a fault's path (after ``inventory.``).
_LINE_PATH: Final = re.compile(r"^inventory\.lines\[(\d+)\](?:\.(.*))?$")
#: The line editor's fields, for placing an edit's faults next to them.
_EDITOR_FIELDS: Final = ("id", "name", "kind", "stage", "amount", "unit", "factor", "gas")


# -- faults shown next to what they are about ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault as the API reports it: code, field, message."""

    code: str
    field: str | None
    message: str


def faults_of(exc: RegistryError) -> list[Fault]:
    """Every fault of an error (its details, or itself)."""
    found = [
        Fault(str(d.get("code", exc.code)), d.get("field"), str(d.get("message", exc.message)))
        for d in exc.details
        if isinstance(d, Mapping) and "message" in d
    ]
    return found or [Fault(exc.code, exc.field, exc.message)]


def by_line(faults: Sequence[Fault]) -> tuple[dict[int, list[Fault]], list[Fault]]:
    """Faults at a root line (by its index) and the others."""
    lines: dict[int, list[Fault]] = {}
    rest: list[Fault] = []
    for fault in faults:
        match = _LINE_PATH.match(fault.field or "")
        if match:
            lines.setdefault(int(match.group(1)), []).append(fault)
        else:
            rest.append(fault)
    return lines, rest


def editor_faults(faults: Sequence[Fault]) -> tuple[dict[str, list[Fault]], list[Fault]]:
    """An edit's faults by editor field (``lines[3].factor.id`` is the factor's) and the rest."""
    fields: dict[str, list[Fault]] = {}
    rest: list[Fault] = []
    for fault in faults:
        field = fault.field or ""
        match = _LINE_PATH.match(field)
        member = (match.group(2) or "") if match else field
        name = member.split(".")[0].split("[")[0]
        if name in ("component", "subInventory"):
            name = "factor"
        if name in _EDITOR_FIELDS:
            fields.setdefault(name, []).append(fault)
        else:
            rest.append(fault)
    return fields, rest


# -- what the pages show -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a server-rendered chart."""

    label: str
    value: str
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class Chart:
    """A horizontal bar chart (SVG drawn by the template)."""

    bars: list[Bar]
    height: int


#: Chart geometry (px): label column, longest bar, row height.
CHART_LABEL: Final = 180
CHART_BAR: Final = 300
CHART_ROW: Final = 26


def bar_chart(values: Sequence[tuple[str, str]]) -> Chart:
    """Bars of ``(label, decimal string)``, scaled to the largest (negative values draw none)."""
    numbers = []
    for _, text in values:
        try:
            numbers.append(max(Decimal(text), Decimal(0)))
        except InvalidOperation:
            numbers.append(Decimal(0))
    top = max(numbers, default=Decimal(0))
    bars = [
        Bar(
            label=label,
            value=text,
            y=index * CHART_ROW,
            width=int(number * CHART_BAR / top) if top else 0,
        )
        for index, ((label, text), number) in enumerate(zip(values, numbers, strict=True))
    ]
    return Chart(bars=bars, height=max(1, len(bars)) * CHART_ROW)


def result_view(calculation: Calculation, t: Mapping[str, str]) -> dict[str, Any]:
    """The result the page shows: the engine's dict, and its charts."""
    result = calculation.to_dict()
    stages = [
        (t.get(f"console_inventories_stage_{s}", s), v) for s, v in result["by_stage"].items()
    ]
    largest = sorted(result["lines"], key=lambda line: Decimal(line["kg_co2e"]), reverse=True)
    lines = [(line["id"], line["kg_co2e"]) for line in largest[:MAX_LINE_BARS]]
    return {
        "result": result,
        "stage_chart": bar_chart(stages),
        "line_chart": bar_chart(lines),
        "line_bars_cut": len(result["lines"]) > MAX_LINE_BARS,
    }


@dataclass(frozen=True, slots=True)
class FactorGroup:
    """The factors of one published dataset version, as the editor offers them."""

    ref: str  # dataset@version
    digest: str
    options: list[tuple[str, str]]  # (value dataset@version:id, text)


def factor_groups(session: Session, lang: str, q: str | None) -> tuple[list[FactorGroup], bool]:
    """Published dataset versions and their factors (``q`` narrows them, as the API's factor
    search does); True if the list was cut at :data:`MAX_FACTOR_CHOICES`."""
    versions = drafts.published_versions(session, limit=MAX_VERSIONS)
    digests = {ref: digest for ref, _, _, digest in versions}
    groups: dict[str, list[tuple[str, str]]] = {}
    offered = 0
    cut = False
    for ref, dataset, version, _ in versions:
        offset = 0
        while True:
            rows, count = factors_crud.search_factors(
                session,
                q=q or None,
                dataset=dataset,
                version=version,
                offset=offset,
                limit=factors_crud.MAX_PAGE,
            )
            for factor in rows:
                if offered >= MAX_FACTOR_CHOICES:
                    cut = True
                    break
                names = factor.data.get("names") or {}
                name = localized(names, lang)
                text = f"{factor.factor_id} · {name} ({factor.data.get('unit', '')})"
                groups.setdefault(ref, []).append((f"{ref}:{factor.factor_id}", text))
                offered += 1
            offset += len(rows)
            if cut or not rows or offset >= count:
                break
        if cut:
            break
    return [
        FactorGroup(ref=ref, digest=digests[ref], options=options)
        for ref, options in groups.items()
    ], cut


def line_source(line: Mapping[str, Any]) -> str:
    """What a line's value comes from, in short (``dataset@version:id``, ``gas CH4``…)."""
    factor = line.get("factor")
    if isinstance(factor, Mapping):
        return f"{factor.get('dataset')}@{factor.get('version')}:{factor.get('id')}"
    if line.get("gas"):
        return f"gas {line['gas']}"
    component = line.get("component")
    if isinstance(component, Mapping):
        return f"component {component.get('attestation', '')}"
    if line.get("subInventory"):
        return f"subInventory {line['subInventory']}"
    return ""


def editor_values(line: Mapping[str, Any] | None) -> dict[str, str]:
    """The editor's field values for a line (empty for a new one)."""
    if line is None:
        return {name: "" for name in _EDITOR_FIELDS}
    values = {name: str(line.get(name) or "") for name in _EDITOR_FIELDS}
    factor = line.get("factor")
    values["factor"] = (
        f"{factor.get('dataset')}@{factor.get('version')}:{factor.get('id')}"
        if isinstance(factor, Mapping)
        else ""
    )
    return values


def product_name(document: Mapping[str, Any], lang: str) -> str:
    """The inventory's product name in ``lang`` (or its id)."""
    product = document.get("product")
    names = product.get("names") if isinstance(product, Mapping) else None
    text = localized(names, lang) if isinstance(names, Mapping) else ""
    return text or str(document.get("id", ""))


def _can(user: SignedIn, action: Action) -> bool:
    return allowed(action, org_role=user.org.role, user_role=user.user.role)


def _redirect(path: str) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    response.headers["Cache-Control"] = NO_STORE
    return response


def _lang(request: Request, lang: str | None) -> str:
    return choose_language(lang, request.headers.get("accept-language"))


# -- the list and the upload ---------------------------------------------------------------------


def _list_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    status_code: int = 200,
    upload_faults: list[Fault] | None = None,
    upload_lines: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    rows, count = drafts.list_drafts(session, org=user.org)
    language = _lang(request, lang)
    line_faults, other_faults = by_line(upload_faults or [])
    return console_page(
        "console_inventories_list.html",
        request,
        user,
        lang=lang,
        status_code=status_code,
        drafts=[(row, localized(row.names, language) or row.inventory_id) for row in rows],
        draft_count=count,
        can_edit=_can(user, Action.INVENTORY_EDIT),
        max_upload_kib=drafts.MAX_UPLOAD_BYTES // 1024,
        upload_faults=upload_faults or [],
        upload_other_faults=other_faults,
        upload_line_faults=line_faults,
        upload_lines=upload_lines or [],
        line_source=line_source,
    )


@router.get("/inventories", response_class=HTMLResponse)
def inventories_page(
    request: Request, session: SessionDep, user: Reader, lang: LangQuery = None
) -> HTMLResponse:
    return _list_page(request, session, user, lang)


def _uploaded_lines(data: bytes) -> list[dict[str, Any]]:
    """The lines of a refused upload, as far as they can be read (to show faults beside)."""
    try:
        document = load_document(data, yaml_allowed=False)
    except AccountingError:  # unreadable: its fault is shown without lines
        return []
    lines = document.get("lines") if isinstance(document, Mapping) else None
    if not isinstance(lines, list):
        return []
    return [line if isinstance(line, dict) else {} for line in lines[:LINES_PER_PAGE]]


@router.post("/inventories", response_class=HTMLResponse)
async def upload_inventory(
    request: Request, session: SessionDep, user: Editor, lang: LangQuery = None
) -> Any:
    too_large = InvalidInputError(
        f"an inventory file is at most {drafts.MAX_UPLOAD_BYTES // 1024} KiB",
        code="too_large",
        field="inventory",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > drafts.MAX_UPLOAD_BYTES + 64 * 1024:
        return _list_page(
            request, session, user, lang, status_code=413, upload_faults=faults_of(too_large)
        )
    try:
        form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024)
    except HTTPException:  # starlette refuses a malformed or oversized form (400)
        bad = InvalidInputError(
            "the upload form could not be read", code="bad_form", field="inventory"
        )
        return _list_page(
            request, session, user, lang, status_code=400, upload_faults=faults_of(bad)
        )
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(fields, user)
    upload = form.get("inventory")
    if not isinstance(upload, UploadFile):
        missing = InvalidInputError(
            "choose an inventory file", code="missing_field", field="inventory"
        )
        return _list_page(
            request, session, user, lang, status_code=422, upload_faults=faults_of(missing)
        )
    data = await upload.read(drafts.MAX_UPLOAD_BYTES + 1)
    await form.close()
    try:
        document = drafts.read_upload(data)
        draft = drafts.create_draft(session, org=user.org, document=document)
    except RegistryError as exc:
        session.rollback()
        return _list_page(
            request,
            session,
            user,
            lang,
            status_code=exc.status_code,
            upload_faults=faults_of(exc),
            upload_lines=_uploaded_lines(data),
        )
    session.commit()
    return _redirect(f"/console/inventories/{draft.id}?lang={_lang(request, lang)}")


# -- one draft -----------------------------------------------------------------------------------


def _draft_page(
    request: Request,
    session: Session,
    user: SignedIn,
    draft: InventoryDraft,
    lang: str | None,
    *,
    status_code: int = 200,
    edit: str | None = None,
    q: str | None = None,
    page: int = 1,
    editor: dict[str, str] | None = None,
    faults: list[Fault] | None = None,
    edit_faults: list[Fault] | None = None,
    calculation: Calculation | None = None,
    submit_faults: list[Fault] | None = None,
    submitted: str | None = None,
) -> HTMLResponse:
    language = _lang(request, lang)
    t_lines: list[Any] = list(draft.document.get("lines") or [])
    edited = None
    if edit is not None:
        edited = next((line for line in t_lines if line.get("id") == edit), None)
    pages = max(1, -(-len(t_lines) // LINES_PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * LINES_PER_PAGE
    line_faults, other_faults = by_line(faults or [])
    field_faults, editor_other = editor_faults(edit_faults or [])
    groups, cut = factor_groups(session, language, q)
    edit_id = edit if edited is not None or (editor is not None and edit) else None
    editor = editor if editor is not None else editor_values(edited)
    offered = any(value == editor["factor"] for g in groups for value, _ in g.options)
    view: dict[str, Any] = {"result": None}
    if calculation is not None:
        view = result_view(calculation, messages(language))
    return console_page(
        "console_inventories_draft.html",
        request,
        user,
        lang=lang,
        status_code=status_code,
        draft=draft,
        doc=draft.document,
        title=product_name(draft.document, language),
        lines=list(enumerate(t_lines))[start : start + LINES_PER_PAGE],
        page=page,
        pages=pages,
        line_faults=line_faults,
        other_faults=other_faults,
        edit_id=edit_id,
        editor=editor,
        factor_offered=offered,
        field_faults=field_faults,
        editor_faults=editor_other,
        factor_groups=groups,
        factors_cut=cut,
        q=q or "",
        kinds=LINE_KINDS,
        stages=STAGES,
        gases=GASES,
        can_edit=_can(user, Action.INVENTORY_EDIT),
        can_submit=_can(user, Action.FOOTPRINT_SUBMIT),
        line_source=line_source,
        submit_faults=submit_faults or [],
        # Only the footprint the draft was submitted as (the query is not shown as it is).
        submitted=submitted if submitted and submitted == draft.footprint_id else None,
        **view,
    )


def _draft(session: Session, user: SignedIn, draft_id: str) -> InventoryDraft:
    return drafts.get_draft(session, org=user.org, draft_id=draft_id)


@router.get("/inventories/{draft_id}", response_class=HTMLResponse)
def draft_page(
    draft_id: DraftId,
    request: Request,
    session: SessionDep,
    user: Reader,
    lang: LangQuery = None,
    edit: Annotated[str | None, Query(max_length=128)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    submitted: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    draft = _draft(session, user, draft_id)
    return _draft_page(
        request, session, user, draft, lang, edit=edit, q=q, page=page, submitted=submitted
    )


def _revision(form: Mapping[str, str]) -> int | None:
    text = form.get("revision", "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def line_input(form: Mapping[str, str]) -> drafts.LineInput:
    """The editor's form as the API's line body (faults named by the editor's fields)."""
    factor: dict[str, str] | None = None
    choice = form.get("factor", "").strip()
    if choice:
        dataset, _, rest = choice.partition("@")
        version, _, factor_id = rest.partition(":")
        factor = {"dataset": dataset, "version": version, "id": factor_id}
    data: dict[str, Any] = {
        name: form.get(name, "").strip() for name in ("id", "kind", "stage", "amount", "unit")
    }
    data["name"] = form.get("name", "").strip() or None
    data["gas"] = form.get("gas", "").strip() or None
    data["factor"] = factor
    try:
        return drafts.LineInput.model_validate(data)
    except ValidationError as exc:
        details = validation_error_details(exc.errors())
        first = details[0]
        raise InvalidInputError(
            first["message"], code=first["code"], field=first.get("field"), details=details
        ) from None


@router.post("/inventories/{draft_id}/lines", response_class=HTMLResponse)
def save_line(
    draft_id: DraftId,
    request: Request,
    session: SessionDep,
    user: Editor,
    form: FormFields,
    lang: LangQuery = None,
) -> Any:
    check_csrf(form, user)
    draft = _draft(session, user, draft_id)
    original = form.get("line_id", "").strip() or None
    try:
        line = line_input(form)
        drafts.put_line(session, draft, line, line_id=original, revision=_revision(form))
    except RegistryError as exc:
        session.rollback()
        draft = _draft(session, user, draft_id)
        editor = {name: form.get(name, "") for name in _EDITOR_FIELDS}
        return _draft_page(
            request,
            session,
            user,
            draft,
            lang,
            status_code=exc.status_code,
            edit=original,
            editor=editor,
            edit_faults=faults_of(exc),
        )
    session.commit()
    anchor = f"#line-{line.id}"
    return _redirect(f"/console/inventories/{draft_id}?lang={_lang(request, lang)}{anchor}")


@router.post("/inventories/{draft_id}/lines/{line_id}/delete", response_class=HTMLResponse)
def remove_line(
    draft_id: DraftId,
    line_id: LineId,
    request: Request,
    session: SessionDep,
    user: Editor,
    form: FormFields,
    lang: LangQuery = None,
) -> Any:
    check_csrf(form, user)
    draft = _draft(session, user, draft_id)
    try:
        drafts.delete_line(session, draft, line_id, revision=_revision(form))
    except RegistryError as exc:
        session.rollback()
        draft = _draft(session, user, draft_id)
        return _draft_page(
            request, session, user, draft, lang, status_code=exc.status_code, faults=faults_of(exc)
        )
    session.commit()
    return _redirect(f"/console/inventories/{draft_id}?lang={_lang(request, lang)}")


@router.post("/inventories/{draft_id}/delete", response_class=HTMLResponse)
def remove_draft(
    draft_id: DraftId,
    request: Request,
    session: SessionDep,
    user: Editor,
    form: FormFields,
    lang: LangQuery = None,
) -> Any:
    check_csrf(form, user)
    drafts.delete_draft(session, _draft(session, user, draft_id))
    session.commit()
    return _redirect(f"/console/inventories?lang={_lang(request, lang)}")


@router.post("/inventories/{draft_id}/calculate", response_class=HTMLResponse)
def calculate(
    draft_id: DraftId,
    request: Request,
    session: SessionDep,
    user: Reader,
    form: FormFields,
    lang: LangQuery = None,
) -> HTMLResponse:
    check_csrf(form, user)
    draft = _draft(session, user, draft_id)
    try:
        calculation = drafts.calculate_draft(session, draft, monte_carlo=MonteCarlo())
    except RegistryError as exc:
        return _draft_page(
            request, session, user, draft, lang, status_code=exc.status_code, faults=faults_of(exc)
        )
    return _draft_page(request, session, user, draft, lang, calculation=calculation)


def footprint_details(form: Mapping[str, str]) -> FootprintDetails:
    """The submit form as the API's ``footprint`` member (faults named ``footprint.…``)."""
    geography = {"country": form.get("country", "").strip().upper() or None}
    subdivision = form.get("subdivision", "").strip().upper()
    if subdivision:
        geography["subdivision"] = subdivision
    data: dict[str, Any] = {
        "reference_period": {
            "start": form.get("period_start", "").strip(),
            "end": form.get("period_end", "").strip(),
        },
        "geography": geography,
    }
    rating = form.get("data_quality_rating", "").strip()
    if rating:
        data["data_quality_rating"] = rating
    notes = form.get("notes", "").strip()
    if notes:
        data["notes"] = notes
    try:
        return FootprintDetails.model_validate(data)
    except ValidationError as exc:
        details = validation_error_details(exc.errors())
        for detail in details:
            detail["field"] = f"footprint.{detail['field']}" if detail.get("field") else "footprint"
        first = details[0]
        raise InvalidInputError(
            first["message"], code=first["code"], field=first["field"], details=details
        ) from None


@router.post("/inventories/{draft_id}/submit", response_class=HTMLResponse)
def submit(
    draft_id: DraftId,
    request: Request,
    session: SessionDep,
    user: Submitter,
    form: FormFields,
    lang: LangQuery = None,
) -> Any:
    check_csrf(form, user)
    draft = _draft(session, user, draft_id)
    try:
        details = footprint_details(form)
        _, footprint = drafts.submit_draft(
            session, org=user.org, draft=draft, details=details, revision=_revision(form)
        )
        footprint_id = footprint.id
        session.commit()
    except RegistryError as exc:
        session.rollback()
        draft = _draft(session, user, draft_id)
        faults = faults_of(exc)
        inventory_faults = [f for f in faults if (f.field or "").startswith("inventory")]
        return _draft_page(
            request,
            session,
            user,
            draft,
            lang,
            status_code=exc.status_code,
            faults=inventory_faults,
            submit_faults=faults,
        )
    language = _lang(request, lang)
    return _redirect(f"/console/inventories/{draft_id}?lang={language}&submitted={footprint_id}")
