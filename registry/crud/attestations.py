"""Supplier attestations: intake (one or in bulk), supply-chain trees, revocation.

Intake checks each item on its own and answers per item with a code: the message (the verifier's
rules), the signature (recovered with libsecp256k1 and compared with ``message.supplier``), the
signing key (registered, in force now), expiry, replay (one nonce per supplier), the unit, and
the upstream references (stored or earlier in the same request, not revoked, chain not too deep).
The valid ones are stored with their ledger rows in the caller's transaction, so they go through
the same anchoring batches as footprints and labels.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anchoring import ledger
from anchoring.errors import LedgerError
from registry.audit import record_audit, record_audit_many
from registry.catalogue import UNITS
from registry.crud.suppliers import not_in_force
from registry.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from registry.ids import new_master_salt
from registry.models.attestations import (
    ACTIVE,
    MAX_CHAIN_DEPTH,
    REVOKED,
    Attestation,
    AttestationItemResult,
    AttestationPublic,
    AttestationPush,
)
from registry.models.labels import Label
from registry.models.orgs import Organisation, OrgRole
from registry.models.suppliers import SupplierKey
from registry.validation import validation_error_details
from verifier.errors import AttestationError
from verifier.protocol.attestation import (
    ATTESTATION,
    RECORD_TYPE,
    validate_attestation,
)
from verifier.protocol.eip712 import domain
from verifier.protocol.leaf import record_leaf_value
from verifier.protocol.signature import recover_address, signature_bytes

#: Declared units an attestation may use: the catalogue's, plus common component measures.
ATTESTATION_UNITS: Final = frozenset(UNITS) | {"g", "m2", "m3", "L", "MJ"}
_CHUNK: Final = 500


class SupplyChainError(InvalidInputError):
    """A supply chain that cannot be accepted (``cycle``, ``too_deep``)."""


@dataclass
class _Candidate:
    index: int
    message: dict[str, Any]
    signature: bytes
    digest: str
    signer: str


def eip712_description(*, chain_id: int, contract: str) -> dict[str, Any]:
    """What a signer needs to sign an attestation: ``domain``, ``types`` and ``primaryType`` as
    ethers' ``signTypedData`` takes them, and ``wallet``, the ``eth_signTypedData_v4`` form
    (:func:`verifier.protocol.eip712.signing_description`)."""
    return ATTESTATION.signing_description(chain_id=chain_id, contract=contract)


def _error(index: int, code: str, message: str, field: str | None) -> AttestationItemResult:
    return AttestationItemResult(
        index=index, status="error", error={"code": code, "message": message, "field": field}
    )


def _parse(
    index: int, raw: Any, *, chain_id: int, contract: str, now: int
) -> _Candidate | AttestationItemResult:
    """Checks that need no database: shape, domain, message, unit, signature."""
    try:
        item = AttestationPush.model_validate(raw)
    except ValidationError as exc:
        first = validation_error_details(exc.errors())[0]
        return _error(index, first["code"], first["message"], first["field"])
    try:
        if item.domain is not None:
            try:
                theirs = domain(
                    chain_id=item.domain["chainId"], contract=item.domain["verifyingContract"]
                )
            except (AttestationError, KeyError):
                theirs = {}
            if item.domain != theirs or theirs != domain(chain_id=chain_id, contract=contract):
                return _error(
                    index,
                    "wrong_domain",
                    "the domain is not this registry's (GET /api/v1/attestations/eip712)",
                    "domain",
                )
        message = validate_attestation(item.message, now=now)
        if message["declaredUnit"] not in ATTESTATION_UNITS:
            return _error(
                index,
                "unknown_unit",
                f"declaredUnit {message['declaredUnit']!r} is not one of "
                f"{', '.join(sorted(ATTESTATION_UNITS))}",
                "message.declaredUnit",
            )
        digest = ATTESTATION.digest_of_normal(message, chain_id=chain_id, contract=contract)
        raw_signature = signature_bytes(item.signature)
        signer = recover_address(digest, raw_signature)
    except AttestationError as exc:
        return _error(index, exc.code or "invalid_attestation", str(exc), exc.field)
    if signer != message["supplier"]:
        return _error(
            index,
            "signer_mismatch",
            f"the signature recovers {signer}, not message.supplier {message['supplier']}: "
            "it was made by another key or over other data",
            "signature",
        )
    return _Candidate(index, message, raw_signature, "0x" + digest.hex(), signer)


def _chunks(values: Collection[str]) -> Iterable[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


@dataclass
class _Known:
    """What is already stored, or admitted earlier in the same request, that one push checks."""

    keys: dict[str, SupplierKey]  # address -> key, for every signer of the request
    ids: set[str]
    nonces: set[tuple[str, str]]  # (supplier org id, nonce)
    upstream: dict[str, tuple[str, int]]  # id -> (status, depth) of each upstream cited
    units: dict[tuple[str, str], str]  # (supplier org id, component id) -> declared unit
    names: dict[str, str]  # supplier org id -> name

    def admit(self, c: _Candidate, org_id: str, depth: int) -> None:
        """Later items of the same request may cite ``c``, and may not repeat it."""
        self.ids.add(c.digest)
        self.nonces.add((org_id, c.message["nonce"]))
        self.upstream[c.digest] = (ACTIVE, depth)
        self.units.setdefault((org_id, c.message["componentId"]), c.message["declaredUnit"])


def _stored_ids(session: Session, ids: Collection[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(session.exec(select(Attestation.id).where(col(Attestation.id).in_(chunk))))
    return found


def _used_nonces(session: Session, nonces: Collection[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for chunk in _chunks(nonces):
        query = select(Attestation.supplier_org_id, Attestation.nonce)
        found.update(
            (pair[0], pair[1])
            for pair in session.exec(query.where(col(Attestation.nonce).in_(chunk)))
        )
    return found


def _stored_upstream(session: Session, ids: Collection[str]) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for chunk in _chunks(ids):
        query = select(Attestation.id, Attestation.status, Attestation.depth)
        for ref in session.exec(query.where(col(Attestation.id).in_(chunk))):
            found[ref[0]] = (ref[1], ref[2])
    return found


def _declared_units(session: Session, components: Collection[str]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for chunk in _chunks(components):
        query = select(
            Attestation.supplier_org_id, Attestation.component_id, Attestation.declared_unit
        )
        for row in session.exec(query.where(col(Attestation.component_id).in_(chunk))):
            found[(row[0], row[1])] = row[2]
    return found


def _lookup(session: Session, candidates: Sequence[_Candidate]) -> _Known:
    """Everything the database checks of ``candidates`` need, in a few chunked queries."""
    keys = _by_address(session, {c.signer for c in candidates})
    org_ids = {k.org_id for k in keys.values()}
    return _Known(
        keys=keys,
        ids=_stored_ids(session, {c.digest for c in candidates}),
        nonces=_used_nonces(session, {c.message["nonce"] for c in candidates}),
        upstream=_stored_upstream(session, {u for c in candidates for u in c.message["upstream"]}),
        units=_declared_units(session, {c.message["componentId"] for c in candidates}),
        names={
            o.id: o.name
            for o in session.exec(select(Organisation).where(col(Organisation.id).in_(org_ids)))
        },
    )


def _new_row(
    c: _Candidate,
    known: _Known,
    *,
    pushed_by: str,
    chain_id: int,
    verifying_contract: str,
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    """The ``attestation`` row of an admitted item (its record salted) and its leaf value."""
    key = known.keys[c.signer]
    m = c.message
    record = {
        "type": RECORD_TYPE,
        "id": c.digest,
        "chainId": chain_id,
        "verifyingContract": verifying_contract,
        "message": m,
        "signature": "0x" + c.signature.hex(),
        "signer": c.signer,
        "supplierName": known.names[key.org_id],
    }
    salt = new_master_salt()
    row = {
        "id": c.digest,
        "supplier_org_id": key.org_id,
        "signer": c.signer,
        "pushed_by_org_id": pushed_by,
        "component_id": m["componentId"],
        "product_id": m["productId"],
        "declared_unit": m["declaredUnit"],
        "kg_co2e_per_unit": m["kgCo2ePerUnit"],
        "nonce": m["nonce"],
        "expiry": m["expiry"],
        "upstream": m["upstream"],
        "depth": 1 + max((known.upstream[u][1] for u in m["upstream"]), default=0),
        "status": ACTIVE,
        "revocation_reason": None,
        "record": record,
        "master_salt": "0x" + salt.hex(),
        "received_at": now,
    }
    return row, record_leaf_value(record, salt)


def _store(
    session: Session, rows: list[dict[str, Any]], leaves: list[tuple[str, str, list[str]]]
) -> None:
    """Insert the admitted rows and their ledger rows, and audit them (no commit)."""
    # Multi-row inserts: a per-row ORM flush (ledger.enqueue) is ~10x slower in bulk.
    # These are new records (ids checked above), so enqueue's conflict check cannot apply.
    try:
        session.execute(sa.insert(Attestation), rows)
        ledger.enqueue_new(session, leaves)
    except IntegrityError:
        # Another request stored one of these (same id or nonce) after our checks; nothing
        # of this request is kept (the caller's transaction rolls back) and a retry answers
        # per item.
        raise ConflictError(
            "another request stored some of these attestations at the same time; retry",
            code="concurrent_push",
        ) from None
    record_audit_many(
        session,
        action="attestation.push",
        subject_type=RECORD_TYPE,
        changes=[(row["id"], None, audit_snapshot(row)) for row in rows],
    )


def push(
    session: Session,
    *,
    org: Organisation,
    items: Sequence[Any],
    chain_id: int,
    contract: str,
    now: datetime,
) -> list[AttestationItemResult]:
    """Check each item and add the valid, new ones with their ledger rows (no commit).

    ``now`` is the intake time: expiry and key validity are judged at it. Items already stored
    (the same signed statement: the id is its digest) are ``duplicate``; nothing of an invalid
    item is added.
    """
    now_unix = int(now.timestamp())
    results: dict[int, AttestationItemResult] = {}
    candidates: list[_Candidate] = []
    for index, raw in enumerate(items):
        parsed = _parse(index, raw, chain_id=chain_id, contract=contract, now=now_unix)
        if isinstance(parsed, _Candidate):
            candidates.append(parsed)
        else:
            results[index] = parsed

    known = _lookup(session, candidates)
    verifying_contract = domain(chain_id=chain_id, contract=contract)["verifyingContract"]
    rows: list[dict[str, Any]] = []
    leaves: list[tuple[str, str, list[str]]] = []
    for c in candidates:
        outcome = _admit(c, known.keys, known.ids, known.nonces, known.upstream, known.units, now)
        if outcome is not None:
            results[c.index] = outcome
            continue
        row, leaf_value = _new_row(
            c,
            known,
            pushed_by=org.id,
            chain_id=chain_id,
            verifying_contract=verifying_contract,
            now=now,
        )
        rows.append(row)
        leaves.append((RECORD_TYPE, c.digest, leaf_value))
        known.admit(c, row["supplier_org_id"], row["depth"])
        results[c.index] = AttestationItemResult(index=c.index, status="created", id=c.digest)
    if rows:
        _store(session, rows, leaves)
    return [results[i] for i in sorted(results)]


def audit_snapshot(attestation: dict[str, Any] | Attestation) -> dict[str, Any]:
    """An attestation's state as its audit entries commit to it (the id is its signed digest)."""
    names = ("id", "supplier_org_id", "signer", "pushed_by_org_id", "status", "revocation_reason")
    if isinstance(attestation, dict):
        return {name: attestation[name] for name in names}
    return {name: getattr(attestation, name) for name in names}


