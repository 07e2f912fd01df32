"""PACT ProductFootprints of stored footprints: the export plus what only the database knows.

:func:`registry.pact.export.footprint_to_pact` maps the footprint record; this module adds the
life cycle and the proof from the registry's tables:

- ``status``: ``Deprecated`` when the footprint has labels and none is active (each was revoked
  or superseded), else ``Active``;
- ``precedingPfIds``: the footprints of the labels its labels superseded (oldest first);
- ``validityPeriodStart`` / ``validityPeriodEnd``: the newest label's ``valid_from`` (00:00Z)
  and the day after its ``valid_until`` (PACT's ends are exclusive, like the reference period);
- ``pcf.verification``: the certification of the newest label (coverage ``product level``, the
  certification body's name, the issue time);
- ids use the deployment's PACT domain (:func:`pact_domain`);
- the Tanji extension gains ``data.proof``: the anchored bundle's ``root`` and ``anchor`` and a
  public link to the bundle (:data:`PROOF_FIELDS`).

PACT values Tanji does not record get :data:`DECLARED_DEFAULTS` unless the caller gives others
(documented in docs/PACT.md): exports no longer fail for want of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import quote, urlsplit

from sqlmodel import Session, col, select

from registry.config import Settings
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.pact.datamodel import EXTENSION_DOCS_PATH, EXTENSION_SCHEMA_PATH, RECORDED_PCF
from registry.pact.export import _derived_pf_id, footprint_to_pact
from registry.records import anchored_bundle
from verifier.protocol.records import FOOTPRINT

#: PACT-required CarbonFootprint values Tanji does not record, and what an export declares for
#: them when the caller gives none: the GWP set of the footprint's calculation (AR6 otherwise),
#: no exempted emissions, and 0 kg fossil carbon content / product mass ("not reported") where
#: the footprint does not record them (``fossil_carbon_kg``, ``product_mass_kg``).
DECLARED_DEFAULTS: Final[dict[str, Any]] = {
    "fossilCarbonContent": "0",
    "ipccCharacterizationFactors": ["AR6"],
    "exemptedEmissionsPercent": "0",
    "productMassPerDeclaredUnit": "0",
}
#: What ``data.proof`` of the Tanji extension holds.
PROOF_FIELDS: Final = ("bundle_url", "root", "anchor")
_GWP_TO_AR: Final = {"AR5-100": "AR5", "AR6-100": "AR6"}


def pact_domain(settings: Settings) -> str:
    """The domain of this deployment's PACT URNs: ``TANJI_PACT_DOMAIN``, else the base URL host."""
    return settings.pact_domain or urlsplit(settings.base_url).hostname or "localhost"


def pf_id_of(footprint: Footprint) -> str:
    """The PACT ``id`` of a stored footprint (a UUID derived from its id, stable across exports)."""
    return _derived_pf_id(footprint.record)


def labels_of(session: Session, footprint_id: str) -> list[Label]:
    """The footprint's labels, oldest first."""
    query = select(Label).where(Label.footprint_id == footprint_id)
    return list(session.exec(query.order_by(col(Label.created_at), col(Label.id))))


def _defaults(footprint: Footprint) -> dict[str, Any]:
    out = dict(DECLARED_DEFAULTS)
    gwp = (footprint.data.get("calculation") or {}).get("gwp")
    if gwp in _GWP_TO_AR:
        out["ipccCharacterizationFactors"] = [_GWP_TO_AR[gwp]]
    if footprint.data.get("declared_unit") in ("kg", "t", "kWh"):
        del out["productMassPerDeclaredUnit"]  # the export derives it
    for name, pact_name in RECORDED_PCF.items():
        if footprint.data.get(name) is not None:
            out.pop(pact_name, None)  # recorded: the export writes the footprint's own value
    return out


def _instant(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def footprint_document(
    session: Session,
    footprint: Footprint,
    *,
    settings: Settings,
    pcf_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored footprint as a PACT v3 ProductFootprint with its life cycle and proof."""
    bundle = anchored_bundle(session, FOOTPRINT, footprint)
    extra = {**_defaults(footprint), **(pcf_extra or {})}
    created = footprint.created_at
    doc = footprint_to_pact(
        footprint.record,
        bundle=bundle,
        pcf_extra=extra,
        domain=pact_domain(settings),
        created=created if created.tzinfo else created.replace(tzinfo=UTC),
    )
    labels = labels_of(session, footprint.id)
    if labels:
        if all(label.status != "active" for label in labels):
            doc["status"] = "Deprecated"
        newest = labels[-1]
        doc["validityPeriodStart"] = _instant(newest.valid_from)
        doc["validityPeriodEnd"] = _instant(newest.valid_until + timedelta(days=1))
        certifier = session.get(Organisation, newest.certifier_org_id)
        verification: dict[str, Any] = {
            "coverage": "product level",
            "completedAt": newest.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "comments": f"Tanji carbon label {newest.certificate_number}",
        }
        if certifier is not None:
            verification["providerName"] = certifier.name
        standards = footprint.data.get("standards") or []
        if standards:
            verification["standardName"] = str(standards[0])
        doc["pcf"]["verification"] = verification
    preceding = _preceding(session, labels)
    if preceding:
        doc["precedingPfIds"] = preceding
    if bundle is not None:
        base = settings.base_url
        extension = doc["extensions"][0]
        extension["dataSchema"] = f"{base}{EXTENSION_SCHEMA_PATH}"
        extension["documentation"] = f"{base}{EXTENSION_DOCS_PATH}"
        extension["data"]["proof"] = {
            "bundle_url": f"{base}{BUNDLE_PATH.format(pf_id=quote(doc['id'], safe=''))}",
            "root": bundle.get("root"),
            "anchor": bundle.get("anchor"),
        }
    else:
        extension = doc["extensions"][0]
        extension["dataSchema"] = f"{settings.base_url}{EXTENSION_SCHEMA_PATH}"
        extension["documentation"] = f"{settings.base_url}{EXTENSION_DOCS_PATH}"
    return doc


#: The anchored bundle of a footprint, for a PACT client (bearer token, same access rule).
BUNDLE_PATH: Final = "/pact/footprints/{pf_id}/bundle"


def _preceding(session: Session, labels: list[Label]) -> list[str]:
    """PACT ids of the footprints this one's labels superseded, oldest first, no repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for label in labels:
        chain: list[str] = []
        current = label
        while current.supersedes is not None and len(chain) < 100:
            older = session.get(Label, current.supersedes)
            if older is None:
                break
            chain.append(older.footprint_id)
            current = older
        for footprint_id in reversed(chain):
            if footprint_id in seen or footprint_id == label.footprint_id:
                continue
            seen.add(footprint_id)
            older_fp = session.get(Footprint, footprint_id)
            if older_fp is not None:
                out.append(pf_id_of(older_fp))
    return out
