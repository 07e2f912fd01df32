"""A label's public reads (its JSON, its bundle, its consumer page) in one statement each.

These are the reads a crowd of phones makes, every one for a different label. Each is one joined
``SELECT`` (SQLAlchemy Core, no per-row ORM loads) of the label with its ledger row, its batch,
its enterprise's registered name and its revocation request (:func:`read_label`); the bundle and
the page add one statement for the label's recognitions, each joined with its own ledger row,
batch and organisation (:func:`read_recognitions`). What they build from those rows is built by
the same functions as the ORM path builds it from models (:func:`registry.crud.labels.public_of`,
:func:`registry.records.bundles.assembled_bundle`, :func:`registry.labelview.view_of`), so the
answers are the same.

Two rarer shapes still read through the ORM, on the same connection: a label with components
(its bundle nests its supply chain of attestations) and a computed footprint (its page shows the
stage breakdown recomputed from the stored inventory).

Each read comes twice, over the same statements and the same builders: ``read_*`` and
``label_*`` on a SQLAlchemy connection (from :func:`registry.api.reads.read_with`: autocommit, no
``BEGIN`` or ``ROLLBACK`` round trips for a read), on a thread; ``fetch_*`` through a
:data:`Rows` (:meth:`registry.pg_reads.PgReads.rows`: asyncpg on the event loop, PostgreSQL's
path), with the ORM's rare shapes handed to an :class:`OnConnection` (a thread).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection, Row
from sqlmodel import Session

from anchoring.ledger import AnchorBatch, AnchoredLeaf, AnchorRecord, AnchorRevocation, leaf_of
from registry.accounting.breakdown import PageBreakdown, page_breakdown
from registry.crud import labels as label_crud
from registry.crud.attestations import label_supply_chain
from registry.crud.recognitions import (
    LABEL_RECOGNITIONS,
    RECOGNITIONS_ORDER,
    label_recognitions_params,
)
from registry.finality import state_of
from registry.labelview import LabelView, view_of
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.models.recognitions import ACTIVE, Recognition
from registry.records import RECORD_KINDS, assembled_bundle, bundle_of
from verifier.protocol.records import LABEL, RECOGNITION

__all__ = [
    "LabelPage",
    "LabelRead",
    "OnConnection",
    "RecognitionRead",
    "Rows",
    "fetch_label",
    "fetch_label_bundle",
    "fetch_label_json",
    "fetch_label_page",
    "fetch_recognitions",
    "label_bundle",
    "label_json",
    "read_label",
    "read_label_page",
    "read_recognitions",
]

T = TypeVar("T")

#: Runs a statement with its parameters and returns its rows (each with its columns as
#: attributes): :meth:`registry.pg_reads.PgReads.rows`.
Rows = Callable[[sa.Select[Any], Mapping[str, Any]], Awaitable[Sequence[Any]]]


class OnConnection(Protocol):
    """Runs ``read(connection)`` on a pooled synchronous connection (on a thread) and returns
    what it returned: :func:`registry.api.reads.read_in_thread`."""

    def __call__(self, read: Callable[[Connection], T], /) -> Awaitable[T]: ...


_LABEL = Label.__table__  # type: ignore[attr-defined]
_RECORD = AnchorRecord.__table__  # type: ignore[attr-defined]
_BATCH = AnchorBatch.__table__  # type: ignore[attr-defined]
_REVOCATION = AnchorRevocation.__table__  # type: ignore[attr-defined]
_ORG = Organisation.__table__  # type: ignore[attr-defined]
_FOOTPRINT = Footprint.__table__  # type: ignore[attr-defined]
_RECOGNITION = Recognition.__table__  # type: ignore[attr-defined]


class _Ledger(NamedTuple):
    """A record's ledger row as :func:`anchoring.ledger.leaf_of` reads it."""

    record_type: str
    record_id: str
    status: str | None
    batch_id: int | None
    leaf_value: list[str] | None
    leaf_hash: str | None
    proof: list[str] | None


class _Batch(NamedTuple):
    """A ledger batch as :func:`anchoring.ledger.leaf_of` reads it."""

    status: str | None
    root: str | None
    chain_id: int | None
    contract: str | None
    tx_hash: str | None
    block_number: int | None
    block_timestamp: int | None


def _ledger_columns(record: sa.FromClause, batch: sa.FromClause) -> list[sa.ColumnElement[Any]]:
    return [
        record.c.status.label("ledger_status"),
        record.c.batch_id.label("ledger_batch_id"),
        record.c.leaf_value.label("ledger_leaf_value"),
        record.c.leaf_hash.label("ledger_leaf_hash"),
        record.c.proof.label("ledger_proof"),
        batch.c.status.label("batch_status"),
        batch.c.root.label("batch_root"),
        batch.c.chain_id.label("batch_chain_id"),
        batch.c.contract.label("batch_contract"),
        batch.c.tx_hash.label("batch_tx_hash"),
        batch.c.block_number.label("batch_block_number"),
        batch.c.block_timestamp.label("batch_block_timestamp"),
    ]