def _admit(
    c: _Candidate,
    keys: Mapping[str, SupplierKey],
    known_ids: set[str],
    used_nonces: set[tuple[str, str]],
    upstream: Mapping[str, tuple[str, int]],
    units: Mapping[tuple[str, str], str],
    now: datetime,
) -> AttestationItemResult | None:
    """The database checks of one parsed item; ``None`` when it is admitted."""
    key = keys.get(c.signer)
    if key is None:
        return _error(
            c.index,
            "unknown_key",
            f"{c.signer} is not a registered supplier key",
            "message.supplier",
        )
    refused = not_in_force(key, at=now, field="message.supplier")
    if refused is not None:
        return _error(c.index, refused.code, refused.message, refused.field)
    if c.digest in known_ids:
        return AttestationItemResult(index=c.index, status="duplicate", id=c.digest)
    m = c.message
    if (key.org_id, m["nonce"]) in used_nonces:
        return _error(
            c.index,
            "replayed_nonce",
            "this supplier already used this nonce for another attestation",
            "message.nonce",
        )
    unit = units.get((key.org_id, m["componentId"]))
    if unit is not None and unit != m["declaredUnit"]:
        return _error(
            c.index,
            "unit_mismatch",
            f"this supplier declares {m['componentId']} per {unit!r}, not {m['declaredUnit']!r}",
            "message.declaredUnit",
        )
    for i, ref in enumerate(m["upstream"]):
        found = upstream.get(ref)
        if found is None:
            return _error(
                c.index,
                "unknown_upstream",
                f"upstream attestation {ref} is not in the registry",
                f"message.upstream[{i}]",
            )
        if found[0] != ACTIVE:
            return _error(
                c.index,
                "upstream_revoked",
                f"upstream attestation {ref} was revoked",
                f"message.upstream[{i}]",
            )
        if found[1] + 1 > MAX_CHAIN_DEPTH:
            return _error(
                c.index,
                "too_deep",
                f"the supply chain would be deeper than {MAX_CHAIN_DEPTH} attestations",
                f"message.upstream[{i}]",
            )
    return None


