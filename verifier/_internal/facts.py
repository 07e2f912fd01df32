"""What a label bundle states, for people: the lines ``tanji verify`` prints after its verdict.

A label's record is self-contained (product, company, footprint, grade, certificate number,
validity, certifier); its recognitions are nested bundles whose ``recognition`` check results
already read as sentences (``recognised by ... under ... for ...``). Every text comes from the
report catalogue (``verifier/protocol/report_messages.json``): this module only picks the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from verifier._internal.checks import CheckResult, Status
from verifier.protocol.codes import Code
from verifier.protocol.languages import Language, normalize
from verifier.protocol.messages import report_message
from verifier.protocol.records import LABEL

__all__ = ["label_facts", "recognition_held", "replacement_lines"]

# A recognition listed twice (892) is told once; a malformed bundle (901) has none to tell.
_NOT_COUNTED: Final = frozenset({Code.RECOGNITION_DUPLICATE, Code.SKIPPED_FORMAT_INVALID})
# A name's stand-ins when it lacks the reader's language, best first (by normalized tag).
_FALLBACKS: Final[Mapping[Language, tuple[Language, ...]]] = {
    "zh-Hans": ("zh-Hans", "zh-Hant", "en"),
    "zh-Hant": ("zh-Hant", "zh-Hans", "en"),
    "en": ("en", "zh-Hans", "zh-Hant"),
}


def _name(names: Any, lang: Language) -> str:
    """A name keyed by language tag (``{"zh": ..., "en": ...}``) in ``lang`` or its stand-in."""
    if isinstance(names, str):
        return names
    if not isinstance(names, Mapping):
        return "?"
    by_lang: dict[Language, str] = {}
    for tag, text in names.items():
        language = normalize(str(tag))
        if language is not None and isinstance(text, str) and text and language not in by_lang:
            by_lang[language] = text
    for candidate in _FALLBACKS[lang]:
        if candidate in by_lang:
            return by_lang[candidate]
    return "?"


def _number(value: Any) -> Any:
    """A number as people write it (``34``, not ``34.0``); anything else as it is."""
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return value


def _get(record: Mapping[str, Any], *path: str) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def recognition_held(result: CheckResult, results: Sequence[CheckResult]) -> bool | None:
    """Whether a ``recognition`` result holds: True when it and every other check of its bundle
    passed, None when some check of its bundle could not be carried out (ERROR), else False."""
    same = [r for r in results if r.path == result.path]
    if any(r.status is Status.ERROR for r in same):
        return None
    others_hold = all(r.status in (Status.VALID, Status.SKIPPED) for r in same)
    return result.status is Status.VALID and others_hold


def label_facts(
    record: Any, results: Sequence[CheckResult], lang: Language, *, proven: bool
) -> list[str]:
    """The lines on what a label record states, in ``lang`` (none for another record type).

    ``proven``: the verification found the record genuine (VALID or SUPERSEDED, online), so the
    heading says "what was verified"; otherwise "what the label states (not proven)".
    """
    if not isinstance(record, Mapping) or record.get("type") != LABEL:
        return []
    if not all(isinstance(record.get(k), Mapping) for k in ("product", "footprint", "grade")):
        return []  # not a registry label record: nothing a person could read from it
    lines = [report_message("facts.verified" if proven else "facts.claimed", lang)]

    def add(key: str, **data: Any) -> None:
        lines.append("  " + report_message(key, lang, data))

    add(
        "facts.product",
        name=_name(_get(record, "product", "name"), lang),
        gtin=_get(record, "product", "gtin"),
    )
    add("facts.company", company=_get(record, "company", "name") or "?")
    add(
        "facts.footprint",
        value=_number(_get(record, "footprint", "kg_co2e_per_unit")),
        amount=_number(_get(record, "footprint", "declared_amount")),
        unit=_get(record, "footprint", "declared_unit"),
    )
    add(
        "facts.grade",
        grade=_get(record, "grade", "grade"),
        scheme=_get(record, "grade", "scheme"),
        version=_get(record, "grade", "schemeVersion"),
        illustrative=bool(_get(record, "grade", "illustrative")),
    )
    add("facts.certificate", number=record.get("certificate_number"))
    add(
        "facts.validity",
        **{
            "from": _get(record, "validity", "valid_from"),
            "until": _get(record, "validity", "valid_until"),
        },
    )
    add("facts.certifier", certifier=_get(record, "certifier", "name"))
    for result in results:
        if result.name != "recognition" or result.code in _NOT_COUNTED:
            continue
        held = recognition_held(result, results)
        key = {True: "facts.recognition", None: "facts.recognition.unchecked"}.get(
            held, "facts.recognition.notAccepted"
        )
        add(key, text=result.message(lang))
    return lines


def replacement_lines(replacement: Mapping[str, Any] | None, lang: Language) -> list[str]:
    """The lines naming the label that replaced a superseded one (``replacement``: ``id``,
    ``url``, ``confirmed``; None when nobody said which)."""
    if not replacement:
        return [report_message("superseded.unknown", lang)]
    lines = [report_message("superseded.by", lang, replacement)]
    if replacement.get("url"):
        lines.append(report_message("superseded.verify", lang, replacement))
    return lines
