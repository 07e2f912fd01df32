"""``attestation_signature``: a supplier attestation is signed by its supplier, for a trusted
deployment, and is the component (or upstream) its parent bundle names (codes 7xx)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from verifier._internal.bundle import Bundle
from verifier._internal.checks.base import CheckResult, Results, Target, skip_unparsed_or_pending
from verifier.errors import AttestationError
from verifier.protocol import records
from verifier.protocol.attestation import verify_attestation_record
from verifier.protocol.codes import Code
from verifier.protocol.eip712 import RECORD_MEMBERS

__all__ = ["AttestationSignatureCheck"]


class AttestationSignatureCheck:
    """``attestation_signature``: a supplier attestation is signed by its supplier, for a trusted
    deployment, and is the component (or upstream) its parent bundle names.

    Applies to ``attestation`` records only, so a label reports one result per supply-chain hop
    (``attestations[0].attestation_signature``, ``attestations[0].attestations[0]...``). Needs
    no chain: it runs offline too (without a trust file the domain step is left out).
    """

    name: Final = "attestation_signature"

    def applies(self, target: Target) -> bool:
        """Only attestation records get an ``attestation_signature`` result."""
        return target.bundle is not None and target.bundle.record.get("type") == records.ATTESTATION

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed bundles, and when the signed members are redacted."""
        if target.bundle is None:
            return skip_unparsed_or_pending(self.name, target)
        hidden = [name for name in RECORD_MEMBERS if name not in target.bundle.record]
        if hidden:
            # Hiding the message is a supplier's right (docs/ATTESTATIONS.md, section 4); the
            # commitment still binds it, but who signed what cannot be shown to this reader.
            return Results(self.name, target.path).skipped(Code.ATTESTATION_REDACTED, hidden=hidden)
        return None

    def run(self, target: Target) -> CheckResult:
        """Digest = id and signer = supplier; trusted domain; named by the parent."""
        make = Results(self.name, target.path)
        assert target.bundle is not None
        record = target.bundle.record
        try:
            signer = verify_attestation_record(dict(record))
        except AttestationError as exc:  # SignatureError is an AttestationError
            return make.invalid(
                Code.ATTESTATION_BAD_SIGNATURE,
                errorCode=exc.code,
                field=exc.field,
                detail=str(exc),
            )
        message = record["message"]
        facts: dict[str, Any] = {
            "supplier": signer,
            "componentId": message.get("componentId"),
            "kgCo2ePerUnit": message.get("kgCo2ePerUnit"),
            "declaredUnit": message.get("declaredUnit"),
        }
        trust = target.trust
        if trust is not None and not trust.trusts_contract(
            record["chainId"], record["verifyingContract"]
        ):
            return make.invalid(
                Code.ATTESTATION_UNTRUSTED_DOMAIN,
                verifyingContract=record["verifyingContract"],
                chainId=record["chainId"],
                **facts,
            )
        linked = attestation_linked(str(record["id"]), target.parent)
        if linked is False:
            return make.invalid(Code.ATTESTATION_NOT_LINKED, **facts)
        # linked is None when the parent's component list is hidden.
        return make.valid(linked=linked, **facts)


def attestation_linked(attestation_id: str, parent: Bundle | None) -> bool | None:
    """Whether ``parent`` names the attestation; None when that cannot be seen (hidden)."""
    if parent is None:
        return True  # a bundle of the attestation itself
    record = parent.record
    if record.get("type") == records.ATTESTATION:
        message = record.get("message")
        if not isinstance(message, Mapping):
            return None
        return attestation_id in (message.get("upstream") or [])
    components = record.get("components")
    if components is None:
        return None
    if not isinstance(components, list):
        return False
    return any(
        isinstance(c, Mapping) and c.get("attestation_id") == attestation_id for c in components
    )