def _by_address(session: Session, addresses: Collection[str]) -> dict[str, SupplierKey]:
    found: dict[str, SupplierKey] = {}
    for chunk in _chunks(addresses):
        for key in session.exec(
            select(SupplierKey).where(col(SupplierKey.address).in_(chunk))
        ).all():
            found[key.address] = key
    return found


# --- supply-chain trees -------------------------------------------------------------------


def check_tree(
    roots: Sequence[str], children: Callable[[str], Sequence[str]], *, max_depth: int
) -> None:
    """Walk a supply chain from ``roots`` (depth 1); raise on a cycle or a chain too deep.

    Raises :class:`SupplyChainError` with code ``cycle`` or ``too_deep``. Attestation ids are
    digests over their upstream ids, so a cycle cannot be signed; the walk still refuses one
    rather than trusting that (a corrupted database must not hang bundle building).
    """

    def visit(node: str, depth: int, path: tuple[str, ...]) -> None:
        if node in path:
            raise SupplyChainError(
                f"the supply chain has a cycle through {node}",
                code="cycle",
                field="components",
                details=[{"path": [*path, node]}],
            )
        if depth > max_depth:
            raise SupplyChainError(
                f"the supply chain is deeper than {max_depth} attestations",
                code="too_deep",
                field="components",
                details=[{"path": [*path, node]}],
            )
        if (node, depth) in done_depths:
            return
        for child in children(node):
            visit(child, depth + 1, (*path, node))
        done_depths.add((node, depth))

    done_depths: set[tuple[str, int]] = set()
    for root in roots:
        visit(root, 1, ())


