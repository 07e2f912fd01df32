"""What the public sees of a label: one read model for the consumer page, artwork and disclosures.

Everything public about a label comes from its anchored record (so the page never says more than
the bundle proves) plus its live state: anchoring status and revocation. All reads of the
registry's tables for the presentation layer are in this module, so a change of models touches
only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from anchoring import ledger
from registry.artwork import LabelArtwork
from registry.finality import served_leaf
from registry.i18n import DEFAULT_LANGUAGE, as_language, localized
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.publication import trust_url
from registry.qr import label_url
from verifier.protocol.records import LABEL as RECORD_TYPE

__all__ = [
    "AnchorView",
    "LabelView",
    "find_label_by_gs1",
    "list_label_views",
    "load_label_view",
    "view_of",
]


@dataclass(frozen=True, slots=True)
class AnchorView:
    """Where and when a label's Merkle root was anchored."""

    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    anchored_at: datetime | None  # block time
    #: Blocks on top of the anchoring block, and how many make it final; ``None`` once final.
    confirmations: int | None = None
    required_confirmations: int | None = None


@dataclass(frozen=True, slots=True)
class LabelView:
    """A label as the public sees it."""

    label_id: str
    certificate_number: str
    status: str  # active | revoked | superseded
    #: The product's name by language tag, as the record holds it (``zh`` is Simplified).
    product_name: dict[str, str]
    gtin: str | None
    serial: str | None
    category: str
    company_name: str
    company_org: str
    kg_co2e_per_unit: float
    declared_unit: str
    fossil_kg_co2e: float
    biogenic_kg_co2e: float
    system_boundary: str
    reference_period: dict[str, str]
    geography: dict[str, Any]
    standards: tuple[str, ...]
    grade: str
    grade_scheme: str
    grade_scheme_version: str
    grade_source: str
    grade_illustrative: bool
    certifier_name: str
    valid_from: date
    valid_until: date
    issued_at: str
    # pending | batched | anchored (None: never queued)
    anchor_status: str | None
    anchor: AnchorView | None
    revocation_reason: int | None
    revocation_note: str | None
    revoked_at: datetime | None
    superseded_by: str | None
    url: str  # what the QR code encodes
    bundle_url: str
    trust_url: str  # the deployment's published trust file (registry.publication)

    @property
    def verify_command(self) -> str:
        """The "check it yourself" command a label page prints: it runs as printed."""
        return f"tanji verify {self.bundle_url} --trust {self.trust_url}"

    @property
    def expired(self) -> bool:
        """True once the validity period is over (today in UTC)."""
        return datetime.now(UTC).date() > self.valid_until

    def name(self, lang: str) -> str:
        """The product's name in ``lang`` (a language tag), or its best stand-in."""
        return localized(self.product_name, lang)

    def artwork(self, lang: str = DEFAULT_LANGUAGE) -> LabelArtwork:
        """The printable artwork's input, in ``lang`` and its companion language."""
        return LabelArtwork(
            label_id=self.label_id,
            url=self.url,
            product_name=dict(self.product_name),
            language=as_language(lang),
            company_name=self.company_name,
            category=self.category,
            kg_co2e_per_unit=self.kg_co2e_per_unit,
            declared_unit=self.declared_unit,
            grade=self.grade,
            illustrative_grade=self.grade_illustrative,
            certificate_number=self.certificate_number,
            valid_from=self.valid_from.isoformat(),
            valid_until=self.valid_until.isoformat(),
            certifier_name=self.certifier_name,
            status=self.status,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe summary (the disclosure list's item)."""
        return {
            "id": self.label_id,
            "certificate_number": self.certificate_number,
            "status": self.status,
            "product_name": dict(self.product_name),
            "gtin": self.gtin,
            "category": self.category,
            "company": {"name": self.company_name, "org": self.company_org},
            "kg_co2e_per_unit": self.kg_co2e_per_unit,
            "declared_unit": self.declared_unit,
            "system_boundary": self.system_boundary,
            "grade": {
                "grade": self.grade,
                "scheme": self.grade_scheme,
                "scheme_version": self.grade_scheme_version,
                "illustrative": self.grade_illustrative,
            },
            "certifier": self.certifier_name,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "issued_at": self.issued_at,
            "anchor_status": self.anchor_status,
            "anchor": None
            if self.anchor is None
            else {
                "chain_id": self.anchor.chain_id,
                "contract": self.anchor.contract,
                "tx_hash": self.anchor.tx_hash,
                "block_number": self.anchor.block_number,
                "confirmations": self.anchor.confirmations,
                "anchored_at": None
                if self.anchor.anchored_at is None
                else self.anchor.anchored_at.isoformat(),
            },
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "revocation_reason": self.revocation_reason,
            "superseded_by": self.superseded_by,
            "url": self.url,
            "bundle_url": self.bundle_url,
        }


def _record_status(session: Session, label: Label) -> str | None:
    return ledger.record_status(session, record_type=RECORD_TYPE, record_id=label.id)


def _unanchored(status: str | None) -> str | None:
    """The status of a label shown without an anchor: a mined batch's record whose block left the
    chain (registry.finality) is in flight again (``batched``), whatever the ledger says yet."""
    return "batched" if status == ledger.RECORD_ANCHORED else status


def _view(session: Session, label: Label, *, base_url: str) -> LabelView:
    leaf = ledger.anchored_leaf(session, record_type=RECORD_TYPE, record_id=label.id)
    return view_of(
        label,
        leaf=leaf,
        # An anchored leaf is read only from a record the ledger holds as anchored.
        record_status=ledger.RECORD_ANCHORED
        if leaf is not None
        else _record_status(session, label),
        company_name=_company_name(session, label),
        base_url=base_url,
    )


def view_of(
    label: Any,
    *,
    leaf: ledger.AnchoredLeaf | None,
    record_status: str | None,
    company_name: str,
    base_url: str,
) -> LabelView:
    """The public view of ``label`` (a :class:`Label` or any row with its columns as
    attributes) given what was read with it: its anchored leaf as the ledger holds it, its
    ledger status and its enterprise's registered name (:func:`_company_name`)."""
    record = label.record
    product, footprint, grade = record["product"], record["footprint"], record["grade"]
    # A mined, not yet final, batch shows only while its block is on the chain.
    leaf, finality = served_leaf(leaf)
    anchor = None
    if leaf is not None:
        anchor = AnchorView(
            chain_id=leaf.chain_id,
            contract=leaf.contract,
            tx_hash=leaf.tx_hash,
            block_number=leaf.block_number,
            anchored_at=datetime.fromtimestamp(leaf.timestamp, UTC) if leaf.timestamp else None,
            confirmations=None if finality is None else finality.confirmations,
            required_confirmations=None if finality is None else finality.required,
        )
    return LabelView(
        label_id=label.id,
        certificate_number=label.certificate_number,
        status=label.status,
        product_name=dict(product["name"]),
        gtin=label.gtin,
        serial=label.serial,
        category=product["category"],
        company_name=company_name,
        company_org=label.enterprise_org_id,
        kg_co2e_per_unit=float(footprint["kg_co2e_per_unit"]),
        declared_unit=footprint["declared_unit"],
        fossil_kg_co2e=float(footprint["fossil_kg_co2e"]),
        biogenic_kg_co2e=float(footprint["biogenic_kg_co2e"]),
        system_boundary=footprint["system_boundary"],
        reference_period=dict(footprint["reference_period"]),
        geography=dict(footprint["geography"]),
        standards=tuple(footprint["standards"]),
        grade=grade["grade"],
        grade_scheme=grade["scheme"],
        grade_scheme_version=grade["schemeVersion"],
        grade_source=grade["source"],
        grade_illustrative=bool(grade["illustrative"]),
        certifier_name=record["certifier"]["name"],
        valid_from=label.valid_from,
        valid_until=label.valid_until,
        issued_at=record["issued_at"],
        anchor_status="anchored" if anchor is not None else _unanchored(record_status),
        anchor=anchor,
        revocation_reason=label.revocation_reason,
        revocation_note=label.revocation_note,
        revoked_at=label.revoked_at,
        superseded_by=label.superseded_by,
        url=label_url(base_url, label.id, gtin=label.gtin, serial=label.serial),
        bundle_url=f"{base_url}/api/v1/labels/{label.id}/bundle",
        trust_url=trust_url(base_url),
    )


def _company_name(session: Session, label: Label) -> str:
    """The labelled enterprise's registered name (its organisation record), never free text.

    Labels issued since the record took its company from the organisation hold the same name;
    older ones carried the footprint's submitted ``company_name``, which is not shown.
    """
    org = session.get(Organisation, label.enterprise_org_id)
    assert org is not None  # foreign key
    return org.name


def load_label_view(session: Session, label_id: str, *, base_url: str) -> LabelView | None:
    """The public view of label ``label_id``; ``None`` when there is no such label."""
    label = session.get(Label, label_id)
    return None if label is None else _view(session, label, base_url=base_url)


def find_label_by_gs1(
    session: Session, *, gtin14: str, serial: str, enterprise_org_id: str
) -> str | None:
    """The id of the label a GS1 Digital Link ``/01/<gtin14>/21/<serial>`` names, among the
    labels of ``enterprise_org_id`` (the holder of the GTIN's company prefix).

    The serial is the label's own serial when it has one, else the label id (see
    :func:`registry.qr.label_url`).
    """
    label = session.exec(
        select(Label)
        .where(Label.gtin == gtin14, Label.enterprise_org_id == enterprise_org_id)
        .where(
            or_(
                col(Label.serial) == serial,
                (col(Label.serial).is_(None)) & (col(Label.id) == serial),
            )
        )
        .order_by(col(Label.created_at).desc())
    ).first()
    return None if label is None else label.id


def list_label_views(
    session: Session,
    *,
    base_url: str,
    category: str | None = None,
    company: str | None = None,
    grade: str | None = None,
    status: str | None = "active",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[LabelView], int]:
    """Labels for the public disclosure list, newest first, and how many match in all.

    ``company`` matches the enterprise's organisation id exactly or its name (case-insensitive
    substring); ``status`` ``None`` lists every label.
    """
    query = (
        select(Label)
        .join(Footprint, col(Footprint.id) == col(Label.footprint_id))
        .join(Organisation, col(Organisation.id) == col(Label.enterprise_org_id))
    )
    if category:
        query = query.where(Footprint.category == category)
    if grade:
        query = query.where(Label.grade == grade)
    if status:
        query = query.where(Label.status == status)
    if company:
        pattern = (
            "%"
            + company.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            + "%"
        )
        query = query.where(
            or_(
                col(Organisation.id) == company,
                func.lower(col(Organisation.name)).like(pattern, escape="\\"),
            )
        )
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Label.created_at).desc(), col(Label.id)).offset(offset).limit(limit)
    ).all()
    return [_view(session, label, base_url=base_url) for label in rows], int(count)
