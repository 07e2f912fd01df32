"""``inclusion``: the leaf hash and the proof lead to the bundle's root (code 3xx)."""

from __future__ import annotations

from typing import Final

from verifier._internal.checks.base import (
    CheckResult,
    Results,
    Target,
    hex_text,
    skip_unparsed_or_pending,
)
from verifier.protocol.codes import Code
from verifier.protocol.merkle import process_proof

__all__ = ["InclusionCheck"]


class InclusionCheck:
    """``inclusion``: the leaf hash and the proof lead to the bundle's root."""

    name: Final = "inclusion"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed and pending bundles."""
        return skip_unparsed_or_pending(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Fold the proof (sorted pairs) from the leaf and compare with the root."""
        make = Results(self.name, target.path)
        bundle = target.bundle
        assert bundle is not None and bundle.root is not None
        computed = process_proof(bundle.leaf, bundle.proof)
        # Not secret data, but compare whole digests only; == on bytes is enough here.
        if computed != bundle.root:
            return make.invalid(
                Code.INCLUSION_ROOT_MISMATCH,
                leaf=hex_text(bundle.leaf),
                computedRoot=hex_text(computed),
                root=hex_text(bundle.root),
            )
        return make.valid(
            leaf=hex_text(bundle.leaf), root=hex_text(bundle.root), proofLength=len(bundle.proof)
        )