def load_tree(session: Session, roots: Iterable[str]) -> dict[str, Attestation]:
    """Every stored attestation reachable from ``roots`` through ``upstream`` (level by level)."""
    found: dict[str, Attestation] = {}
    frontier = set(roots)
    for _ in range(MAX_CHAIN_DEPTH + 2):  # bounded even if a cycle slipped in
        frontier -= set(found)
        if not frontier:
            break
        for chunk in _chunks(frontier):
            for row in session.exec(select(Attestation).where(col(Attestation.id).in_(chunk))):
                found[row.id] = row
        frontier = {u for a in found.values() for u in a.upstream}
    return found


def check_footprint_components(session: Session, data: dict[str, Any]) -> None:
    """Check a footprint's ``components`` (see :func:`check_components`); drop the member if None.

    A footprint without components keeps exactly the fields it had before components existed.
    """
    if data.get("components") is None:
        data.pop("components", None)
        return
    check_components(session, data["components"])


def check_components(session: Session, components: Sequence[Mapping[str, Any]]) -> None:
    """Check a footprint's components against their attestations (raises InvalidInputError).

    Each attestation must exist (``unknown_attestation``), not be revoked
    (``attestation_revoked``), be about the same component (``component_mismatch``) in the same
    unit (``unit_mismatch``); the whole chain must be acyclic (``cycle``) and at most
    ``MAX_CHAIN_DEPTH`` attestations deep below the footprint (``too_deep``).
    """
    if not components:
        return
    tree = load_tree(session, [c["attestation_id"] for c in components])
    for i, component in enumerate(components):
        field = f"components[{i}]"
        found = tree.get(component["attestation_id"])
        if found is None:
            raise InvalidInputError(
                f"attestation {component['attestation_id']} is not in the registry",
                code="unknown_attestation",
                field=f"{field}.attestation_id",
            )
        if found.status != ACTIVE:
            raise InvalidInputError(
                f"attestation {found.id} was revoked",
                code="attestation_revoked",
                field=f"{field}.attestation_id",
            )
        if found.component_id != component["component_id"]:
            raise InvalidInputError(
                f"attestation {found.id} is about {found.component_id!r}, "
                f"not {component['component_id']!r}",
                code="component_mismatch",
                field=f"{field}.component_id",
            )
        if found.declared_unit != component["unit"]:
            raise InvalidInputError(
                f"attestation {found.id} declares its footprint per {found.declared_unit!r}; "
                f"the component's quantity is in {component['unit']!r}",
                code="unit_mismatch",
                field=f"{field}.unit",
            )

    def children(node: str) -> Sequence[str]:
        row = tree.get(node)
        return [] if row is None else row.upstream

    check_tree([c["attestation_id"] for c in components], children, max_depth=MAX_CHAIN_DEPTH)


