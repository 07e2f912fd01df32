"""What every check shares: its result, its target, the protocol it follows and how it is run.

A check is a small object with a ``name``, a ``skip`` condition and a ``run``; a caller may add,
remove or replace checks. A check's result carries a stable ``code`` and the ``data`` it found,
never prose: its message in any language is the catalogue's template for that code filled from
that data (:mod:`verifier.protocol.messages`). ``run_check`` turns anything a check did not
foresee into an ERROR result: an unexpected exception never crashes verification and never reads
as VALID. A chain node that does not answer is ERROR, never INVALID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from verifier._internal.bundle import Bundle
from verifier._internal.checks.evidence import ChainEvidence, NoRpcUrlError
from verifier._internal.trust import TrustConfig
from verifier.errors import ChainResponseError, ChainUnavailableError
from verifier.protocol.codes import Code
from verifier.protocol.languages import DEFAULT_LANGUAGE, LANGUAGES, Language
from verifier.protocol.messages import message
from verifier.protocol.verdicts import Status

__all__ = [
    "Check",
    "CheckResult",
    "Results",
    "Status",
    "Target",
    "hex_text",
    "run_check",
    "skip_unparsed_or_pending",
    "skip_untrusted_anchor",
]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's result: a stable ``code`` and the ``data`` its message is filled from."""

    name: str
    status: Status
    code: int
    data: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""  # where the bundle sits in its parent: "" or "attestations[0]" ...

    @property
    def qualified_name(self) -> str:
        """The check name prefixed with the nested bundle's path (``attestations[0].anchored``)."""
        return f"{self.path}.{self.name}" if self.path else self.name

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The result's message in ``lang`` (any tag ``normalize`` reads), from the catalogue."""
        return message(self.code, lang, self.data, check=self.name)

    @property
    def reason(self) -> str:
        """The message in English (the wire's ``reason``)."""
        return self.message("en")

    @property
    def reasons(self) -> dict[Language, str]:
        """The message in every language Tanji writes, keyed by language tag."""
        return {lang: self.message(lang) for lang in LANGUAGES}

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON object (camelCase, as on the wire)."""
        return {
            "name": self.qualified_name,
            "check": self.name,
            "path": self.path,
            "status": self.status.value,
            "code": int(self.code),
            "reason": self.reason,
            "reasons": self.reasons,
            "data": dict(self.data),
        }


@dataclass(slots=True)
class Target:
    """One bundle under verification, as the checks see it."""

    bundle: Bundle | None
    format_error: BaseException | None = None
    evidence: ChainEvidence | None = None
    trust: TrustConfig | None = None
    path: str = ""
    parent: Bundle | None = None  # the bundle this one is nested in (a recognition's label)


class Check(Protocol):
    """A verification check: ``skip`` returns a SKIPPED result when the check does not apply."""

    @property
    def name(self) -> str:
        """The stable check name (``format``, ``integrity`` ...)."""
        ...

    def skip(self, target: Target) -> CheckResult | None:
        """A SKIPPED result, or None when the check should run."""
        ...

    def run(self, target: Target) -> CheckResult:
        """Run the check on a target it applies to."""
        ...


class Results:
    """Builds the results of one check at one path: a status, a code and data."""

    def __init__(self, name: str, path: str) -> None:
        """Results of the check ``name`` for the bundle at ``path``."""
        self.name, self.path = name, path

    def valid(self, **data: Any) -> CheckResult:
        """VALID (code 0): the check holds; ``data`` is what it found."""
        return CheckResult(self.name, Status.VALID, Code.OK, data, self.path)

    def invalid(self, code: Code, **data: Any) -> CheckResult:
        """INVALID: the bundle fails this check."""
        return CheckResult(self.name, Status.INVALID, code, data, self.path)

    def superseded(self, code: Code, **data: Any) -> CheckResult:
        """SUPERSEDED: the record was genuine and has been replaced by a newer one."""
        return CheckResult(self.name, Status.SUPERSEDED, code, data, self.path)

    def error(self, code: Code, **data: Any) -> CheckResult:
        """ERROR: the check could not be carried out (no judgement on the bundle)."""
        return CheckResult(self.name, Status.ERROR, code, data, self.path)

    def skipped(self, code: Code, **data: Any) -> CheckResult:
        """SKIPPED: the check does not apply, or cannot be relied on here."""
        return CheckResult(self.name, Status.SKIPPED, code, data, self.path)


def run_check(check: Check, target: Target) -> CheckResult:
    """Run one check; turn any exception into an ERROR result (never VALID, never a crash)."""
    make = Results(check.name, target.path)
    try:
        result = check.skip(target)
        if result is None:
            result = check.run(target)
    except NoRpcUrlError:
        return make.error(Code.ANCHORED_NO_RPC_URL, chainId=_chain_id(target))
    except ChainResponseError as exc:
        return make.error(Code.CHAIN_BAD_ANSWER, error=str(exc))
    except ChainUnavailableError as exc:
        return make.error(Code.CHAIN_UNAVAILABLE, error=str(exc))
    except Exception as exc:
        return make.error(
            Code.INTERNAL_ERROR, check=check.name, exception=type(exc).__name__, error=str(exc)
        )
    return result


def skip_unparsed_or_pending(name: str, target: Target) -> CheckResult | None:
    """SKIPPED for a bundle that could not be parsed (901) or is not yet anchored (900)."""
    make = Results(name, target.path)
    if target.bundle is None:
        return make.skipped(Code.SKIPPED_FORMAT_INVALID)
    if target.bundle.pending:
        return make.skipped(Code.SKIPPED_PENDING)
    return None


def skip_untrusted_anchor(name: str, target: Target) -> CheckResult | None:
    """As :func:`skip_unparsed_or_pending`, and SKIPPED (902) when the anchor is not trusted."""
    skipped = skip_unparsed_or_pending(name, target)
    if skipped is not None:
        return skipped
    assert target.evidence is not None
    if not target.evidence.anchor_trusted():
        # Asking an untrusted contract whether it revoked something would mean nothing.
        return Results(name, target.path).skipped(Code.SKIPPED_ANCHOR_UNTRUSTED)
    return None


def hex_text(data: bytes) -> str:
    """``data`` as ``0x``-prefixed lower-case hex (as on the wire)."""
    return "0x" + data.hex()


def _chain_id(target: Target) -> object:
    anchor = target.bundle.anchor if target.bundle else None
    return anchor.chain_id if anchor else None
