"""The independent checks of a bundle, one module each, each giving one ``CheckResult``.

See docs/PROTOCOL.md, "Checks". :mod:`verifier._internal.checks.base` holds what every check shares
(the result, the target, the ``Check`` protocol, ``run_check``); a result carries a code and data,
and its message in any language comes from the catalogue (:mod:`verifier.protocol.messages`).
:data:`DEFAULT_CHECKS` is what the verifier runs on every bundle, in this order; :data:`CHECK_NAMES`
their names (the in-browser verifier's tables are generated from it).
"""

from __future__ import annotations

from typing import Final

from verifier._internal.checks.anchored import AnchoredCheck
from verifier._internal.checks.attestation_signature import AttestationSignatureCheck
from verifier._internal.checks.base import Check, CheckResult, Results, Status, Target, run_check
from verifier._internal.checks.evidence import ChainEvidence, NoRpcUrlError
from verifier._internal.checks.format import FormatCheck
from verifier._internal.checks.inclusion import InclusionCheck
from verifier._internal.checks.integrity import IntegrityCheck
from verifier._internal.checks.issuer import IssuerCheck
from verifier._internal.checks.not_revoked import NotRevokedCheck
from verifier._internal.checks.recognition import RecognitionCheck
from verifier.protocol.scheme import label_category, label_scheme_id

__all__ = [
    "CHECK_NAMES",
    "DEFAULT_CHECKS",
    "OFFLINE_CHECKS",
    "AnchoredCheck",
    "AttestationSignatureCheck",
    "ChainEvidence",
    "Check",
    "CheckResult",
    "FormatCheck",
    "InclusionCheck",
    "IntegrityCheck",
    "IssuerCheck",
    "NoRpcUrlError",
    "NotRevokedCheck",
    "RecognitionCheck",
    "Results",
    "Status",
    "Target",
    "label_category",
    "label_scheme_id",
    "run_check",
]

#: The checks that need no chain, in the order they run.
OFFLINE_CHECKS: Final[tuple[Check, ...]] = (
    FormatCheck(),
    IntegrityCheck(),
    InclusionCheck(),
    AttestationSignatureCheck(),
)
#: Every check the verifier runs on each bundle, in the order they run.
DEFAULT_CHECKS: Final[tuple[Check, ...]] = (
    *OFFLINE_CHECKS,
    AnchoredCheck(),
    NotRevokedCheck(),
    IssuerCheck(),
    RecognitionCheck(),
)
#: The names of :data:`DEFAULT_CHECKS`, in run order (``format``, ``integrity`` ...).
CHECK_NAMES: Final[tuple[str, ...]] = tuple(check.name for check in DEFAULT_CHECKS)