def _ledger_join(
    table: sa.FromClause, record_type: str, key: sa.ColumnElement[Any]
) -> sa.FromClause:
    """``table`` left-joined with the ledger row of its record (``key``) and that row's batch."""
    return table.outerjoin(
        _RECORD, (_RECORD.c.record_type == record_type) & (_RECORD.c.record_id == key)
    ).outerjoin(_BATCH, _BATCH.c.id == _RECORD.c.batch_id)


def _leaf(row: Any, record_type: str, record_id: str) -> tuple[AnchoredLeaf | None, Any]:
    """The anchored leaf (``None`` unless anchored in a mined or final batch) and the ledger
    status of a joined row."""
    ledger = _Ledger(
        record_type,
        record_id,
        row.ledger_status,
        row.ledger_batch_id,
        row.ledger_leaf_value,
        row.ledger_leaf_hash,
        row.ledger_proof,
    )
    batch = None
    if row.batch_status is not None:
        batch = _Batch(
            row.batch_status,
            row.batch_root,
            row.batch_chain_id,
            row.batch_contract,
            row.batch_tx_hash,
            row.batch_block_number,
            row.batch_block_timestamp,
        )
    return leaf_of(ledger, batch), row.ledger_status


def _label_statement(*, recognitions: bool, page: bool) -> sa.Select[Any]:
    columns: list[sa.ColumnElement[Any]] = [
        *_LABEL.c,
        *_ledger_columns(_RECORD, _BATCH),
        _ORG.c.name.label("company_name"),
        _REVOCATION.c.status.label("revocation_requested"),
    ]
    joined = _ledger_join(_LABEL, LABEL, _LABEL.c.id)
    joined = joined.outerjoin(_ORG, _ORG.c.id == _LABEL.c.enterprise_org_id).outerjoin(
        _REVOCATION,
        (_REVOCATION.c.record_type == LABEL) & (_REVOCATION.c.record_id == _LABEL.c.id),
    )
    if recognitions:
        # Whether any recognition may concern the label (a superset of LABEL_RECOGNITIONS: its
        # own, or any scheme's): when none does, as for most labels, the statement of its
        # recognitions is not sent. Two lookups of the label_id index in the same statement (a
        # scheme's recognition names no label: registry.crud.recognitions.submit_recognition).
        active = _RECOGNITION.c.status == ACTIVE
        columns.append(
            sa.or_(
                sa.exists().where(_RECOGNITION.c.label_id == _LABEL.c.id, active),
                sa.exists().where(
                    _RECOGNITION.c.label_id.is_(None),
                    _RECOGNITION.c.subject_type == "scheme",
                    active,
                ),
            ).label("may_be_recognised")
        )
    if page:  # whether the footprint was computed (the page then shows its stage breakdown)
        columns.append(_FOOTPRINT.c.data["calculation"].label("calculation"))
        joined = joined.outerjoin(_FOOTPRINT, _FOOTPRINT.c.id == _LABEL.c.footprint_id)
    return sa.select(*columns).select_from(joined).where(_LABEL.c.id == sa.bindparam("label_id"))


_JSON_STATEMENT: Final = _label_statement(recognitions=False, page=False)
_BUNDLE_STATEMENT: Final = _label_statement(recognitions=True, page=False)
_PAGE_STATEMENT: Final = _label_statement(recognitions=True, page=True)


@dataclass(frozen=True, slots=True)
class LabelRead:
    """A label and what one statement read with it."""

    #: The label's columns as attributes (what :class:`Label` has).
    label: Row[Any]
    #: Its anchored leaf as the ledger holds it (served or not: :func:`registry.finality`).
    leaf: AnchoredLeaf | None
    #: Its ledger status (``None``: never queued).
    record_status: str | None
    #: Its enterprise's registered name.
    company_name: str
    #: :func:`registry.crud.labels.revocation_status`.
    revocation_status: str | None
    #: Whether its footprint was computed from a stored inventory (read for the page only).
    computed: bool = False
    #: False when no recognition can concern it (read for the bundle and the page only).
    may_be_recognised: bool = True


def _statement(*, recognitions: bool, page: bool) -> sa.Select[Any]:
    return _PAGE_STATEMENT if page else _BUNDLE_STATEMENT if recognitions else _JSON_STATEMENT


