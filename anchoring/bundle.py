"""Build ``tanji-bundle/1`` verification bundles (docs/ARCHITECTURE.md, "Bundle").

A bundle is what a verifier needs to check a record on its own: the record (or its disclosed
part), the salts, the leaf, the proof, the root and where the root was anchored.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from anchoring.errors import BundleError
from anchoring.ledger import AnchoredLeaf
from verifier.errors import BundleFormatError
from verifier.protocol.canonical import NUMBER_LIMIT
from verifier.protocol.leaf import (
    canonical_field_commitment,
    commitments_digest,
    field_commitment,
    field_salt,
    record_leaf_value,
)
from verifier.protocol.leaf import leaf_value as leaf_value_of
from verifier.protocol.records import BUNDLE_FORMAT, LEAF_ENCODING, REQUIRED_FIELDS


def build_bundle(
    *,
    record: Mapping[str, Any],
    salt: bytes,
    leaf: AnchoredLeaf | None,
    disclose: Collection[str] | None = None,
    attestations: Iterable[Mapping[str, Any]] = (),
    recognitions: Iterable[Mapping[str, Any]] = (),
    finality: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the bundle of ``record`` (master ``salt``) anchored as ``leaf`` (``None``: pending).

    With ``disclose`` only those fields (plus ``type`` and ``id``, which the leaf value shows
    anyway) are included, each with its own salt; the others appear only as commitments and the
    master salt is left out. ``finality`` (``{"final", "confirmations", "required"}``) is
    given while the anchoring block is not final: the bundle then says so. Raises
    :class:`BundleError` when the record's leaf value differs
    from the one the ledger anchored, or ``disclose`` names a field the record lacks.
    """
    leaf_value = _checked_leaf_value(record, salt, leaf)
    if leaf is not None and list(leaf.leaf_value) != leaf_value:
        raise BundleError(
            f"{leaf.record_type} {leaf.record_id}: the record's leaf value does not match the "
            "anchored one (record or salt changed since it was anchored)"
        )
    bundle: dict[str, Any] = {"format": BUNDLE_FORMAT}
    if disclose is None:
        bundle["record"] = dict(record)
        bundle["salt"] = _hex(salt)
    else:
        unknown = sorted(set(disclose) - set(record))
        if unknown:
            raise BundleError(f"cannot disclose {unknown}: the record has no such field")
        shown = set(disclose) | set(REQUIRED_FIELDS)
        bundle["record"] = {name: value for name, value in record.items() if name in shown}
        salts = {name: field_salt(salt, name) for name in record}
        bundle["disclosure"] = {
            "salts": {name: _hex(salts[name]) for name in record if name in shown},
            "hidden": {
                name: _hex(field_commitment(name, value, salts[name]))
                for name, value in record.items()
                if name not in shown
            },
        }
    bundle["leafEncoding"] = list(LEAF_ENCODING)
    bundle["leafValue"] = leaf_value
    if leaf is None:
        bundle["status"] = "pending"
        bundle["anchor"] = None
    else:
        bundle["proof"] = list(leaf.proof)
        bundle["root"] = leaf.root
        bundle["anchor"] = {
            "chainId": leaf.chain_id,
            "contract": leaf.contract,
            "txHash": leaf.tx_hash,
            "blockNumber": leaf.block_number,
            "timestamp": leaf.timestamp,
        }
        if finality is not None:
            bundle["finality"] = dict(finality)
    bundle["attestations"] = [dict(b) for b in attestations]
    bundle["recognitions"] = [dict(b) for b in recognitions]
    return bundle


#: JSON text of a value in one C call: compact, members sorted, UTF-8 as it is, no NaN.
_FAST_JSON = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


def _checked_leaf_value(
    record: Mapping[str, Any], salt: bytes, leaf: AnchoredLeaf | None
) -> list[str]:
    """The leaf value of ``record``, computed to compare it with the anchored ``leaf``'s.

    The protocol's derivation (:func:`~verifier.protocol.leaf.record_leaf_value`) serialises
    each field by RFC 8785 in Python, most of a bundle's CPU. When the record is anchored, each
    field is first serialised by the C JSON encoder instead (:func:`_fast_leaf_value`); when the
    digest of those bytes is the anchored digest, it is returned. That is as safe as the exact
    check: the anchored digest commits to each field's RFC 8785 bytes, so equal digests mean
    each field's JSON text here is the very text anchored (short of a keccak collision), and
    so the record holds the anchored values. Where the two serialisations differ (an exponent,
    a member name beyond the Basic Multilingual Plane) the digests differ, and the exact
    derivation decides, as before: a mismatch is never served.
    """
    if leaf is not None:
        fast = _fast_leaf_value(record, salt)
        if fast is not None and fast == list(leaf.leaf_value):
            return fast
    return record_leaf_value(record, salt)


def _fast_leaf_value(record: Mapping[str, Any], salt: bytes) -> list[str] | None:
    """:func:`~verifier.protocol.leaf.record_leaf_value` with each field serialised by the C
    JSON encoder (integral doubles written as integers, as RFC 8785 writes them); ``None`` when
    a value cannot be written so (NaN, a lone surrogate, a type JSON lacks)."""
    try:
        commitments = {
            name: canonical_field_commitment(
                _FAST_JSON([name, _integral_as_int(value)]).encode("utf-8"),
                field_salt(salt, name),
                name=name,
            )
            for name, value in record.items()
        }
        return leaf_value_of(record, commitments_digest(commitments))
    except (ValueError, TypeError, RecursionError, BundleFormatError):
        return None


def _integral_as_int(value: Any) -> Any:
    """``value`` with every integral double (``238.0``) as the integer RFC 8785 writes (``238``)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < NUMBER_LIMIT else value
    if isinstance(value, dict):
        return {k: _integral_as_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_as_int(v) for v in value]
    return value


def _hex(value: bytes) -> str:
    return "0x" + value.hex()
