"""Outcomes of a verification: each check's :class:`Status` and the report's :class:`Verdict`.

The one home of these names and of the rule that draws a verdict from the checks
(docs/PROTOCOL.md, "Verdict"); the Python verifier and the in-browser verifier's generated tables
(``STATUSES``, ``VERDICTS``) read them from here.

**Superseded.** A label (or any record) replaced by a newer one is revoked on chain with reason
``1`` (:attr:`~verifier.protocol.reasons.RevocationReason.SUPERSEDED`). The record was genuine and
has been replaced: that is not INVALID. The ``not_revoked`` check of the bundle under
verification reports it as :attr:`Status.SUPERSEDED` (code 502), and the verdict is
:attr:`Verdict.SUPERSEDED` when nothing else failed. A *nested* bundle (a supplier attestation, a
recognition) replaced by a newer one still fails its label: the label rests on a record its
issuer has replaced, so that stays INVALID (501).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["Status", "Verdict", "verdict_of"]


class Status(StrEnum):
    """The outcome of one check."""

    VALID = "VALID"
    INVALID = "INVALID"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"
    #: The record under verification was genuine and has been replaced by a newer one.
    SUPERSEDED = "SUPERSEDED"


class Verdict(StrEnum):
    """The overall outcome of a verification."""

    VALID = "VALID"
    INVALID = "INVALID"
    ERROR = "ERROR"
    PENDING = "PENDING"
    #: Genuine, but replaced by a newer record: do not rely on it, read the new one.
    SUPERSEDED = "SUPERSEDED"


def verdict_of(statuses: Iterable[Status | str], *, pending: bool = False) -> Verdict:
    """The verdict of checks with ``statuses`` (``pending``: some bundle is not yet anchored).

    Any INVALID → INVALID; else any ERROR → ERROR; else any SUPERSEDED → SUPERSEDED; else any
    pending bundle → PENDING; else VALID when something was checked (nothing checked is nothing
    proven: ERROR). SKIPPED never fails a bundle.
    """
    seen = {Status(s) for s in statuses}
    if Status.INVALID in seen:
        return Verdict.INVALID
    if Status.ERROR in seen:
        return Verdict.ERROR
    if Status.SUPERSEDED in seen:
        return Verdict.SUPERSEDED
    if pending:
        return Verdict.PENDING
    if not seen:
        return Verdict.ERROR
    return Verdict.VALID