def _label_read(row: Any, *, recognitions: bool, page: bool) -> LabelRead:
    leaf, status = _leaf(row, LABEL, row.id)
    assert row.company_name is not None  # foreign key
    return LabelRead(
        label=row,
        leaf=leaf,
        record_status=status,
        company_name=row.company_name,
        revocation_status=label_crud.revocation_state(
            row.revocation_reason, row.revocation_requested
        ),
        computed=bool(row.calculation) if page else False,
        may_be_recognised=bool(row.may_be_recognised) if page or recognitions else True,
    )


def read_label(
    conn: Connection, label_id: str, *, recognitions: bool = False, page: bool = False
) -> LabelRead | None:
    """Label ``label_id`` with its ledger row, batch, enterprise name and revocation request,
    in one statement (``recognitions``: and whether any recognition may concern it; ``page``:
    that, and whether its footprint was computed); ``None`` if there is no such label."""
    statement = _statement(recognitions=recognitions, page=page)
    row = conn.execute(statement, {"label_id": label_id}).first()
    return None if row is None else _label_read(row, recognitions=recognitions, page=page)


async def fetch_label(
    rows: Rows, label_id: str, *, recognitions: bool = False, page: bool = False
) -> LabelRead | None:
    """:func:`read_label` through ``rows`` (:meth:`registry.pg_reads.PgReads.rows`)."""
    found = await rows(_statement(recognitions=recognitions, page=page), {"label_id": label_id})
    return _label_read(found[0], recognitions=recognitions, page=page) if found else None


@dataclass(frozen=True, slots=True)
class RecognitionRead:
    """An active recognition of a label, with its anchored leaf and its organisation's name."""

    #: The recognition's columns as attributes (what :class:`Recognition` has): a result row.
    recognition: Any
    leaf: AnchoredLeaf | None
    org_name: str | None


_RECOGNITIONS_STATEMENT: Final = (
    sa.select(*_RECOGNITION.c, *_ledger_columns(_RECORD, _BATCH), _ORG.c.name.label("org"))
    .select_from(
        _ledger_join(_RECOGNITION, RECOGNITION, _RECOGNITION.c.id).outerjoin(
            _ORG, _ORG.c.id == _RECOGNITION.c.org_id
        )
    )
    .where(LABEL_RECOGNITIONS)
    .order_by(*RECOGNITIONS_ORDER)
)


def _recognition_reads(rows: Iterable[Any]) -> list[RecognitionRead]:
    reads = []
    for row in rows:
        leaf, _ = _leaf(row, RECOGNITION, row.id)
        reads.append(RecognitionRead(recognition=row, leaf=leaf, org_name=row.org))
    return reads


def read_recognitions(conn: Connection, read: LabelRead) -> list[RecognitionRead]:
    """The active recognitions of the label ``read`` (:func:`registry.crud.recognitions.
    recognitions_of_label`, in its order), each with its leaf and organisation, in one
    statement (none when the label's own statement found none can concern it)."""
    if not read.may_be_recognised:
        return []
    params = label_recognitions_params(read.label.id, read.label.record)
    return _recognition_reads(conn.execute(_RECOGNITIONS_STATEMENT, params))


async def fetch_recognitions(rows: Rows, read: LabelRead) -> list[RecognitionRead]:
    """:func:`read_recognitions` through ``rows``."""
    if not read.may_be_recognised:
        return []
    params = label_recognitions_params(read.label.id, read.label.record)
    return _recognition_reads(await rows(_RECOGNITIONS_STATEMENT, params))


def _found(read: LabelRead | None, label_id: str) -> LabelRead:
    if read is None:
        raise label_crud.no_such_label(label_id)
    return read


def _json_of(read: LabelRead, base_url: str) -> bytes:
    anchor_status, finality = state_of(read.leaf, read.record_status)
    public = label_crud.public_of(
        read.label,
        anchor_status=anchor_status,
        finality=finality,
        revocation_status=read.revocation_status,
        base_url=base_url,
    )
    return public.model_dump_json().encode()


def label_json(conn: Connection, label_id: str, *, base_url: str) -> bytes:
    """``GET /api/v1/labels/{id}``'s body (:func:`registry.crud.labels.to_public`), encoded;
    raises ``NotFoundError``."""
    return _json_of(_found(read_label(conn, label_id), label_id), base_url)


async def fetch_label_json(rows: Rows, label_id: str, *, base_url: str) -> bytes:
    """:func:`label_json` through ``rows``."""
    return _json_of(_found(await fetch_label(rows, label_id), label_id), base_url)


