"""The ``attestation_signature`` check on hand-built label bundles with nested supplier hops.

Bundles are built here from the protocol alone (no registry, no anchoring package): a label
whose ``components`` name a battery pack attestation, which cites a cell attestation upstream.
"""

from __future__ import annotations

import copy
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.verifier.factories import Tree, hx, make_bundle, redact, salt_for
from verifier._internal.bundle import parse_bundle
from verifier._internal.checks import AttestationSignatureCheck, Status, Target, run_check
from verifier._internal.trust import parse_trust
from verifier._internal.verifier import verify_offline
from verifier.protocol.attestation import attestation_record, attestation_typed_data
from verifier.protocol.codes import Code
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import record_leaf_value

CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CELL: LocalAccount = Account.from_key(keccak(b"tanji/tests/check-cell"))
PACK: LocalAccount = Account.from_key(keccak(b"tanji/tests/check-pack"))


def signed(account: LocalAccount, message: dict[str, Any], name: str) -> dict[str, Any]:
    typed = attestation_typed_data(message, chain_id=CHAIN_ID, contract=CONTRACT)
    types = {k: v for k, v in typed["types"].items() if k != "EIP712Domain"}
    signature = account.sign_typed_data(typed["domain"], types, typed["message"]).signature
    return attestation_record(typed, bytes(signature), supplier_name=name)


def msg(account: LocalAccount, component: str, upstream: list[str], n: int) -> dict[str, Any]:
    return {
        "supplier": account.address,
        "componentId": component,
        "productId": "BSH-LT14-2026",
        "declaredUnit": "unit",
        "kgCo2ePerUnit": "0.482",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": upstream,
        "nonce": hx(keccak(f"nonce-{n}".encode())),
        "expiry": 1798761600,
    }


def records() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    cell = signed(CELL, msg(CELL, "CQ-CELL-21700-A", [], 1), "重庆电芯有限公司")
    pack = signed(PACK, msg(PACK, "CQ-PACK-56WH", [cell["id"]], 2), "Pack Works")
    label = {
        "type": "label",
        "id": "lbl-1",
        "grade": "A",
        "components": [
            {
                "component_id": "CQ-PACK-56WH",
                "quantity": 1,
                "unit": "unit",
                "attestation_id": pack["id"],
            }
        ],
    }
    return label, pack, cell


def bundle_of(
    label: dict[str, Any],
    pack: dict[str, Any],
    cell: dict[str, Any],
    *,
    hide_pack: tuple[str, ...] = (),
) -> dict[str, Any]:
    salts = [salt_for(n) for n in ("label", "pack", "cell")]
    recs = [label, pack, cell]
    tree = Tree.of([record_leaf_value(r, s) for r, s in zip(recs, salts, strict=True)])
    top, pack_b, cell_b = (
        make_bundle(r, s, tree, i, contract=CONTRACT)
        for i, (r, s) in enumerate(zip(recs, salts, strict=True))
    )
    if hide_pack:
        pack_b = redact(pack_b, list(hide_pack))
    pack_b["attestations"] = [cell_b]
    top["attestations"] = [pack_b]
    return top


def by_name(report: Any) -> dict[str, Any]:
    return {r.qualified_name: r for r in report.results}


def test_every_hop_gets_a_signature_result() -> None:
    report = verify_offline(bundle_of(*records()))
    assert report.status.value == "VALID"
    checks = by_name(report)
    pack, cell = (
        checks["attestations[0].attestation_signature"],
        checks["attestations[0].attestations[0].attestation_signature"],
    )
    assert pack.status is Status.VALID and pack.data["supplier"] == PACK.address
    assert cell.status is Status.VALID and cell.data["supplier"] == CELL.address
    assert pack.data["linked"] is True and cell.data["linked"] is True
    assert "attestation_signature" not in checks  # the label is not an attestation


def test_a_signature_by_another_key_is_invalid_even_with_a_consistent_leaf() -> None:
    label, pack, cell = records()
    typed = attestation_typed_data(pack["message"], chain_id=CHAIN_ID, contract=CONTRACT)
    types = {k: v for k, v in typed["types"].items() if k != "EIP712Domain"}
    by_cell = CELL.sign_typed_data(typed["domain"], types, typed["message"]).signature
    forged = {**pack, "signature": hx(bytes(by_cell))}  # same statement, signed by the wrong key
    report = verify_offline(bundle_of(label, forged, cell))
    checks = by_name(report)
    assert report.status.value == "INVALID"
    assert checks["attestations[0].integrity"].status is Status.VALID  # the leaf is consistent
    result = checks["attestations[0].attestation_signature"]
    assert result.status is Status.INVALID and result.code == Code.ATTESTATION_BAD_SIGNATURE
    assert result.data["errorCode"] == "signer_mismatch"


def test_a_changed_number_breaks_the_id_and_the_signature() -> None:
    label, pack, cell = records()
    changed = copy.deepcopy(pack)
    changed["message"]["kgCo2ePerUnit"] = "3.107"
    checks = by_name(verify_offline(bundle_of(label, changed, cell)))
    result = checks["attestations[0].attestation_signature"]
    assert result.status is Status.INVALID and result.data["errorCode"] == "id_mismatch"


def test_an_attestation_its_parent_does_not_name_is_invalid() -> None:
    label, pack, cell = records()
    label["components"][0]["attestation_id"] = hx(keccak(b"another"))
    result = by_name(verify_offline(bundle_of(label, pack, cell)))[
        "attestations[0].attestation_signature"
    ]
    assert result.status is Status.INVALID and result.code == Code.ATTESTATION_NOT_LINKED
    # An upstream that the pack does not cite is refused the same way.
    other_cell = signed(CELL, msg(CELL, "CQ-CELL-OTHER", [], 3), "重庆电芯有限公司")
    result = by_name(
        verify_offline(
            bundle_of(label | {"components": records()[0]["components"]}, pack, other_cell)
        )
    )["attestations[0].attestations[0].attestation_signature"]
    assert result.status is Status.INVALID and result.code == Code.ATTESTATION_NOT_LINKED


def test_a_hidden_message_is_skipped_and_a_hidden_name_still_checks() -> None:
    label, pack, cell = records()
    report = verify_offline(bundle_of(label, pack, cell, hide_pack=("message",)))
    result = by_name(report)["attestations[0].attestation_signature"]
    assert result.status is Status.SKIPPED and result.code == Code.ATTESTATION_REDACTED
    assert report.status.value == "VALID"  # the commitment still binds the hidden message
    report = verify_offline(bundle_of(label, pack, cell, hide_pack=("supplierName",)))
    assert by_name(report)["attestations[0].attestation_signature"].status is Status.VALID


def test_a_domain_outside_the_trust_file_is_invalid() -> None:
    label, pack, cell = records()
    nested = parse_bundle(bundle_of(label, pack, cell))
    ((_, pack_bundle),) = nested.nested()

    def trust(contract: str) -> Any:
        return parse_trust(
            {
                "format": "tanji-trust/1",
                "chains": [{"chainId": CHAIN_ID, "contracts": [contract]}],
                "issuers": [],
            }
        )

    check = AttestationSignatureCheck()
    target = Target(
        bundle=pack_bundle, trust=trust(CONTRACT), path="attestations[0]", parent=nested
    )
    assert run_check(check, target).status is Status.VALID
    target = Target(
        bundle=pack_bundle, trust=trust("0x" + "33" * 20), path="attestations[0]", parent=nested
    )
    result = run_check(check, target)
    assert result.status is Status.INVALID and result.code == Code.ATTESTATION_UNTRUSTED_DOMAIN