# --- reading, supply chains, revocation ----------------------------------------------------


def get_attestation(session: Session, *, attestation_id: str) -> Attestation:
    """An attestation by id (raises :class:`NotFoundError`)."""
    found = session.get(Attestation, attestation_id.lower())
    if found is None:
        raise NotFoundError(f"attestation {attestation_id} does not exist", field="attestation_id")
    return found


def check_reader(attestation: Attestation, org: Organisation) -> None:
    """Enterprises read the attestations they pushed or signed; certifiers and admins all."""
    if org.role in (OrgRole.CERTIFICATION_BODY, OrgRole.ADMIN):
        return
    if org.id in (attestation.pushed_by_org_id, attestation.supplier_org_id):
        return
    raise PermissionDeniedError(
        f"attestation {attestation.id} was pushed by another organisation",
        code="forbidden_org",
        field="attestation_id",
    )


def to_public(session: Session, attestation: Attestation) -> AttestationPublic:
    """The API view of an attestation (the master salt never leaves through it)."""
    return AttestationPublic(
        id=attestation.id,
        supplier_org_id=attestation.supplier_org_id,
        supplier_name=attestation.record.get("supplierName"),
        signer=attestation.signer,
        pushed_by_org_id=attestation.pushed_by_org_id,
        component_id=attestation.component_id,
        product_id=attestation.product_id,
        declared_unit=attestation.declared_unit,
        kg_co2e_per_unit=attestation.kg_co2e_per_unit,
        upstream=list(attestation.upstream),
        depth=attestation.depth,
        status=attestation.status,
        anchor_status=ledger.record_status(
            session, record_type=RECORD_TYPE, record_id=attestation.id
        ),
        record=attestation.record,
        received_at=attestation.received_at,
    )


def supply_chain(session: Session, ids: Sequence[str]) -> list[Attestation]:
    """The attestations ``ids`` name, in order, after loading and checking their whole chain.

    The chain must be acyclic and at most ``MAX_CHAIN_DEPTH`` attestations deep below the label
    (:class:`SupplyChainError`); a missing one is :class:`NotFoundError`. Loaded level by level,
    the upstream rows are in the session when their own bundles are built.
    """
    tree = load_tree(session, ids)

    def children(node: str) -> Sequence[str]:
        row = tree.get(node)
        return [] if row is None else row.upstream

    check_tree(ids, children, max_depth=MAX_CHAIN_DEPTH)
    for node in ids:
        if node not in tree:
            raise NotFoundError(f"attestation {node} does not exist", field="attestation_id")
    return [tree[node] for node in ids]


def may_revoke(session: Session, *, attestation: Attestation, org: Organisation) -> bool:
    """Who may withdraw an attestation: its signer, or the certification body of its scheme.

    The signer is the supplier organisation owning the signing key (``supplier_org_id``). An
    attestation names no certification scheme of its own: it enters one when a footprint cites
    it (directly, or upstream of a cited attestation) and a certification body labels that
    footprint under its label scheme. That body, having relied on it, may withdraw it too (an
    audit found it false). The enterprise that merely pushed it may not: pushing is delivery.
    """
    if org.id == attestation.supplier_org_id:
        return True
    if org.role != OrgRole.CERTIFICATION_BODY:
        return False
    cited = _downstream(session, attestation.id)
    return bool(_labels_citing(session, certifier_org_id=org.id, attestation_ids=cited))


