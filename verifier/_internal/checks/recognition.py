"""``recognition``: a nested recognition is genuinely signed, about the label it is nested in,
and, when its recognizer is a body of the trust file, in force and under an accepted scheme and
category (codes 8xx; docs/PROTOCOL.md, section 10.7)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from verifier._internal.bundle import Bundle
from verifier._internal.checks.base import (
    CheckResult,
    Results,
    Target,
    hex_text,
    skip_unparsed_or_pending,
)
from verifier._internal.trust import CertificationBody
from verifier.errors import AttestationError
from verifier.protocol import records
from verifier.protocol.codes import Code
from verifier.protocol.eip712 import RECORD_MEMBERS
from verifier.protocol.recognition import RECOGNITION, scheme_subject
from verifier.protocol.scheme import label_category, label_scheme_id

__all__ = ["RecognitionCheck"]


class RecognitionCheck:
    """``recognition``: a nested recognition is genuinely signed, about the label it is nested in,
    and, when its recognizer is a body of the trust file, under an accepted scheme and category and
    in force now.

    A recognition by a body the trust file does not list is SKIPPED (891), not INVALID: it is no
    evidence of forgery, only nothing this verifier can rely on. Its own ``integrity`` ...
    ``issuer`` results still judge it like any nested bundle. Applies to ``recognition`` records
    only; whether the recognition was withdrawn is the ``not_revoked`` check of the same nested
    bundle (a withdrawal revokes its leaf on chain).
    """

    name: Final = "recognition"

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        """``clock`` gives the unix time the recognition must be in force at (default: now)."""
        self._clock = clock

    def applies(self, target: Target) -> bool:
        """Only recognition records get a ``recognition`` result."""
        return target.bundle is not None and target.bundle.record.get("type") == records.RECOGNITION

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed bundles."""
        if target.bundle is None:
            return skip_unparsed_or_pending(self.name, target)
        return None

    def run(self, target: Target) -> CheckResult:
        """Signature, domain, subject; then, for a body of the trust file, validity, scheme and
        category (docs/PROTOCOL.md, section 10.7)."""
        make = Results(self.name, target.path)
        assert target.bundle is not None
        record = target.bundle.record
        # 1. Every signed member is disclosed: a redacted signature proves nothing about who.
        hidden = [name for name in RECORD_MEMBERS if name not in record]
        if hidden:
            return make.invalid(Code.RECOGNITION_REDACTED, hidden=hidden)
        # 2. The EIP-712 signature recovers to the recognizer named in the message.
        try:
            signer = RECOGNITION.verify_record(dict(record))
        except AttestationError as exc:  # SignatureError is an AttestationError
            return make.invalid(
                Code.RECOGNITION_BAD_SIGNATURE, errorCode=exc.code, field=exc.field, detail=str(exc)
            )
        message = RECOGNITION.validate(record["message"])
        statement = _Statement(make, target.bundle, target, message, signer)
        # 3, 4, 4a: for a trusted deployment, about this label, listed once. These hold for
        # anybody's recognition: a forged or misplaced one is INVALID whoever claims to sign it.
        found = (
            _untrusted_domain(statement)
            or _about_another_subject(statement)
            or _listed_before(statement)
        )
        if found is not None:
            return found
        # 5. Relied on only if signed by a body of the trust file.
        body = _certification_body(statement)
        if body is None:
            return _not_relied_on(statement)
        statement.facts["recognizerName"] = body.name
        # 6, 7: in force now, under a scheme and for a category the trust file accepts.
        return (
            _not_in_force(statement, int(self._clock()))
            or _not_accepted(statement, body)
            or statement.make.valid(**statement.facts)
        )


@dataclass(slots=True)
class _Statement:
    """A genuinely signed recognition under verification, and the facts its results report."""

    make: Results
    bundle: Bundle
    target: Target
    message: Mapping[str, Any]
    signer: str
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        message = self.message
        self.facts |= {
            "recognizer": self.signer,
            "scheme": message["scheme"],
            "subjectType": message["subjectType"],
            "category": message["category"],
            "validFrom": message["validFrom"],
            "validUntil": message["validUntil"],
            "validFromUtc": _utc(message["validFrom"]),
            "validUntilUtc": _utc(message["validUntil"]) if message["validUntil"] else "",
        }

    @property
    def label(self) -> Bundle | None:
        """The bundle the recognition is nested in (None: a bundle of the recognition itself)."""
        return self.target.parent


