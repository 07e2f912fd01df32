"""The leaf check of a bundle (its record and salt against the anchored leaf value) through the C
JSON encoder first, and RFC 8785 where the two serialisations differ: same answers, never a
mismatch served."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from anchoring.bundle import _fast_leaf_value, build_bundle
from anchoring.errors import BundleError
from anchoring.ledger import AnchoredLeaf, leaf_hash_hex
from verifier.protocol.leaf import record_leaf_value

#: A label-shaped record: integral doubles, nested objects, lists, null, Chinese text.
LABEL_LIKE: dict[str, Any] = {
    "type": "label",
    "id": "waafgwpx6qr5",
    "product": {"name": {"zh": "示例 14 英寸轻薄笔记本电脑", "en": "Demo laptop"}, "serial": None},
    "footprint": {"kg_co2e_per_unit": 238.0, "fossil": 235.6, "amount": 1, "share": -0.0},
    "grade": {"thresholds": {"A+": 180.0, "A": 250.0}, "illustrative": True},
    "standards": ["ISO 14067:2018"],
    "notes": 'tab\tnewline\n quote" backslash\\ control\x01 del\x7f',
}
#: Values whose C encoder text is not their RFC 8785 text: the exact derivation decides.
UNLIKE: list[dict[str, Any]] = [
    {"type": "label", "id": "x", "small": 1e-7, "mid": 123456.789e-10},
    {"type": "label", "id": "x", "tiny": 0.00001},
    {"type": "label", "id": "x", "names": {"\U0001f600": 1, "\ufb01": 2, "a": 3}},
]


def anchored(record: dict[str, Any], salt: bytes) -> AnchoredLeaf:
    """The leaf the ledger would hold for ``record`` (computed the protocol's way)."""
    value = record_leaf_value(record, salt)
    return AnchoredLeaf(
        record_type=value[0],
        record_id=value[1],
        leaf_value=value,
        leaf_hash=leaf_hash_hex(value),
        proof=[],
        root="0x" + "00" * 32,
        chain_id=31337,
        contract="0x" + "5e" * 20,
        tx_hash="0x" + "11" * 32,
        block_number=1,
        timestamp=1,
    )


def test_the_c_encoder_gives_the_protocols_leaf_for_a_label_like_record() -> None:
    salt = secrets.token_bytes(32)
    assert _fast_leaf_value(LABEL_LIKE, salt) == record_leaf_value(LABEL_LIKE, salt)


@pytest.mark.parametrize("record", [LABEL_LIKE, *UNLIKE])
def test_a_bundle_carries_the_protocols_leaf_value(record: dict[str, Any]) -> None:
    salt = secrets.token_bytes(32)
    bundle = build_bundle(record=record, salt=salt, leaf=anchored(record, salt))
    assert bundle["leafValue"] == record_leaf_value(record, salt)


@pytest.mark.parametrize("record", UNLIKE)
def test_where_the_serialisations_differ_the_exact_one_decides(record: dict[str, Any]) -> None:
    salt = secrets.token_bytes(32)
    assert _fast_leaf_value(record, salt) != record_leaf_value(record, salt)
    build_bundle(record=record, salt=salt, leaf=anchored(record, salt))  # no BundleError


@pytest.mark.parametrize(
    "changed",
    [
        {**LABEL_LIKE, "footprint": {**LABEL_LIKE["footprint"], "kg_co2e_per_unit": 238.5}},
        {**LABEL_LIKE, "footprint": {**LABEL_LIKE["footprint"], "kg_co2e_per_unit": "238"}},
        {**LABEL_LIKE, "notes": LABEL_LIKE["notes"] + " "},
        {**LABEL_LIKE, "extra": None},
        {k: v for k, v in LABEL_LIKE.items() if k != "standards"},
    ],
)
def test_a_record_changed_since_anchoring_is_refused(changed: dict[str, Any]) -> None:
    salt = secrets.token_bytes(32)
    leaf = anchored(LABEL_LIKE, salt)
    with pytest.raises(BundleError, match="does not match"):
        build_bundle(record=changed, salt=salt, leaf=leaf)
    with pytest.raises(BundleError, match="does not match"):
        build_bundle(record=LABEL_LIKE, salt=secrets.token_bytes(32), leaf=leaf)


def test_a_value_json_cannot_hold_falls_back_to_the_exact_derivation() -> None:
    salt = secrets.token_bytes(32)
    record = {"type": "label", "id": "x", "bad": "lone \ud800 surrogate"}
    assert _fast_leaf_value(record, salt) is None
    assert _fast_leaf_value({"type": "label", "id": "x", "v": float("nan")}, salt) is None
