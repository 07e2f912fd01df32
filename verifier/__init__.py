"""Tanji's stand-alone verifier: canonical encoding, commitments, Merkle proofs, bundle checks.

It imports nothing from ``registry`` or ``anchoring``: a certifier abroad can install and run it
on its own, against its own chain node and trust file. It is also the one home of how a record
becomes a Merkle leaf, which ``anchoring`` and ``registry`` import from here.

The library's API is what this package exports (docs/PROTOCOL.md, appendix A, "Using the
verifier as a library", runs this example against a chain node); the modules behind it are
internals::

    import verifier

    trust = verifier.load_trust("trust.json")  # your own tanji-trust/1: chains, contracts, issuers
    with open("label.json", "rb") as f:  # a tanji-bundle/1, e.g. GET /api/v1/labels/{id}/bundle
        bundle = f.read()
    report = verifier.Verifier(trust=trust, timeout=10).verify(bundle)  # asks the trust file's node
    print(report.status.value)  # VALID, INVALID, ERROR or PENDING (section 11)
    for result in report.results:  # one CheckResult per check and nested bundle (section 10)
        if result.status is not verifier.Status.VALID:
            print(result.qualified_name, result.status.value, int(result.code), result.reason)
    offline = verifier.verify_offline(bundle)  # format, integrity, inclusion only: no chain
    print(offline.status.value, offline.to_dict()["mode"])

- :class:`Verifier` (``trust``, ``rpc_url_override``, ``timeout``, ``checks``) and
  :func:`verify_offline` give a :class:`VerificationReport`: its :class:`Verdict` and a
  :class:`CheckResult` per check, with a :class:`Status` and a stable :class:`Code`.
- :class:`TrustConfig` (alias :data:`Trust`), read by :func:`load_trust` / :func:`parse_trust`.
- :class:`Bundle`, read by :func:`parse_bundle` (the ``format`` check).
- Errors: :class:`VerifierError` and its leaves (:class:`BundleFormatError`,
  :class:`TrustConfigError`, :class:`BundleFetchError`, :class:`ChainUnavailableError`,
  :class:`ChainResponseError`, :class:`AttestationError`, :class:`SignatureError`).

Names are imported on first use (``verifier.Verifier``, ``from verifier import Verifier``), so
``import verifier`` stays light for ``anchoring`` and ``registry``, which import it first.
Command line: ``tanji verify``, ``python -m verifier`` (:mod:`verifier.cli`).
"""

import importlib
import os
from typing import TYPE_CHECKING, Any, Final

# Keccak through pysha3 is ~6x faster than eth-hash's default pycryptodome backend.
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from verifier._internal.runtime import import_ethereum_libraries_safely
from verifier.errors import BundleFormatError, VerifierError

# Before anything imports py_ecc (eth-account, py-evm): keep Python's recursion limit sane.
import_ethereum_libraries_safely()

# The public API, name -> the module that defines it. Imported on first use by __getattr__ (after
# the guard above, whichever name comes first); TYPE_CHECKING spells the same imports out.
_EXPORTS: Final[dict[str, str]] = {
    "Verifier": "verifier._internal.verifier",
    "verify_offline": "verifier._internal.verifier",
    "VerificationReport": "verifier._internal.verifier",
    "Verdict": "verifier._internal.verifier",
    "CheckResult": "verifier._internal.checks",
    "Status": "verifier._internal.checks",
    "Code": "verifier.protocol.codes",
    "Bundle": "verifier._internal.bundle",
    "parse_bundle": "verifier._internal.bundle",
    "TrustConfig": "verifier._internal.trust",
    "load_trust": "verifier._internal.trust",
    "parse_trust": "verifier._internal.trust",
    "AttestationError": "verifier.errors",
    "BundleFetchError": "verifier.errors",
    "ChainResponseError": "verifier.errors",
    "ChainUnavailableError": "verifier.errors",
    "SignatureError": "verifier.errors",
    "TrustConfigError": "verifier.errors",
}
#: ``verifier.Trust`` is the trust configuration (:class:`verifier._internal.trust.TrustConfig`).
_ALIASES: Final[dict[str, str]] = {"Trust": "TrustConfig"}

if TYPE_CHECKING:
    from verifier._internal.bundle import Bundle, parse_bundle
    from verifier._internal.checks import CheckResult, Status
    from verifier._internal.trust import TrustConfig, load_trust, parse_trust
    from verifier._internal.trust import TrustConfig as Trust
    from verifier._internal.verifier import Verdict, VerificationReport, Verifier, verify_offline
    from verifier.errors import (
        AttestationError,
        BundleFetchError,
        ChainResponseError,
        ChainUnavailableError,
        SignatureError,
        TrustConfigError,
    )
    from verifier.protocol.codes import Code

__all__ = [
    "AttestationError",
    "Bundle",
    "BundleFetchError",
    "BundleFormatError",
    "ChainResponseError",
    "ChainUnavailableError",
    "CheckResult",
    "Code",
    "SignatureError",
    "Status",
    "Trust",
    "TrustConfig",
    "TrustConfigError",
    "Verdict",
    "VerificationReport",
    "Verifier",
    "VerifierError",
    "load_trust",
    "parse_bundle",
    "parse_trust",
    "verify_offline",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562); anything else is not an attribute."""
    target = _ALIASES.get(name, name)
    module = _EXPORTS.get(target)
    if module is None:
        raise AttributeError(f"module 'verifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), target)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    """The module's names, the public API included before its first use."""
    return sorted({*globals(), *__all__})
