"""Reason codes, two separate tables (docs/PROTOCOL.md, "Revocation reasons").

- :data:`REVOCATION_REASONS`: why a root or a leaf was **revoked on chain**: the ``uint16`` reason
  of the anchor contract's ``revokeRoot``/``revokeLeaf`` (``0`` = not revoked). The ``not_revoked``
  check reports it (500/501, ``data.reasonCode``/``data.reasonName``).
- :data:`WITHDRAWAL_REASONS`: why a certification body **withdrew a recognition**: the ``uint16``
  ``reason`` member of a signed ``Withdrawal`` statement (section 16). A withdrawal is carried out
  on chain as a revocation with reason :attr:`RevocationReason.WITHDRAWN`.

The two lists are independent: withdrawal reason 1 (agreement terminated) is not revocation
reason 1 (superseded). Codes are stable: a published code keeps its meaning and its machine
``name`` forever and is never reused; ``0`` is never a reason. Each reason's text is keyed by every
language tag of :data:`verifier.protocol.languages.LANGUAGES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from verifier.protocol.languages import LANGUAGES, Language, normalize

__all__ = [
    "NOT_REVOKED",
    "REVOCATION_REASONS",
    "UNKNOWN_REVOCATION",
    "WITHDRAWAL_REASONS",
    "Reason",
    "RevocationReason",
    "WithdrawalReason",
    "revocation_reason",
]

#: The anchor contract's reason for a root or leaf that is not revoked.
NOT_REVOKED: Final = 0


class RevocationReason(IntEnum):
    """On-chain revocation reason codes (``uint16``); the machine name is the lower-cased name."""

    SUPERSEDED = 1
    WITHDRAWN = 2
    DATA_ERROR = 3
    CERTIFICATE_SUSPENDED = 4
    FRAUD = 5
    KEY_COMPROMISE = 6


class WithdrawalReason(IntEnum):
    """Recognition-withdrawal reason codes (``Withdrawal.reason``, ``uint16``)."""

    AGREEMENT_TERMINATED = 1
    AGREEMENT_SUSPENDED = 2
    REQUIREMENTS_NOT_MET = 3
    ISSUED_IN_ERROR = 4
    SUPERSEDED = 5


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: its code, a stable machine name and its text in every language."""

    code: int
    name: str
    text: Mapping[Language, str]

    def describe(self, lang: str = "en") -> str:
        """The text in ``lang`` (any tag :func:`~verifier.protocol.languages.normalize` reads)."""
        return self.text[normalize(lang) or "en"]


def _table(
    codes: type[IntEnum], texts: Mapping[IntEnum, Mapping[Language, str]]
) -> Mapping[int, Reason]:
    assert set(texts) == set(codes), "every code has a text"
    for code, by_lang in texts.items():
        assert tuple(by_lang) == LANGUAGES, f"{code!r} is written in every language"
    return MappingProxyType(
        {
            int(code): Reason(int(code), code.name.lower(), MappingProxyType(dict(texts[code])))
            for code in codes
        }
    )


#: On-chain revocation reasons by code.
REVOCATION_REASONS: Final[Mapping[int, Reason]] = _table(
    RevocationReason,
    {
        RevocationReason.SUPERSEDED: {
            "zh-Hans": "已被新记录取代",
            "zh-Hant": "已被新紀錄取代",
            "en": "superseded by a newer record",
        },
        RevocationReason.WITHDRAWN: {
            "zh-Hans": "发证方已撤回",
            "zh-Hant": "發證方已撤回",
            "en": "withdrawn by the issuer",
        },
        RevocationReason.DATA_ERROR: {
            "zh-Hans": "数据错误",
            "zh-Hant": "數據錯誤",
            "en": "data error",
        },
        RevocationReason.CERTIFICATE_SUSPENDED: {
            "zh-Hans": "证书已暂停",
            "zh-Hant": "證書已暫停",
            "en": "certificate suspended",
        },
        RevocationReason.FRAUD: {
            "zh-Hans": "欺诈或虚假陈述",
            "zh-Hant": "欺詐或虛假陳述",
            "en": "fraud or misstatement",
        },
        RevocationReason.KEY_COMPROMISE: {
            "zh-Hans": "密钥泄露",
            "zh-Hant": "密鑰外洩",
            "en": "key compromise",
        },
    },
)

#: Recognition-withdrawal reasons by code (a different list from :data:`REVOCATION_REASONS`).
WITHDRAWAL_REASONS: Final[Mapping[int, Reason]] = _table(
    WithdrawalReason,
    {
        WithdrawalReason.AGREEMENT_TERMINATED: {
            "zh-Hans": "互认协议已终止",
            "zh-Hant": "互認協議已終止",
            "en": "agreement terminated",
        },
        WithdrawalReason.AGREEMENT_SUSPENDED: {
            "zh-Hans": "互认协议已暂停",
            "zh-Hant": "互認協議已暫停",
            "en": "agreement suspended",
        },
        WithdrawalReason.REQUIREMENTS_NOT_MET: {
            "zh-Hans": "认可对象已不再符合协议要求",
            "zh-Hant": "認可對象已不再符合協議要求",
            "en": "subject no longer meets the agreement's requirements",
        },
        WithdrawalReason.ISSUED_IN_ERROR: {
            "zh-Hans": "签发有误",
            "zh-Hant": "簽發有誤",
            "en": "issued in error",
        },
        WithdrawalReason.SUPERSEDED: {
            "zh-Hans": "已被新的认可取代",
            "zh-Hant": "已被新的認可取代",
            "en": "superseded by a new recognition",
        },
    },
)

#: Text of a non-zero revocation code that is not in :data:`REVOCATION_REASONS` (``{code}``).
UNKNOWN_REVOCATION: Final[Mapping[Language, str]] = MappingProxyType(
    {"zh-Hans": "未知原因 {code}", "zh-Hant": "未知原因 {code}", "en": "unknown reason {code}"}
)


def revocation_reason(code: int) -> Reason:
    """The on-chain revocation reason for ``code``; an unknown non-zero code still reads as revoked
    (name ``unknown``)."""
    known = REVOCATION_REASONS.get(code)
    if known is not None:
        return known
    text = {lang: UNKNOWN_REVOCATION[lang].format(code=code) for lang in LANGUAGES}
    return Reason(code, "unknown", MappingProxyType(text))
