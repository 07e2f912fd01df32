"""Reading documents (JSON, restricted YAML) and their digests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.accounting.samples import dataset, inventory, line
from verifier.protocol.accounting import (
    AccountingError,
    document_digest,
    load_document,
    parse_factor_dataset,
    parse_inventory,
)
from verifier.protocol.accounting.documents import validated_digest

ROOT = Path(__file__).resolve().parents[3]
VECTORS = json.loads((ROOT / "tests" / "assets" / "calculation_vectors.json").read_text("utf-8"))


def accepted_documents() -> list[Any]:
    tricky = inventory([line("L1", "1", "kg", "steel", name='钢 "Q235" \\ back, ü 𝔘')])
    return [
        dataset(),
        inventory(),
        tricky,
        *VECTORS["datasets"],
        *(case["inventory"] for case in VECTORS["cases"]),
    ]


@pytest.mark.parametrize("doc", accepted_documents())
def test_the_fast_digest_of_an_accepted_document_is_its_jcs_digest(doc: dict[str, Any]) -> None:
    assert validated_digest(doc) == document_digest(doc)


def test_the_parsers_name_documents_by_their_jcs_digest() -> None:
    tricky = accepted_documents()[2]
    assert parse_inventory(tricky).digest == document_digest(tricky)
    assert parse_factor_dataset(dataset()).digest == document_digest(dataset())


def test_the_yaml_reader_has_only_json_types() -> None:
    text = (
        "a: 0.42\nb: 2\nc: 2026-12-01\nd: true\ne: yes\nf: ~\ng: 1_000\nh: 0x10\n"
        "i: [1, 2.5, x]\nj: 1:30\nk: .5\nl: 1e3\nm: '07'\nn: 07\n"
    )
    assert load_document(text) == {
        "a": "0.42", "b": 2, "c": "2026-12-01", "d": True, "e": "yes", "f": None,
        "g": "1_000", "h": "0x10", "i": [1, "2.5", "x"], "j": "1:30", "k": ".5", "l": "1e3",
        "m": "07", "n": "07",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: 1\na: 2\n", "duplicate_key"),
        ("x: &a [1]\ny: *a\n", "not_yaml"),
        ("? [1]\n: 2\n", "not_yaml"),
        ("a: !!python/object:os.system x\n", "not_yaml"),
        ('{"a": NaN}', "not_json"),
        (b"\xff\xfe{", "not_json"),
    ],
)
def test_unreadable_documents(text: str | bytes, code: str) -> None:
    with pytest.raises(AccountingError) as caught:
        load_document(text)
    assert caught.value.code == code


def test_a_document_over_the_size_limit() -> None:
    from verifier.protocol.accounting.documents import MAX_DOCUMENT_BYTES

    with pytest.raises(AccountingError) as caught:
        load_document(b" " * (MAX_DOCUMENT_BYTES + 1))
    assert caught.value.code == "too_large"
