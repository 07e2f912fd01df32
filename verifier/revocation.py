"""Revocation reason codes (docs/PROTOCOL.md, "Revocation reasons"): uint16 on chain, 0 = active.

Codes are stable: a published code keeps its meaning and is never reused.
"""

from typing import Final, NamedTuple


class RevocationReason(NamedTuple):
    """A revocation reason: its code, a stable machine name and its English and Chinese text."""

    code: int
    name: str
    en: str
    zh: str


NOT_REVOKED: Final = 0

REVOCATION_REASONS: Final[dict[int, RevocationReason]] = {
    r.code: r
    for r in (
        RevocationReason(1, "superseded", "superseded by a newer record", "已被新记录取代"),
        RevocationReason(2, "withdrawn", "withdrawn by the issuer", "发证方已撤回"),
        RevocationReason(3, "data_error", "data error", "数据错误"),
        RevocationReason(4, "certificate_suspended", "certificate suspended", "证书已暂停"),
        RevocationReason(5, "fraud", "fraud or misstatement", "欺诈或虚假陈述"),
        RevocationReason(6, "key_compromise", "key compromise", "密钥泄露"),
    )
}


def revocation_reason(code: int) -> RevocationReason:
    """The reason for ``code``; an unknown non-zero code still reads as revoked."""
    return REVOCATION_REASONS.get(
        code, RevocationReason(code, "unknown", f"unknown reason {code}", f"未知原因 {code}")
    )
