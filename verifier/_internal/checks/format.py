"""``format``: the input is a well-formed ``tanji-bundle/1`` (codes 1xx)."""

from __future__ import annotations

from typing import Final

from verifier._internal.checks.base import CheckResult, Results, Target
from verifier.errors import BundleFormatError
from verifier.protocol.codes import Code
from verifier.protocol.records import BUNDLE_FORMAT

__all__ = ["FormatCheck"]


class FormatCheck:
    """``format``: the input is a well-formed ``tanji-bundle/1``."""

    name: Final = "format"

    def skip(self, target: Target) -> CheckResult | None:
        """Never skipped."""
        return None

    def run(self, target: Target) -> CheckResult:
        """VALID when parsing succeeded; INVALID with the parser's code and field otherwise.

        ``data.field`` names the offending member (null: the document as a whole) and
        ``data.detail`` gives the parser's own words (English).
        """
        make = Results(self.name, target.path)
        error = target.format_error
        if error is None and target.bundle is not None:
            return make.valid(format=BUNDLE_FORMAT)
        if isinstance(error, BundleFormatError):
            return make.invalid(
                Code(error.code) if error.code is not None else Code.FORMAT_BAD_VALUE,
                field=error.field,
                detail=str(error),
            )
        raise error or RuntimeError("no bundle and no format error")
