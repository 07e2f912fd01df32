"""Bundles of every record kind, built in one place from the table of record kinds.

A record's ``tanji-bundle/1`` is :func:`anchoring.bundle.build_bundle` over its kind's record and
salt and the leaf the ledger anchored (none yet: the bundle is pending), carrying the bundles of
the rows its kind nests, each built by the kind of its list in turn: a label's components'
attestations with their upstream hops, and its anchored recognitions. ``hide`` redacts the named
fields in every record of the bundle that has them (selective disclosure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlmodel import Session

from anchoring import ledger
from anchoring.bundle import build_bundle
from registry.errors import InvalidInputError
from registry.finality import served_leaf
from registry.records.kind import RecordKind
from registry.records.table import RECORD_KINDS
from verifier.protocol.records import MAX_DEPTH, NESTED_RECORD_TYPES, REQUIRED_FIELDS

#: The ``status`` of a bundle whose record is not anchored yet (no proof, no anchor).
PENDING: Final = "pending"


class NestingError(InvalidInputError):
    """Bundles that would nest in a cycle (``cycle``) or deeper than the protocol's
    :data:`~verifier.protocol.records.MAX_DEPTH` (``too_deep``): a corrupted database must
    neither hang bundle building nor make a bundle that no verifier parses."""


def bundle_of(
    session: Session, record_type: str, row: Any, *, hide: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The ``tanji-bundle/1`` of ``row``, a record of ``record_type``, with its nested bundles.

    Pending (no proof) until the record is anchored. Raises ``KeyError`` for a record type the
    table does not hold, :class:`NestingError`, and whatever a kind's ``nested`` raises (an
    upstream attestation missing: ``NotFoundError``).
    """
    return _build(session, RECORD_KINDS[record_type], row, hide, ())


def anchored_bundle(session: Session, record_type: str, row: Any) -> dict[str, Any] | None:
    """The record's bundle once it is anchored, else ``None`` (a PACT export carries no proof)."""
    bundle = bundle_of(session, record_type, row)
    return None if bundle.get("status") == PENDING else bundle


def _build(
    session: Session,
    kind: RecordKind[Any],
    row: Any,
    hide: frozenset[str],
    path: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    here = (kind.record_type, kind.record_id(row))
    if here in path:
        raise NestingError(
            f"{here[0]} {here[1]} nests itself",
            code="cycle",
            details=[{"path": [list(p) for p in (*path, here)]}],
        )
    if len(path) >= MAX_DEPTH:
        raise NestingError(
            f"bundles would nest deeper than {MAX_DEPTH} levels",
            code="too_deep",
            details=[{"path": [list(p) for p in (*path, here)]}],
        )
    nested: dict[str, list[dict[str, Any]]] = {}
    for name, rows in (kind.nested(session, row) if kind.nested else {}).items():
        inner = RECORD_KINDS.nested_kind(name)
        nested[name] = [_build(session, inner, r, hide, (*path, here)) for r in rows]
    leaf = ledger.anchored_leaf(session, record_type=here[0], record_id=here[1])
    return assembled_bundle(kind, row, leaf, hide, nested)


def assembled_bundle(
    kind: RecordKind[Any],
    row: Any,
    leaf: ledger.AnchoredLeaf | None,
    hide: frozenset[str],
    nested: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, Any]:
    """The bundle of ``row`` (a record of ``kind``: its model or any row with its columns as
    attributes) given its anchored leaf as the ledger holds it and its nested bundles, built
    already (a read that joined them all in one statement builds bundles with this)."""
    record = kind.record(row)
    # A mined batch's proof is served only while its block is on the chain (registry.finality).
    served, finality = served_leaf(leaf)
    return build_bundle(
        record=record,
        salt=kind.salt_bytes(row),
        leaf=served,
        disclose=disclose_for(record, hide),
        attestations=nested.get("attestations", ()),
        recognitions=nested.get("recognitions", ()),
        finality=None if finality is None else finality.as_json(),
    )


def disclose_for(record: Mapping[str, Any], hide: frozenset[str]) -> list[str] | None:
    """The ``disclose`` argument of ``build_bundle`` for ``record`` (None: disclose all)."""
    if not hide & set(record):
        return None
    return [name for name in record if name not in hide]


def parse_hide(value: str | None) -> frozenset[str]:
    """``?hide=a,b`` → the field names to hide; ``type`` and ``id`` cannot be hidden."""
    names = frozenset(n.strip() for n in (value or "").split(",") if n.strip())
    fixed = names & set(REQUIRED_FIELDS)
    if fixed:
        raise InvalidInputError(
            f"{', '.join(sorted(fixed))} cannot be hidden: the leaf value shows them",
            code="cannot_hide",
            field="query.hide",
        )
    return names


def check_hidden(bundle: Mapping[str, Any], hide: frozenset[str]) -> None:
    """Refuse ``hide`` names that hid nothing anywhere in ``bundle`` (``unknown_field``).

    A misspelt name (``suppliername``) must not publish the field its author meant to hide.
    """
    found: set[str] = set()

    def walk(b: Mapping[str, Any]) -> None:
        found.update((b.get("disclosure") or {}).get("hidden", {}))
        for name in NESTED_RECORD_TYPES:
            for nested in b.get(name, ()):
                walk(nested)

    walk(bundle)
    unknown = sorted(hide - found)
    if unknown:
        raise InvalidInputError(
            f"no record in this bundle has {', '.join(unknown)}: nothing would be hidden",
            code="unknown_field",
            field="query.hide",
        )