def _json_mentions(column: Any, ids: Collection[str]) -> Any:
    """Rows whose JSON ``column`` mentions one of ``ids`` (hex digests: no LIKE wildcards);
    a pre-filter, each hit is checked in Python."""
    text = sa.cast(column, sa.String)
    return sa.or_(*(text.like(f"%{i}%") for i in ids))


def _downstream(session: Session, attestation_id: str) -> set[str]:
    """``attestation_id`` and every attestation resting on it through ``upstream`` links."""
    found = {attestation_id}
    frontier = {attestation_id}
    for _ in range(MAX_CHAIN_DEPTH):
        if not frontier:
            break
        rows = session.exec(
            select(Attestation).where(_json_mentions(Attestation.upstream, frontier))
        ).all()
        frontier = {row.id for row in rows if frontier & set(row.upstream)} - found
        found |= frontier
    return found


def _labels_citing(session: Session, *, certifier_org_id: str, attestation_ids: set[str]) -> bool:
    """Whether the certification body issued a label whose components cite one of the ids."""
    for chunk in _chunks(attestation_ids):
        rows = session.exec(
            select(Label).where(
                Label.certifier_org_id == certifier_org_id,
                _json_mentions(Label.record, chunk),
            )
        ).all()
        for label in rows:
            components = label.record.get("components") or []
            if any(c.get("attestation_id") in attestation_ids for c in components):
                return True
    return False


def revoke_attestation(
    session: Session, *, attestation: Attestation, org: Organisation, reason: int
) -> Attestation:
    """Withdraw an attestation, on chain once anchored (see :func:`may_revoke` for who may).

    One still waiting for its batch is revoked on chain right after it is anchored (the
    revocation sweep, :mod:`registry.records.sweeps`); the registry reports it revoked at once.
    """
    if not may_revoke(session, attestation=attestation, org=org):
        raise PermissionDeniedError(
            "only the supplier that signed an attestation (the organisation of its signing "
            "key), or a certification body that labelled a product resting on it, may revoke it",
            code="not_signer",
            field="attestation_id",
        )
    if attestation.status != ACTIVE:
        raise ConflictError(
            f"attestation {attestation.id} is already revoked",
            code="already_revoked",
            field="attestation_id",
        )
    try:
        ledger.request_revocation(
            session, record_type=RECORD_TYPE, record_id=attestation.id, reason=reason
        )
    except LedgerError as exc:
        if exc.code != "not_anchored":
            raise ConflictError(str(exc), code=exc.code, field="attestation_id") from None
    before = audit_snapshot(attestation)
    attestation.status = REVOKED
    attestation.revocation_reason = reason
    session.add(attestation)
    record_audit(
        session,
        action="attestation.revoke",
        subject_type=RECORD_TYPE,
        subject_id=attestation.id,
        before=before,
        after=audit_snapshot(attestation),
    )
    return attestation


def tree_view(session: Session, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The supply-chain tree for display: supplier, component, value, unit, status, upstream."""
    tree = load_tree(session, ids)

    def node(node_id: str, depth: int) -> dict[str, Any]:
        row = tree.get(node_id)
        if row is None or depth > MAX_CHAIN_DEPTH:
            return {
                "id": node_id,
                "missing": True,
                "component_id": None,
                "status": None,
                "upstream": [],
            }
        return {
            "id": row.id,
            "missing": False,
            "supplier_name": row.record.get("supplierName"),
            "component_id": row.component_id,
            "kg_co2e_per_unit": row.kg_co2e_per_unit,
            "declared_unit": row.declared_unit,
            "status": row.status,
            "anchor_status": ledger.record_status(
                session, record_type=RECORD_TYPE, record_id=row.id
            ),
            "upstream": [node(u, depth + 1) for u in row.upstream],
        }

    return [node(i, 1) for i in ids]


def label_supply_chain(session: Session, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A label's supply-chain tree for its page: each component with its attestation's hops."""
    components = record.get("components") or []
    if not components:
        return []
    nodes = tree_view(session, [c["attestation_id"] for c in components])
    return [
        {**node, "quantity": c["quantity"], "unit": c["unit"]}
        for c, node in zip(components, nodes, strict=True)
    ]
