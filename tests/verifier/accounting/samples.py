"""Small documents for the accounting tests, with values chosen to be computed by hand."""

from __future__ import annotations

import copy
from typing import Any

from eth_account import Account

from verifier.protocol.accounting import FACTORS_FORMAT, INVENTORY_FORMAT, document_digest
from verifier.protocol.factor_dataset import (
    DOCUMENT_MEMBER,
    FACTOR_DATASET,
    factor_dataset_record,
)
from verifier.protocol.hashing import keccak

#: The test publisher's signing key: its address is the documents' ``publisher.address``.
PUBLISHER_KEY = "0x" + keccak(b"tanji/tests/accounting/publisher").hex()
PUBLISHER = {
    "name": "Chongqing test data centre",
    "address": Account.from_key(PUBLISHER_KEY).address,
}
QUALITY = {
    "reliability": 1,
    "completeness": 2,
    "temporal": 1,
    "geographical": 1,
    "technological": 2,
}


def factor(factor_id: str, value: Any, unit: str, **changes: Any) -> dict[str, Any]:
    """A cited CO2e factor (AR6-100) with ``changes`` applied."""
    item: dict[str, Any] = {
        "id": factor_id,
        "names": {"zh-Hans": f"因子 {factor_id}", "en": f"factor {factor_id}"},
        "value": value,
        "unit": unit,
        "gases": "CO2e",
        "gwp": "AR6-100",
        "geography": "CN",
        "year": 2022,
        "source": {"document": "Test document", "table": "Table 1"},
        "uncertainty": {"distribution": "lognormal", "gsd": "1.1"},
        "quality": dict(QUALITY),
    }
    item.update(changes)
    return item


def dataset(
    name: str = "test-data", version: str = "1", factors: list[Any] | None = None
) -> dict[str, Any]:
    """A factor dataset version document."""
    return {
        "format": FACTORS_FORMAT,
        "dataset": name,
        "version": version,
        "publisher": dict(PUBLISHER),
        "published": "2026-12-01",
        "deprecates": [],
        "factors": factors
        if factors is not None
        else [
            factor("grid", "0.5366", "kg CO2e / kWh"),
            factor("steel", "2.1", "t CO2e / t", quality={**QUALITY, "reliability": 3}),
            factor("truck", "0.05", "kg CO2e / (t*km)", illustrative=True, source={}),
            factor(
                "diesel",
                "74.3532",
                "t CO2e / TJ",
                gases={"CO2": "74.1", "CH4-fossil": "0.003", "N2O": "0.0006"},
                gwp="AR6-100",
            ),
        ],
    }


def ref(doc: dict[str, Any]) -> dict[str, str]:
    """The inventory's ``factorDatasets`` entry for a dataset document."""
    return {"dataset": doc["dataset"], "version": doc["version"], "digest": document_digest(doc)}


def line(
    line_id: str, amount: Any, unit: str, factor_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A line of ``test-data@1`` (or with ``extra`` sources)."""
    item: dict[str, Any] = {
        "id": line_id,
        "kind": extra.pop("kind", "material"),
        "stage": extra.pop("stage", "raw_materials"),
        "amount": amount,
        "unit": unit,
    }
    if factor_id is not None:
        item["factor"] = {"dataset": "test-data", "version": "1", "id": factor_id}
    item.update(extra)
    return item


def inventory(lines: list[Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A laptop inventory over :func:`dataset`."""
    doc: dict[str, Any] = {
        "format": INVENTORY_FORMAT,
        "id": "inv-test",
        "category": "laptop",
        "product": {"names": {"zh-Hans": "笔记本电脑", "en": "Laptop"}},
        "declaredUnit": {"amount": "1", "unit": "piece"},
        "gwp": "AR6-100",
        "allocation": {"method": "none"},
        "factorDatasets": [ref(dataset())],
        "lines": lines
        if lines is not None
        else [
            line("L1", "0.42", "kg", "steel"),
            line("L2", "12", "kWh", "grid", kind="energy", stage="production"),
            line("L3", "1.2", "t*km", "truck", kind="transport", stage="distribution"),
            line("L4", "0.003", "kg", kind="process", stage="production", gas="CH4-fossil"),
            line(
                "L5",
                "1",
                "piece",
                component={
                    "attestation": "0x" + "cd" * 32,
                    "value": "12.5",
                    "unit": "kg CO2e / piece",
                },
            ),
        ],
    }
    doc.update(copy.deepcopy(changes))
    return doc


def version_bundle(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``tanji-bundle/1`` of ``doc``'s ``factor_dataset`` record, signed by the test
    publisher, with ``doc`` as its ``document`` (docs/PROTOCOL.md section 17.7; offline only: its
    anchor is made up)."""
    from tests.verifier.factories import Tree, make_bundle, salt_for
    from verifier.protocol.leaf import record_leaf_value

    message = {"dataset": doc["dataset"], "version": doc["version"], "digest": document_digest(doc)}
    typed = FACTOR_DATASET.typed_data(message, chain_id=31337, contract="0x" + "11" * 20)
    signed = Account.sign_typed_data(PUBLISHER_KEY, full_message=typed)
    record = factor_dataset_record(typed, bytes(signed.signature))
    salt = salt_for(record["id"])
    tree = Tree.of([record_leaf_value(record, salt), ["footprint", "fp-other", "0x" + "00" * 32]])
    return make_bundle(record, salt, tree, 0) | {DOCUMENT_MEMBER: copy.deepcopy(doc)}
