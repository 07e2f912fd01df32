"""``integrity``: the record (fields, salts, hidden commitments) gives ``leafValue`` (codes 2xx)."""

from __future__ import annotations

from typing import Final

from verifier._internal.bundle import Bundle
from verifier._internal.checks.base import CheckResult, Results, Target, skip_unparsed_or_pending
from verifier.protocol.codes import Code
from verifier.protocol.leaf import (
    LEAF_ENCODING,
    commitments_digest,
    field_commitment,
    leaf_value,
    record_commitments,
)

__all__ = ["IntegrityCheck"]


class IntegrityCheck:
    """``integrity``: the record (fields, salts, hidden commitments) gives ``leafValue``."""

    name: Final = "integrity"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped only when the bundle could not be parsed."""
        if target.bundle is None:
            return skip_unparsed_or_pending(self.name, target)
        return None

    def run(self, target: Target) -> CheckResult:
        """Recompute the record digest and compare it with the leaf value."""
        make = Results(self.name, target.path)
        bundle = target.bundle
        assert bundle is not None
        if bundle.leaf_encoding != LEAF_ENCODING:
            return make.invalid(
                Code.INTEGRITY_WRONG_ENCODING,
                leafEncoding=list(bundle.leaf_encoding),
                expectedEncoding=list(LEAF_ENCODING),
            )
        commitments, hidden = _commitments(bundle)
        digest = commitments_digest(commitments)
        expected = leaf_value(bundle.record, digest)
        given = list(bundle.leaf_value)
        if given[:2] != expected[:2]:
            return make.invalid(
                Code.INTEGRITY_LEAF_MISMATCH, leafTypeId=given[:2], recordTypeId=expected[:2]
            )
        if not isinstance(given[2], str) or given[2].lower() != expected[2]:
            # A field value, a salt or a hidden commitment was changed.
            return make.invalid(
                Code.INTEGRITY_DIGEST_MISMATCH, digest=expected[2], leafDigest=given[2]
            )
        return make.valid(digest=expected[2], fieldCount=len(commitments), hiddenCount=hidden)


def _commitments(bundle: Bundle) -> tuple[dict[str, bytes], int]:
    """Every field's commitment (disclosed fields recomputed, hidden ones as given) and how many
    are hidden."""
    if bundle.salt is not None:
        return record_commitments(bundle.record, bundle.salt), 0
    assert bundle.disclosure is not None
    salts = bundle.disclosure.salts
    commitments = {
        name: field_commitment(name, value, salts[name]) for name, value in bundle.record.items()
    }
    commitments.update(bundle.disclosure.hidden)
    return commitments, len(bundle.disclosure.hidden)
