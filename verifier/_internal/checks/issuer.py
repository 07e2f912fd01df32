"""``issuer``: the anchoring transaction was sent by an issuer of the trust file (codes 6xx)."""

from __future__ import annotations

from typing import Final

from verifier._internal.checks.base import (
    CheckResult,
    Results,
    Target,
    skip_unparsed_or_pending,
    skip_untrusted_anchor,
)
from verifier.protocol.codes import Code

__all__ = ["IssuerCheck"]


class IssuerCheck:
    """``issuer``: the anchoring transaction was sent by an issuer of the trust file."""

    name: Final = "issuer"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed, pending and untrusted anchors, and when no issuers are listed."""
        skipped = skip_unparsed_or_pending(self.name, target)
        if skipped is not None:
            return skipped
        if target.trust is not None and not target.trust.issuers:
            return Results(self.name, target.path).skipped(Code.ISSUER_NONE_CONFIGURED)
        return skip_untrusted_anchor(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Compare the transaction's sender with the trusted issuers."""
        make = Results(self.name, target.path)
        ev = target.evidence
        assert ev is not None
        tx = ev.transaction()
        if tx is None:
            return make.invalid(Code.ISSUER_TX_NOT_FOUND)
        issuer = ev.trust.issuer(tx.sender)
        if issuer is None:
            return make.invalid(Code.ISSUER_UNTRUSTED, sender=tx.sender)
        return make.valid(sender=tx.sender, issuer=issuer.name)
