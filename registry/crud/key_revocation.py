"""Revoking a signing key and withdrawing what the registry accepted under it since.

A supplier's or partner's key revoked from ``effective_at`` on (a rotated key found compromised
may be revoked again from an earlier time) takes with it the statements the registry accepted
with it at or after that time and still active: attestations (received then) are marked
``revoked``, partners' recognitions (created then) ``key_revoked``, publishers' factor-dataset
versions (stored then) withdrawn, each audited; their leaves are revoked on chain (reason key
compromise) once anchored. A partner's recognitions can otherwise
never be withdrawn: a withdrawal must be signed by the recognition's own key, which intake now
refuses.

This sits above :mod:`registry.crud.suppliers`, :mod:`~registry.crud.attestations` and
:mod:`~registry.crud.recognitions`, so none of those imports another to cascade.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from registry.audit import record_audit
from registry.crud import suppliers
from registry.crud.attestations import audit_snapshot as attestation_snapshot
from registry.crud.recognitions import audit_snapshot as recognition_snapshot
from registry.factors.models import FactorDatasetRevocation, FactorDatasetVersion
from registry.models.attestations import ACTIVE, REVOKED, Attestation
from registry.models.orgs import Organisation
from registry.models.recognitions import ACTIVE as RECOGNITION_ACTIVE
from registry.models.recognitions import KEY_REVOKED, Recognition
from registry.models.suppliers import KeyRevocation, SupplierKey
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.records import ATTESTATION as ATTESTATION_RECORD_TYPE
from verifier.protocol.records import FACTOR_DATASET as FACTOR_DATASET_RECORD_TYPE
from verifier.protocol.records import RECOGNITION as RECOGNITION_RECORD_TYPE

__all__ = ["revoke_key"]


def revoke_key(
    session: Session, *, org: Organisation, address: str, body: KeyRevocation
) -> SupplierKey:
    """Revoke ``org``'s key at ``address`` and withdraw what it signed since (no commit)."""
    key = suppliers.revoke_key(session, org=org, address=address, body=body)
    effective = key.revoked_at
    assert effective is not None
    withdrawn: list[tuple[str, Attestation | Recognition]] = []
    for attestation in session.exec(
        select(Attestation).where(
            Attestation.signer == key.address,
            col(Attestation.received_at) >= effective,
            Attestation.status == ACTIVE,
        )
    ).all():
        was = attestation_snapshot(attestation)
        attestation.status = REVOKED
        attestation.revocation_reason = RevocationReason.KEY_COMPROMISE
        withdrawn.append((ATTESTATION_RECORD_TYPE, attestation))
        record_audit(
            session,
            action="attestation.revoke",
            subject_type=ATTESTATION_RECORD_TYPE,
            subject_id=attestation.id,
            before=was,
            after=attestation_snapshot(attestation),
        )
    # A partner's recognitions can otherwise never be withdrawn: a withdrawal must be signed by
    # the recognition's own key, which intake now refuses.
    for recognition in session.exec(
        select(Recognition).where(
            Recognition.recognizer == key.address,
            col(Recognition.created_at) >= effective,
            Recognition.status == RECOGNITION_ACTIVE,
        )
    ).all():
        was = recognition_snapshot(recognition)
        recognition.status = KEY_REVOKED
        withdrawn.append((RECOGNITION_RECORD_TYPE, recognition))
        record_audit(
            session,
            action="recognition.key_revoked",
            subject_type=RECOGNITION_RECORD_TYPE,
            subject_id=recognition.id,
            before=was,
            after=recognition_snapshot(recognition),
        )
    for record_type, row in withdrawn:
        session.add(row)
        suppliers.revoke_leaf_once_anchored(
            session,
            record_type=record_type,
            record_id=row.id,
            reason=RevocationReason.KEY_COMPROMISE,
        )
    _withdraw_dataset_versions(session, key)
    session.flush()
    return key


def _withdraw_dataset_versions(session: Session, key: SupplierKey) -> None:
    """A publisher's versions signed with ``key`` and stored since it is revoked: withdrawn
    (calculations refuse them, ``tanji factors impact`` lists the footprints that used them)
    and revoked on chain once anchored, each audited."""
    effective = key.revoked_at
    assert effective is not None
    withdrawn = select(FactorDatasetRevocation.version_id)
    for version in session.exec(
        select(FactorDatasetVersion).where(
            FactorDatasetVersion.signer == key.address,
            col(FactorDatasetVersion.created_at) >= effective,
            col(FactorDatasetVersion.id).not_in(withdrawn),
        )
    ).all():
        revocation = FactorDatasetRevocation(
            version_id=version.id,
            key_address=key.address,
            reason=RevocationReason.KEY_COMPROMISE,
        )
        session.add(revocation)
        record_audit(
            session,
            action="factor_dataset.key_revoked",
            subject_type=FACTOR_DATASET_RECORD_TYPE,
            subject_id=version.id,
            after={"id": version.id, "signer": version.signer, "revoked": True},
        )
        suppliers.revoke_leaf_once_anchored(
            session,
            record_type=FACTOR_DATASET_RECORD_TYPE,
            record_id=version.id,
            reason=RevocationReason.KEY_COMPROMISE,
        )
