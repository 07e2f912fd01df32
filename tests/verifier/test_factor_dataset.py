"""The ``FactorDataset`` statement (verifier/protocol/factor_dataset.py): its EIP-712 hash is
eth-account's, and a ``factor_dataset`` record binds its dataset, version, digest and signer."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from verifier.errors import AttestationError
from verifier.protocol.accounting.documents import document_digest
from verifier.protocol.factor_dataset import (
    FACTOR_DATASET,
    factor_dataset_record,
    record_id,
    split_record_id,
    verify_factor_dataset_record,
)
from verifier.protocol.hashing import keccak

KEY = "0x" + keccak(b"tanji/tests/factor-dataset/publisher").hex()
OTHER_KEY = "0x" + keccak(b"tanji/tests/factor-dataset/other").hex()
CHAIN_ID = 20240
CONTRACT = "0x" + "ab" * 20


def _document(key: str = KEY) -> dict[str, Any]:
    return {
        "format": "tanji-factors/1",
        "dataset": "cq-test",
        "version": "2024.1",
        "publisher": {"name": "Test publisher", "address": Account.from_key(key).address},
        "published": "2026-12-01",
        "deprecates": [],
        "factors": [{"id": "x", "value": "1.5"}],
    }


def _record(document: dict[str, Any], key: str = KEY) -> dict[str, Any]:
    message = {
        "dataset": document["dataset"],
        "version": document["version"],
        "digest": document_digest(document),
    }
    typed = FACTOR_DATASET.typed_data(message, chain_id=CHAIN_ID, contract=CONTRACT)
    signed = Account.sign_typed_data(key, full_message=typed)
    return factor_dataset_record(
        typed, bytes(signed.signature), annotations={"publisherName": "Test publisher"}
    )


def test_the_hash_is_eth_accounts_and_the_record_verifies() -> None:
    document = _document()
    message = {"dataset": "cq-test", "version": "2024.1", "digest": document_digest(document)}
    typed = FACTOR_DATASET.typed_data(message, chain_id=CHAIN_ID, contract=CONTRACT)
    ours = FACTOR_DATASET.digest(message, chain_id=CHAIN_ID, contract=CONTRACT)
    assert ours == _hash_eip191_message(encode_typed_data(full_message=typed))
    record = _record(document)
    assert record["type"] == "factor_dataset" and record["id"] == "cq-test@2024.1"
    assert record["statement"] == "0x" + ours.hex()
    signer = Account.from_key(KEY).address
    assert verify_factor_dataset_record(record) == signer
    assert verify_factor_dataset_record(record, document=document) == signer


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r, d: r.update(id="cq-test@2"), "id_mismatch"),
        (lambda r, d: r.update(statement="0x" + "00" * 32), "statement_mismatch"),
        (lambda r, d: r.update(signer=Account.from_key(OTHER_KEY).address), "signer_mismatch"),
        (lambda r, d: r.update(type="attestation"), "wrong_record_type"),
        (lambda r, d: r["message"].update(version="2"), "id_mismatch"),
        (lambda r, d: d["factors"][0].update(value="1.6"), "digest_mismatch"),
        (lambda r, d: d["publisher"].update(address=Account.from_key(OTHER_KEY).address), None),
    ],
)
def test_a_changed_record_or_document_is_refused(change: Any, code: str | None) -> None:
    document = _document()
    record = _record(document)
    record, document = copy.deepcopy(record), copy.deepcopy(document)
    change(record, document)
    with pytest.raises(AttestationError) as refused:
        verify_factor_dataset_record(record, document=document)
    # A publisher address edited in the document changes its digest first.
    assert refused.value.code == (code or "digest_mismatch")


def test_a_document_naming_another_publisher_than_its_signer_is_refused() -> None:
    document = _document(OTHER_KEY)  # names OTHER_KEY's address, signed below by KEY
    record = _record(document, KEY)
    with pytest.raises(AttestationError) as refused:
        verify_factor_dataset_record(record, document=document)
    assert refused.value.code == "signer_mismatch"
    assert refused.value.field == "document.publisher.address"


def test_record_ids() -> None:
    assert record_id("cn-grid", "2024.1") == "cn-grid@2024.1"
    assert split_record_id("cn-grid@2024.1") == ("cn-grid", "2024.1")
    for bad in ("cn-grid", "CN@1", "cn-grid@", "cn-grid@1@2"):
        with pytest.raises(AttestationError):
            split_record_id(bad)
