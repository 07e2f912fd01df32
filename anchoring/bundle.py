"""Build ``tanji-bundle/1`` verification bundles (docs/ARCHITECTURE.md, "Bundle").

A bundle is what a verifier needs to check a record on its own: the record (or its disclosed
part), the salts, the leaf, the proof, the root and where the root was anchored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from anchoring.errors import BundleError
from anchoring.ledger import AnchoredLeaf
from verifier.protocol.leaf import field_commitment, field_salt, record_leaf_value
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
    leaf_value = record_leaf_value(record, salt)
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


def _hex(value: bytes) -> str:
    return "0x" + value.hex()
