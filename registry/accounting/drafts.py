"""Inventory drafts: upload an inventory, edit it line by line, calculate it, submit it.

The rules the API (``/api/v1/inventories/drafts``, :mod:`registry.api.routes.inventory_drafts`)
and the console (:mod:`registry.api.routes.console_inventories`) both apply:

- **Upload** (:func:`read_upload`, :func:`create_draft`): a ``tanji-inventory/1`` JSON document
  (the format ``POST /api/v1/calculations`` takes), at most :data:`MAX_UPLOAD_BYTES`, read and
  checked by the verifier's parser; a refused document is a :class:`CalculationError` naming
  every fault (``inventory.lines[3].unit``), and nothing is stored. An organisation keeps at most
  :data:`MAX_DRAFTS` drafts.
- **Edit** (:func:`put_line`, :func:`delete_line`): one line at a time. A line citing a factor
  names a factor of a dataset version the registry publishes (``unknown_factor_dataset``,
  ``unknown_factor`` otherwise); the version is added to the inventory's ``factorDatasets`` with
  its published digest. The edited document is checked by the same parser, so a draft is always
  a document the engine reads. Every change increments the draft's ``revision``; a change made
  from another revision than the stored one is refused (409 ``draft_changed``).
- **Calculate** (:func:`calculate_draft`): the calculation route's steps, the same functions
  (published datasets, revoked ones refused; category rules; Monte Carlo; supplier attestations).
- **Submit** (:func:`submit_draft`): :func:`registry.accounting.submission.submit_calculation`,
  the footprint ``POST /api/v1/calculations?submit=true`` stores.

Each change is audited (``inventory_draft.create|update|delete|submit``); the caller commits.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from pydantic import Field
from sqlalchemy import update
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from registry.accounting.calculation import (
    Calculation,
    CalculationError,
    MonteCarlo,
    run_calculation,
)
from registry.accounting.datasets import DatabaseDatasets, resolve_datasets
from registry.accounting.submission import FootprintDetails, check_attestations, submit_calculation
from registry.audit import record_audit
from registry.errors import ConflictError, InvalidInputError, NotFoundError
from registry.factors import crud as factors_crud
from registry.factors.models import FactorDatasetVersion
from registry.ids import new_record_id
from registry.models.attestations import Attestation
from registry.models.common import StrictInput, utcnow
from registry.models.footprints import Footprint
from registry.models.inventory_drafts import InventoryDraft, InventoryDraftPublic
from registry.models.orgs import Organisation
from verifier.protocol.accounting import (
    INVENTORY_FORMAT,
    LIMITS,
    AccountingError,
    Inventory,
    document_digest,
    load_document,
    parse_inventory,
)

__all__ = [
    "MAX_DRAFTS",
    "MAX_UPLOAD_BYTES",
    "PREFIX",
    "FactorChoice",
    "LineInput",
    "calculate_draft",
    "create_draft",
    "delete_draft",
    "delete_line",
    "get_draft",
    "list_drafts",
    "parse_draft",
    "published_versions",
    "put_line",
    "read_upload",
    "submit_draft",
    "summary",
    "to_public",
]

#: The largest inventory file a draft is made from (the engine's own limit is far higher; a
#: draft is edited in a page).
MAX_UPLOAD_BYTES: Final = 2 * 1024 * 1024
#: Drafts one organisation may keep.
MAX_DRAFTS: Final = 100
#: Where a draft's faults are: the path in the inventory, as the calculation route names them.
PREFIX: Final = "inventory."
SUBJECT: Final = "inventory_draft"
#: The Monte Carlo run of a calculation that names none (the API's default).
DEFAULT_RUN: Final = MonteCarlo()

_MAX_ID: Final = LIMITS["MAX_ID"]
_MAX_NAME: Final = LIMITS["MAX_NAME"]
#: Bounds of a line's free text before the parser checks it (it says what is allowed).
_MAX_FIELD: Final = 64


class FactorChoice(StrictInput):
    """A factor of a published dataset version."""

    dataset: str = Field(min_length=1, max_length=_MAX_FIELD)
    version: str = Field(min_length=1, max_length=_MAX_FIELD)
    id: str = Field(min_length=1, max_length=_MAX_ID)


class LineInput(StrictInput):
    """One line of an inventory as an edit gives it (docs/ACCOUNTING.md, "Inventory").

    Exactly one of ``factor`` and ``gas`` (a ``process`` line's direct emission); with neither,
    an existing line keeps its ``component`` or ``subInventory``. The line's ``uncertainty`` is
    kept. Values are checked by the inventory parser.
    """

    id: str = Field(min_length=1, max_length=_MAX_ID)
    name: str | None = Field(default=None, max_length=_MAX_NAME)
    kind: str = Field(max_length=_MAX_FIELD)
    stage: str = Field(max_length=_MAX_FIELD)
    amount: str = Field(max_length=_MAX_FIELD, description="a decimal string, e.g. 0.42")
    unit: str = Field(max_length=_MAX_FIELD)
    factor: FactorChoice | None = None
    gas: str | None = Field(default=None, max_length=_MAX_FIELD)


# -- reading ------------------------------------------------------------------------------------


def read_upload(data: bytes) -> dict[str, Any]:
    """The inventory document of an uploaded file, checked by the verifier's parser.

    Raises :class:`InvalidInputError` ``too_large`` over :data:`MAX_UPLOAD_BYTES`, and
    :class:`CalculationError` with every fault of a document the parser refuses.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInputError(
            f"an inventory file is at most {MAX_UPLOAD_BYTES // 1024} KiB",
            code="too_large",
            field="inventory",
        )
    try:
        document = load_document(data, yaml_allowed=False)
    except AccountingError as exc:
        raise CalculationError(exc, prefix=PREFIX) from None
    parse_draft(document)
    return dict(document)


def parse_draft(document: Any) -> Inventory:
    """``document`` read by the verifier's parser (:class:`CalculationError` if refused)."""
    if not isinstance(document, Mapping):
        raise InvalidInputError(
            f"an inventory is a JSON object ({INVENTORY_FORMAT})",
            code="wrong_type",
            field="inventory",
        )
    try:
        return parse_inventory(document)
    except AccountingError as exc:
        raise CalculationError(exc, prefix=PREFIX) from None


def summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """The columns a draft keeps beside its (parsed) document: id, product names, line count."""
    product = document.get("product")
    names = product.get("names") if isinstance(product, Mapping) else None
    return {
        "inventory_id": str(document.get("id", "")),
        "names": dict(names) if isinstance(names, Mapping) else {},
        "line_count": len(document.get("lines") or []),
    }


def to_public(draft: InventoryDraft, *, with_document: bool = True) -> InventoryDraftPublic:
    """The API view of a draft (``with_document=False``: without reading the document)."""
    return InventoryDraftPublic(
        id=draft.id,
        revision=draft.revision,
        inventory_id=draft.inventory_id,
        line_count=draft.line_count,
        footprint_id=draft.footprint_id,
        created_at=draft.created_at,
        updated_at=draft.updated_at,
        inventory=draft.document if with_document else None,
    )


def _snapshot(draft: InventoryDraft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "revision": draft.revision,
        "inventory_digest": document_digest(draft.document),
        "footprint_id": draft.footprint_id,
    }


def list_drafts(
    session: Session, *, org: Organisation, offset: int = 0, limit: int = 100
) -> tuple[list[InventoryDraft], int]:
    """The organisation's drafts, most recently changed first (their documents not loaded)."""
    where = col(InventoryDraft.org_id) == org.id
    rows = session.exec(
        select(InventoryDraft)
        .options(defer(InventoryDraft.document))  # type: ignore[arg-type]
        .where(where)
        .order_by(col(InventoryDraft.updated_at).desc(), col(InventoryDraft.id))
        .offset(offset)
        .limit(limit)
    ).all()
    count = session.exec(select(func.count()).select_from(InventoryDraft).where(where)).one()
    return list(rows), int(count)


def get_draft(session: Session, *, org: Organisation, draft_id: str) -> InventoryDraft:
    """One of the organisation's drafts (404 ``unknown_draft``; another's is not found either)."""
    draft = session.get(InventoryDraft, draft_id)
    if draft is None or draft.org_id != org.id:
        raise NotFoundError(
            f"no inventory draft {draft_id}", code="unknown_draft", field="draft_id"
        )
    return draft


def published_versions(session: Session, *, limit: int = 100) -> list[tuple[str, str, str, str]]:
    """``(id, dataset, version, digest)`` of the published dataset versions, in the order
    ``GET /api/v1/factors/datasets`` lists them (:func:`registry.factors.crud.list_versions`),
    without reading their documents."""
    rows = session.exec(
        select(
            FactorDatasetVersion.id,
            FactorDatasetVersion.dataset,
            FactorDatasetVersion.version,
            FactorDatasetVersion.digest,
        )
        .order_by(col(FactorDatasetVersion.dataset), col(FactorDatasetVersion.seq))
        .limit(limit)
    ).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


# -- changing -----------------------------------------------------------------------------------


def create_draft(
    session: Session, *, org: Organisation, document: dict[str, Any]
) -> InventoryDraft:
    """Store ``document`` (checked by the parser) as a new draft of ``org`` (no commit)."""
    parse_draft(document)
    count = session.exec(
        select(func.count()).select_from(InventoryDraft).where(InventoryDraft.org_id == org.id)
    ).one()
    if count >= MAX_DRAFTS:
        raise ConflictError(
            f"an organisation keeps at most {MAX_DRAFTS} inventory drafts: delete one first",
            code="too_many_drafts",
        )
    draft = InventoryDraft(
        id=new_record_id("draft"), org_id=org.id, document=document, **summary(document)
    )
    session.add(draft)
    record_audit(
        session,
        action=f"{SUBJECT}.create",
        subject_type=SUBJECT,
        subject_id=draft.id,
        after=_snapshot(draft),
    )
    return draft


def _check_revision(draft: InventoryDraft, expected: int | None) -> None:
    if expected is not None and expected != draft.revision:
        raise ConflictError(
            f"the draft was changed meanwhile (revision {draft.revision}, not {expected}): "
            "reload it and make the change again",
            code="draft_changed",
            field="revision",
        )


def _save(
    session: Session, draft: InventoryDraft, document: dict[str, Any], *, action: str = "update"
) -> InventoryDraft:
    """Store ``document`` as the draft's next revision if nobody changed it since it was read."""
    before = _snapshot(draft)
    now = utcnow()
    result = session.execute(
        update(InventoryDraft)
        .where(col(InventoryDraft.id) == draft.id, col(InventoryDraft.revision) == draft.revision)
        .values(document=document, revision=draft.revision + 1, updated_at=now, **summary(document))
    )
    if getattr(result, "rowcount", 1) != 1:
        raise ConflictError(
            "the draft was changed meanwhile: reload it and make the change again",
            code="draft_changed",
            field="revision",
        )
    session.expire(draft)
    session.refresh(draft)
    record_audit(
        session,
        action=f"{SUBJECT}.{action}",
        subject_type=SUBJECT,
        subject_id=draft.id,
        before=before,
        after=_snapshot(draft),
    )
    return draft


def _line_index(document: Mapping[str, Any], line_id: str) -> int:
    lines = document.get("lines") or []
    for index, line in enumerate(lines):
        if isinstance(line, Mapping) and line.get("id") == line_id:
            return index
    raise NotFoundError(
        f"the inventory has no line {line_id!r}", code="unknown_line", field="line_id"
    )


def _cite(session: Session, document: dict[str, Any], choice: FactorChoice) -> dict[str, str]:
    """The line's ``factor`` member; adds the published version to ``factorDatasets``."""
    try:
        version = factors_crud.get_version(session, dataset=choice.dataset, version=choice.version)
        factors_crud.get_factor(
            session, dataset=choice.dataset, version=choice.version, factor_id=choice.id
        )
    except (NotFoundError, InvalidInputError) as exc:
        field = "factor.id" if exc.code == "unknown_factor" else "factor.dataset"
        raise type(exc)(exc.message, code=exc.code, field=field) from None
    refs = document.setdefault("factorDatasets", [])
    if not any(
        isinstance(ref, Mapping)
        and ref.get("dataset") == version.dataset
        and ref.get("version") == version.version
        for ref in refs
    ):
        refs.append(
            {"dataset": version.dataset, "version": version.version, "digest": version.digest}
        )
    return {"dataset": version.dataset, "version": version.version, "id": choice.id}


def _line_member(
    session: Session, document: dict[str, Any], line: LineInput, old: Mapping[str, Any] | None
) -> dict[str, Any]:
    member: dict[str, Any] = {"id": line.id}
    if line.name:
        member["name"] = line.name
    member.update(kind=line.kind, stage=line.stage, amount=line.amount, unit=line.unit)
    if line.factor is not None and line.gas:
        raise InvalidInputError(
            "a line cites a factor or names a gas, not both", code="bad_value", field="gas"
        )
    if line.factor is not None:
        member["factor"] = _cite(session, document, line.factor)
    elif line.gas:
        member["gas"] = line.gas
    elif old is not None and ("component" in old or "subInventory" in old):
        for kept in ("component", "subInventory"):
            if kept in old:
                member[kept] = copy.deepcopy(old[kept])
    else:
        raise InvalidInputError(
            "choose the line's factor (or, for a process line, the gas it emits)",
            code="missing_field",
            field="factor",
        )
    if old is not None and "uncertainty" in old:
        member["uncertainty"] = copy.deepcopy(old["uncertainty"])
    return member


def put_line(
    session: Session,
    draft: InventoryDraft,
    line: LineInput,
    *,
    line_id: str | None = None,
    revision: int | None = None,
) -> InventoryDraft:
    """Replace the line ``line_id`` (in place) with ``line``, or add ``line`` at the end when
    ``line_id`` is None. The edited document must pass the parser (no commit)."""
    _check_revision(draft, revision)
    document = copy.deepcopy(draft.document)
    lines: list[Any] = document.setdefault("lines", [])
    if line_id is None:
        lines.append(_line_member(session, document, line, None))
    else:
        index = _line_index(document, line_id)
        lines[index] = _line_member(session, document, line, lines[index])
    parse_draft(document)
    return _save(session, draft, document)


def delete_line(
    session: Session, draft: InventoryDraft, line_id: str, *, revision: int | None = None
) -> InventoryDraft:
    """Remove the line ``line_id``; the rest must still pass the parser (no commit)."""
    _check_revision(draft, revision)
    document = copy.deepcopy(draft.document)
    del document["lines"][_line_index(document, line_id)]
    parse_draft(document)
    return _save(session, draft, document)


def delete_draft(session: Session, draft: InventoryDraft) -> None:
    """Delete the draft (no commit)."""
    record_audit(
        session,
        action=f"{SUBJECT}.delete",
        subject_type=SUBJECT,
        subject_id=draft.id,
        before=_snapshot(draft),
    )
    session.delete(draft)


# -- calculating --------------------------------------------------------------------------------


def calculate_draft(
    session: Session, draft: InventoryDraft, *, monte_carlo: MonteCarlo | None = DEFAULT_RUN
) -> Calculation:
    """The draft computed as ``POST /api/v1/calculations`` computes an inventory, its component
    lines checked against their attestations (every fault of the inventory a
    :class:`CalculationError` naming its path with :data:`PREFIX`)."""
    return _compute(session, draft, monte_carlo)[0]


def _compute(
    session: Session, draft: InventoryDraft, monte_carlo: MonteCarlo | None
) -> tuple[Calculation, dict[str, Attestation]]:
    inventory = parse_draft(draft.document)
    try:
        datasets = resolve_datasets(inventory, [DatabaseDatasets(session, refuse_revoked=True)])
    except AccountingError as exc:
        raise CalculationError(exc, prefix=PREFIX) from None
    calculation = run_calculation(inventory, datasets, monte_carlo_run=monte_carlo, prefix=PREFIX)
    return calculation, check_attestations(session, inventory)


def submit_draft(
    session: Session,
    *,
    org: Organisation,
    draft: InventoryDraft,
    details: FootprintDetails,
    revision: int | None = None,
    monte_carlo: MonteCarlo | None = None,
) -> tuple[Calculation, Footprint]:
    """Calculate the draft and store the result as a footprint of ``org`` (as
    ``POST /api/v1/calculations?submit=true`` does); the draft remembers it (no commit)."""
    _check_revision(draft, revision)
    calculation, attestations = _compute(session, draft, monte_carlo)
    footprint = submit_calculation(
        session, org=org, calculation=calculation, details=details, attestations=attestations
    )
    before = _snapshot(draft)
    draft.footprint_id = footprint.id
    draft.updated_at = utcnow()
    session.add(draft)
    record_audit(
        session,
        action=f"{SUBJECT}.submit",
        subject_type=SUBJECT,
        subject_id=draft.id,
        before=before,
        after=_snapshot(draft),
    )
    return calculation, footprint
