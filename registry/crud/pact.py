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
from registry.crud.footprints import RECORD_TYPE, add_footprint
from registry.errors import InvalidInputError
from registry.models.footprints import Footprint, FootprintCreate
from registry.models.orgs import Organisation
from registry.pact import footprint_to_pact, pact_to_footprint
from registry.validation import validation_error_details
from verifier._internal.verifier import Verdict, verify_offline


def export_footprint(
    *,
    footprint: Footprint,
    bundle: Mapping[str, Any] | None,
    pcf_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The footprint as a PACT v3 ProductFootprint, ``bundle`` in the Tanji extension.

    ``bundle`` is the footprint's anchored ``tanji-bundle/1`` (``registry.records``
    ``anchored_bundle``), or ``None`` while it is pending: a PACT export then carries no proof.
    """
    return footprint_to_pact(footprint.record, bundle=bundle, pcf_extra=pcf_extra)


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
    name. A carried Tanji bundle must be consistent offline (its record gives its leaf and its
    proof its root), or the import is refused (``bundle_invalid``): a proof that does not hold
    must not travel on as if it did. Returns the footprint and that bundle.
    """
    data, bundle = pact_to_footprint(doc)
    for name, value in (fill or {}).items():
        if name == "product_name":
            # The document's own names win; the fill adds the languages it lacks.
            data["product_name"] = {**value, **data.get("product_name", {})}
        else:
            data.setdefault(name, value)
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
