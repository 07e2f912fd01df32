"""``not_revoked``: neither the root nor the leaf is revoked on the trusted contract (codes 5xx)."""

from __future__ import annotations

from typing import Final

from verifier._internal.checks.base import CheckResult, Results, Target, skip_untrusted_anchor
from verifier.protocol.codes import Code
from verifier.protocol.reasons import RevocationReason, revocation_reason

__all__ = ["NotRevokedCheck"]


class NotRevokedCheck:
    """``not_revoked``: neither the root nor the leaf is revoked on the trusted contract."""

    name: Final = "not_revoked"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed, pending and untrusted anchors."""
        return skip_untrusted_anchor(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Read the revocation reasons from ``check()``: the whole batch (root) first, then this
        record (leaf). The record under verification (not a nested one) revoked as superseded
        is SUPERSEDED (502): genuine, and replaced (verifier.protocol.verdicts)."""
        make = Results(self.name, target.path)
        assert target.evidence is not None
        status = target.evidence.status()
        for code, reason_code in (
            (Code.REVOKED_ROOT, status.root_revoked_reason),
            (Code.REVOKED_LEAF, status.leaf_revoked_reason),
        ):
            if reason_code:
                reason = revocation_reason(reason_code)
                if (
                    code is Code.REVOKED_LEAF
                    and reason_code == RevocationReason.SUPERSEDED
                    and not target.path
                ):
                    return make.superseded(
                        Code.REVOKED_SUPERSEDED,
                        reasonCode=reason.code,
                        reasonName=reason.name,
                        reasonText=dict(reason.text),
                    )
                return make.invalid(
                    code,
                    reasonCode=reason.code,
                    reasonName=reason.name,
                    reasonText=dict(reason.text),
                )
        return make.valid()