def _untrusted_domain(s: _Statement) -> CheckResult | None:
    """3. Signed for a deployment this verifier trusts (no replay from another registry)."""
    record, trust = s.bundle.record, s.target.trust
    if trust is None or trust.trusts_contract(record["chainId"], record["verifyingContract"]):
        return None
    return s.make.invalid(
        Code.RECOGNITION_UNTRUSTED_DOMAIN,
        verifyingContract=record["verifyingContract"],
        chainId=record["chainId"],
        **s.facts,
    )


def _about_another_subject(s: _Statement) -> CheckResult | None:
    """4. About the label it is nested in: its category, and its leaf or its scheme."""
    label = s.label
    if label is None:
        return None
    message = s.message
    category, label_cat = message["category"], label_category(label.record)
    scheme_id = label_scheme_id(label.record)
    if message["subjectType"] == "label":
        about = message["subject"] == hex_text(label.leaf)
    else:
        about = scheme_id is not None and message["subject"] == scheme_subject(scheme_id, category)
    if about and not (category and label_cat is not None and category != label_cat):
        return None
    return s.make.invalid(
        Code.RECOGNITION_SUBJECT_MISMATCH,
        subject=message["subject"],
        labelLeaf=hex_text(label.leaf),
        labelScheme=scheme_id,
        labelCategory=label_cat,
        **s.facts,
    )


def _listed_before(s: _Statement) -> CheckResult | None:
    """4a. Counted once: a genuine recognition listed again under the same label (same record id,
    so the same signed statement) is reported, not relied on a second time."""
    bundle, label = s.bundle, s.label
    if label is None:
        return None
    record_id = str(bundle.record["id"]).lower()
    for index, sibling in enumerate(label.recognitions):
        if sibling is bundle:
            return None
        if str(sibling.record["id"]).lower() == record_id:
            return s.make.skipped(
                Code.RECOGNITION_DUPLICATE, duplicateOf=f"recognitions[{index}]", **s.facts
            )
    return None


def _certification_body(s: _Statement) -> CertificationBody | None:
    """5. The trust file's certification body that signed the recognition, if any."""
    trust = s.target.trust
    return trust.certification_body(s.signer) if trust is not None else None


def _not_relied_on(s: _Statement) -> CheckResult:
    """5. A genuine recognition by a body this verifier does not know is no evidence against the
    label: reported, not relied on, and it does not decide the verdict."""
    trust = s.target.trust
    if trust is None or not trust.certification_bodies:
        return s.make.skipped(Code.RECOGNITION_NONE_CONFIGURED, **s.facts)
    return s.make.skipped(Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE, **s.facts)


def _not_in_force(s: _Statement, now: int) -> CheckResult | None:
    """6. In force at ``now`` (a withdrawal is the not_revoked check's finding)."""
    if now < s.message["validFrom"]:
        return s.make.invalid(Code.RECOGNITION_NOT_YET_VALID, **s.facts)
    if s.message["validUntil"] and now >= s.message["validUntil"]:
        return s.make.invalid(Code.RECOGNITION_EXPIRED, **s.facts)
    return None


def _not_accepted(s: _Statement, body: CertificationBody) -> CheckResult | None:
    """7. Under a scheme and for a category the trust file accepts from that body. A recognition
    without a category of a label is for the label's own category."""
    trust, scheme = s.target.trust, s.message["scheme"]
    assert trust is not None
    if not (body.accepts_scheme(scheme) and trust.accepts_scheme(scheme)):
        return s.make.invalid(Code.RECOGNITION_SCHEME_NOT_ACCEPTED, **s.facts)
    label = s.label
    label_cat = label_category(label.record) if label is not None else None
    own = label_cat if s.message["subjectType"] == "label" else None
    s.facts["effectiveCategory"] = s.message["category"] or own or ""
    if not body.accepts_category(s.facts["effectiveCategory"]):
        return s.make.invalid(Code.RECOGNITION_CATEGORY_NOT_ACCEPTED, **s.facts)
    return None


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
