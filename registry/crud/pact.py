"""PACT v3 exchange of stored footprints: export one with its proof, import one for an org.

The mapping itself is :mod:`registry.pact` (pure); this module adds the database: the footprint's
own ``tanji-bundle/1`` (built by :mod:`registry.records`) travels in the export once it is
anchored, and an imported document becomes a footprint of the importing organisation, stored and
queued for anchoring like any submission.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from registry.audit import record_audit
from registry.catalogue import FOOTPRINT_CATEGORIES, GENERAL
from registry.config import Settings
from registry.crud.footprints import RECORD_TYPE, add_footprint
from registry.crud.prefixes import check_gtin_owned
from registry.errors import InvalidInputError, PermissionDeniedError
from registry.models.footprints import Footprint, FootprintCreate
from registry.models.orgs import Organisation
from registry.pact import pact_to_footprint
from registry.pact.documents import footprint_document
from registry.pact.importing import to_accepted_unit
from registry.qr import normalize_gtin
from registry.validation import validation_error_details
from verifier._internal.verifier import Verdict, verify_offline


def export_footprint(
    session: Session,
    *,
    footprint: Footprint,
    settings: Settings,
    pcf_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The footprint as a PACT v3 ProductFootprint: life cycle, proof extension, defaults.

    See :func:`registry.pact.documents.footprint_document`: status, validity and verification
    from its labels, its anchored ``tanji-bundle/1`` (none while pending) in the extension, and
    the declared defaults for PACT values Tanji does not record unless ``pcf_extra`` gives them.
    """
    return footprint_document(session, footprint, settings=settings, pcf_extra=pcf_extra)


def import_footprint(
    session: Session,
    *,
    org: Organisation,
    doc: Mapping[str, Any],
    fill: Mapping[str, Any] | None = None,
) -> tuple[Footprint, dict[str, Any] | None]:
    """Create a footprint of ``org`` from a PACT document (no commit).

    ``fill`` supplies what a foreign document cannot (``category``; ``product_name``, a name
    keyed by language tag such as ``{"zh": ...}``); the document's own values win, name by
    name. Without a category from either, the footprint is stored under the general category
    (:data:`registry.catalogue.GENERAL`). A carried Tanji bundle must be consistent offline (its
    record gives its leaf and its proof its root), or the import is refused (``bundle_invalid``):
    a proof that does not hold must not travel on as if it did. Returns the footprint and that
    bundle.
    """
    data, bundle = pact_to_footprint(doc)
    for name, value in (fill or {}).items():
        if name == "product_name":
            # The document's own names win; the fill adds the languages it lacks.
            data["product_name"] = {**value, **data.get("product_name", {})}
        else:
            data.setdefault(name, value)
    # A GTIN is its prefix holder's: a supplier's footprint imported by its customer keeps the
    # supplier's GTIN as a product id, and claims no GTIN (labels, resolver) of its own.
    gtin = data.get("gtin")
    if isinstance(gtin, str):
        try:
            check_gtin_owned(session, org_id=org.id, gtin14=normalize_gtin(gtin))
        except (PermissionDeniedError, InvalidInputError):
            data["gtin"] = None
            data["product_ids"] = [f"urn:gtin:{gtin}", *data.get("product_ids", [])]
    # A product no catalogue category is named for (a car door) is stored under the general
    # category: kept and exchanged, but not graded or labelled until it is given one.
    data.setdefault("category", GENERAL)
    # A document's unit the category does not take, of the same dimension, is converted
    # (pint): PACT's kilogram for a category declared per tonne.
    category = FOOTPRINT_CATEGORIES.get(str(data.get("category")))
    if category is not None and "declared_unit" in data and "declared_amount" in data:
        converted = to_accepted_unit(
            data["declared_unit"], data["declared_amount"], category.declared_units
        )
        if converted is not None:
            data["declared_unit"], data["declared_amount"] = converted
    if bundle is not None:
        report = verify_offline(bundle)
        if report.status is not Verdict.VALID:
            failed = next(r for r in report.results if r.status.value != "VALID")
            raise InvalidInputError(
                f"the Tanji bundle in the extension does not hold: {failed.reason}",
                code="bundle_invalid",
                field="extensions.data.bundle",
                details=[failed.to_dict()],
            )
    try:
        item = FootprintCreate.model_validate(data)
    except ValidationError as exc:
        details = validation_error_details(exc.errors())
        first = details[0]
        raise InvalidInputError(
            f"the imported footprint is incomplete or invalid: {first['message']}",
            code=first["code"],
            field=first.get("field"),
            details=details,
        ) from None
    footprint = add_footprint(session, org=org, item=item)
    pact_id = doc.get("id")
    record_audit(
        session,
        action="pact.import",
        subject_type=RECORD_TYPE,
        subject_id=footprint.id,
        after={
            "footprint_id": footprint.id,
            "pact_id": None if pact_id is None else str(pact_id),
            "proof_root": None if bundle is None else str(bundle.get("root")),
        },
    )
    return footprint, bundle