def _nests_supply_chain(read: LabelRead) -> bool:
    """Whether the label's bundle nests its supply chain of attestations with their upstream
    hops (a label with components), which the ORM path reads (:func:`_orm_bundle`)."""
    return bool(read.label.record.get("components"))


def _orm_bundle(conn: Connection, label_id: str, hide: frozenset[str]) -> dict[str, Any]:
    with Session(bind=conn) as session:
        return bundle_of(
            session, LABEL, label_crud.get_label(session, label_id=label_id), hide=hide
        )


def _bundle_of(
    read: LabelRead, recognitions: list[RecognitionRead], hide: frozenset[str]
) -> dict[str, Any]:
    # A recognition still waiting for its anchor is left out (registry.records.labels.nested).
    recognition_kind = RECORD_KINDS[RECOGNITION]
    nested = [
        assembled_bundle(recognition_kind, r.recognition, r.leaf, hide, {})
        for r in recognitions
        if r.leaf is not None
    ]
    return assembled_bundle(
        RECORD_KINDS[LABEL],
        read.label,
        read.leaf,
        hide,
        {"attestations": [], "recognitions": nested},
    )


def label_bundle(
    conn: Connection, label_id: str, *, hide: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The label's ``tanji-bundle/1`` (:func:`registry.records.bundle_of`); raises
    ``NotFoundError`` and what ``bundle_of`` raises."""
    read = _found(read_label(conn, label_id, recognitions=True), label_id)
    if _nests_supply_chain(read):
        return _orm_bundle(conn, label_id, hide)
    return _bundle_of(read, read_recognitions(conn, read), hide)


async def fetch_label_bundle(
    rows: Rows, on_connection: OnConnection, label_id: str, *, hide: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """:func:`label_bundle` through ``rows``; a label nesting its supply chain is read
    through ``on_connection`` (the ORM path, on a thread)."""
    read = _found(await fetch_label(rows, label_id, recognitions=True), label_id)
    if _nests_supply_chain(read):
        return await on_connection(lambda conn: _orm_bundle(conn, label_id, hide))
    return _bundle_of(read, await fetch_recognitions(rows, read), hide)


@dataclass(frozen=True, slots=True)
class LabelPage:
    """What the consumer page of a label shows, read before rendering starts."""

    view: LabelView
    label: Row[Any]
    #: :func:`registry.crud.attestations.label_supply_chain`.
    supply_chain: list[dict[str, Any]]
    #: :func:`registry.accounting.breakdown.page_breakdown`.
    breakdown: PageBreakdown | None
    #: Every active recognition with its organisation's name (``None``: no such organisation).
    recognitions: list[tuple[Any, str | None]]


def _orm_page_parts(
    conn: Connection, read: LabelRead
) -> tuple[list[dict[str, Any]], PageBreakdown | None]:
    """The page's supply chain and stage breakdown, which the ORM path reads (none for a label
    without components whose footprint was not computed)."""
    if not (read.label.record.get("components") or read.computed):
        return [], None
    with Session(bind=conn) as session:
        supply_chain = label_supply_chain(session, read.label.record)
        breakdown = page_breakdown(session, read.label.footprint_id) if read.computed else None
    return supply_chain, breakdown


def _page_of(
    read: LabelRead,
    parts: tuple[list[dict[str, Any]], PageBreakdown | None],
    recognitions: list[RecognitionRead],
    base_url: str,
) -> LabelPage:
    label = read.label
    view = view_of(
        label,
        leaf=read.leaf,
        record_status=read.record_status,
        company_name=read.company_name,
        base_url=base_url,
    )
    return LabelPage(
        view=view,
        label=label,
        supply_chain=parts[0],
        breakdown=parts[1],
        recognitions=[(r.recognition, r.org_name) for r in recognitions],
    )


def read_label_page(conn: Connection, label_id: str, *, base_url: str) -> LabelPage | None:
    """The consumer page's reads of label ``label_id``; ``None`` when there is no such label."""
    read = read_label(conn, label_id, page=True)
    if read is None:
        return None
    parts = _orm_page_parts(conn, read)
    return _page_of(read, parts, read_recognitions(conn, read), base_url)


async def fetch_label_page(
    rows: Rows, on_connection: OnConnection, label_id: str, *, base_url: str
) -> LabelPage | None:
    """:func:`read_label_page` through ``rows`` (the ORM's parts through ``on_connection``)."""
    read = await fetch_label(rows, label_id, page=True)
    if read is None:
        return None
    parts: tuple[list[dict[str, Any]], PageBreakdown | None] = ([], None)
    if read.label.record.get("components") or read.computed:
        parts = await on_connection(lambda conn: _orm_page_parts(conn, read))
    return _page_of(read, parts, await fetch_recognitions(rows, read), base_url)
