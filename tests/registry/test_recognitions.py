"""Recognitions through the API on the real embedded chain: intake checks, anchoring, nesting in
the label bundle, withdrawal (anchored, and the recognition's leaf revoked on chain), and partners
rotating and revoking their own signing keys (honoured by intake as attestation intake does; a
revocation from an earlier time withdraws the recognitions accepted since, checked with the real
verifier against a Hardhat node)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select
from web3 import Web3

from anchoring.ledger import AnchorRecord, AnchorRevocation
from registry.app import create_app
from registry.chain import deploy_contract, load_account
from registry.config import load_settings
from registry.models.recognitions import Recognition
from tests.nodes import HARDHAT_KEY_0
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.partners import (
    HK_BODY_KEY,
    HK_SCHEME,
    SG_BODY_KEY,
    address_of,
    issue_label,
    key_registration,
    partner_key,
    profile,
    recognition_message,
    register_partner,
    signed_recognition,
    signed_withdrawal,
    wait_for,
)
from tests.registry.supply_chain_data import register_key, supplier_account
from verifier._internal.verifier import Verdict, verify_offline
from verifier.cli import main as verify_main
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import scheme_subject


@dataclass
class Registry:
    client: httpx.AsyncClient
    app: FastAPI
    orgs: Orgs
    chain_id: int
    contract: str
    sg: str  # the Singapore partner's API key
    hk: str


@asynccontextmanager
async def _running(
    request: pytest.FixtureRequest, tmp_path: Path, **chain: Any
) -> AsyncIterator[Registry]:
    """The registry with its anchoring loop, on SQLite or PostgreSQL (``request.param``)."""
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("registry_database_url")
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        base_url="https://tanji.test",
        **chain,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
            _, sg = await register_partner(
                c, app.state.engine, name="Singapore certifier (test)", key=SG_BODY_KEY
            )
            _, hk = await register_partner(
                c, app.state.engine, name="Hong Kong certifier (test)", key=HK_BODY_KEY
            )
            chain = app.state.chain
            yield Registry(c, app, orgs, chain.chain_id, chain.address, sg, hk)


@pytest.fixture(params=["sqlite", "postgresql"])
async def registry(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Registry]:
    """On the embedded chain."""
    async with _running(request, tmp_path) as reg:
        yield reg


@pytest.fixture(params=["sqlite", "postgresql"])
async def hardhat_registry(
    request: pytest.FixtureRequest, tmp_path: Path, hardhat_url: str
) -> AsyncIterator[Registry]:
    """On a fresh contract on the Hardhat node, anchored by account 0: the issuer the example
    partner profiles trust, so ``tanji verify --trust <sg profile>`` checks against the node."""
    chain: dict[str, Any] = {"rpc_url": hardhat_url, "signer_key": HARDHAT_KEY_0}
    first = load_settings(data_dir=tmp_path / "data", **chain)
    contract = deploy_contract(first, Web3(Web3.HTTPProvider(hardhat_url)), load_account(first))
    async with _running(request, tmp_path, anchor_address=contract.address, **chain) as reg:
        yield reg


async def _label(reg: Registry, **changes: Any) -> tuple[dict[str, Any], str]:
    label = await issue_label(
        reg.client,
        enterprise=reg.orgs.enterprise,
        certifier=reg.orgs.certifier,
        payload=footprint(**changes),
    )
    bundle = (await reg.client.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    return label, "0x" + leaf_hash(LEAF_ENCODING, bundle["leafValue"]).hex()


def _stored(app: FastAPI) -> tuple[int, int]:
    with Session(app.state.engine) as session:
        recognitions = session.exec(select(func.count()).select_from(Recognition)).one()
        leaves = session.exec(
            select(func.count())
            .select_from(AnchorRecord)
            .where(AnchorRecord.record_type == "recognition")
        ).one()
    return int(recognitions), int(leaves)


async def test_recognition_is_stored_anchored_and_nested_in_the_label_bundle(
    registry: Registry,
) -> None:
    reg, c = registry, registry.client
    label, leaf = await _label(reg)
    body = signed_recognition(
        SG_BODY_KEY,
        recognition_message(SG_BODY_KEY, subject=leaf),
        chain_id=reg.chain_id,
        contract=reg.contract,
    )
    r = await c.post("/api/v1/recognitions", json=body, headers=bearer(reg.sg))
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["label_id"] == label["id"]
    assert rec["record"]["type"] == "recognition"
    assert rec["record"]["signer"] == rec["recognizer"]
    assert rec["record"]["recognizerName"] == "Singapore certifier (test)"
    assert rec["anchor_status"] in ("pending", "batched", "anchored")
    # The same signed statement again: the stored one, not a second record.
    again = await c.post("/api/v1/recognitions", json=body, headers=bearer(reg.sg))
    assert again.status_code == 200 and again.json()["id"] == rec["id"]
    assert _stored(reg.app) == (1, 1)

    # A scheme recognition by Hong Kong for every laptop label under CQ-CFL.
    scheme = recognition_message(
        HK_BODY_KEY,
        subject=scheme_subject("CQ-CFL", "laptop"),
        subject_type="scheme",
        scheme=HK_SCHEME,
    )
    r = await c.post(
        "/api/v1/recognitions",
        json=signed_recognition(
            HK_BODY_KEY, scheme, chain_id=reg.chain_id, contract=reg.contract, schemeId="CQ-CFL"
        ),
        headers=bearer(reg.hk),
    )
    assert r.status_code == 201, r.text
    assert r.json()["record"]["schemeId"] == "CQ-CFL"

    for rid in (rec["id"], r.json()["id"]):
        await wait_for(c, f"/api/v1/recognitions/{rid}", lambda b: b["anchor_status"] == "anchored")
    await wait_for(c, f"/api/v1/labels/{label['id']}", lambda b: b["anchor_status"] == "anchored")
    bundle = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    assert [b["record"]["id"] for b in bundle["recognitions"]] == [rec["id"], r.json()["id"]]
    report = verify_offline(bundle)
    assert report.status is Verdict.VALID, report.to_json()
    assert {res.path for res in report.results} == {"", "recognitions[0]", "recognitions[1]"}
    listed = (await c.get("/api/v1/recognitions", params={"label_id": label["id"]})).json()
    assert listed["count"] == 1


async def test_withdrawal_is_anchored_and_revokes_the_recognition_leaf(
    registry: Registry,
) -> None:
    reg, c = registry, registry.client
    label, leaf = await _label(reg)
    r = await c.post(
        "/api/v1/recognitions",
        json=signed_recognition(
            SG_BODY_KEY,
            recognition_message(SG_BODY_KEY, subject=leaf),
            chain_id=reg.chain_id,
            contract=reg.contract,
        ),
        headers=bearer(reg.sg),
    )
    rid = r.json()["id"]
    await wait_for(c, f"/api/v1/recognitions/{rid}", lambda b: b["anchor_status"] == "anchored")
    withdrawal = signed_withdrawal(SG_BODY_KEY, rid, chain_id=reg.chain_id, contract=reg.contract)
    # Only the recognizer may withdraw it.
    r = await c.post(
        f"/api/v1/recognitions/{rid}/withdraw", json=withdrawal, headers=bearer(reg.hk)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_recognizer"
    # A withdrawal signed by another key for this recognition is refused (signer_mismatch).
    forged = signed_withdrawal(HK_BODY_KEY, rid, chain_id=reg.chain_id, contract=reg.contract)
    r = await c.post(f"/api/v1/recognitions/{rid}/withdraw", json=forged, headers=bearer(reg.sg))
    assert r.status_code == 422 and r.json()["error"]["code"] == "signer_mismatch", r.text

    r = await c.post(
        f"/api/v1/recognitions/{rid}/withdraw", json=withdrawal, headers=bearer(reg.sg)
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["withdrawal_id"]
    again = await c.post(
        f"/api/v1/recognitions/{rid}/withdraw", json=withdrawal, headers=bearer(reg.sg)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_withdrawn"
    done = await wait_for(
        c, f"/api/v1/recognitions/{rid}", lambda b: b["revocation_status"] == "anchored"
    )
    assert done["status"] == "withdrawn"
    with Session(reg.app.state.engine) as session:
        row = session.exec(
            select(AnchorRecord).where(AnchorRecord.record_type == "withdrawal")
        ).one()
        assert row.record_id == done["withdrawal_id"]
    await wait_for(c, f"/api/v1/labels/{label['id']}", lambda b: b["anchor_status"] == "anchored")
    bundle = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    assert bundle["recognitions"] == []  # a withdrawn recognition no longer travels


async def test_bad_recognitions_are_refused_with_codes_and_nothing_is_stored(
    registry: Registry,
) -> None:
    reg, c = registry, registry.client
    label, leaf = await _label(reg)

    async def post(body: dict[str, Any], key: str = reg.sg) -> tuple[int, dict[str, Any]]:
        r = await c.post("/api/v1/recognitions", json=body, headers=bearer(key))
        return r.status_code, r.json().get("error", {})

    def body(message: dict[str, Any], key: str = SG_BODY_KEY, **kw: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"chain_id": reg.chain_id, "contract": reg.contract, **kw}
        return signed_recognition(key, message, **options)

    good = recognition_message(SG_BODY_KEY, subject=leaf)
    cases: list[tuple[dict[str, Any], str, int, str, str | None]] = []
    # Signed by Hong Kong's key, pushed with Singapore's API key: not Singapore's registered key.
    cases.append(
        (
            body(recognition_message(HK_BODY_KEY, subject=leaf), HK_BODY_KEY),
            reg.sg,
            403,
            "unregistered_key",
            "typedData.message.recognizer",
        )
    )
    # Signed for another deployment.
    other = "0x" + "11" * 20
    cases.append((body(good, contract=other), reg.sg, 422, "wrong_domain", "typedData.domain"))
    # The message changed after signing: the signature recovers someone else.
    tampered = body(good)
    tampered["typedData"]["message"]["category"] = ""
    cases.append((tampered, reg.sg, 422, "signer_mismatch", "typedData.message.recognizer"))
    # Not a label of this registry.
    unknown = recognition_message(SG_BODY_KEY, subject="0x" + "22" * 32)
    cases.append((body(unknown), reg.sg, 422, "unknown_subject", "typedData.message.subject"))
    # A category the label is not in.
    wrong_cat = recognition_message(SG_BODY_KEY, subject=leaf, category="cement", tag="c")
    cases.append((body(wrong_cat), reg.sg, 422, "category_mismatch", "typedData.message.category"))
    # Already over.
    over = recognition_message(SG_BODY_KEY, subject=leaf, valid_from=1, valid_until=2, tag="o")
    cases.append((body(over), reg.sg, 422, "expired", "typedData.message.validUntil"))
    # A scheme recognition without the scheme's id, and with a subject of another scheme.
    scheme = recognition_message(
        SG_BODY_KEY, subject=scheme_subject("CQ-CFL", "laptop"), subject_type="scheme"
    )
    cases.append((body(scheme), reg.sg, 422, "missing_field", "schemeId"))
    cases.append(
        (
            body(scheme, schemeId="XX-OTHER"),
            reg.sg,
            422,
            "subject_mismatch",
            "typedData.message.subject",
        )
    )
    # An enterprise cannot record recognitions.
    cases.append((body(good), reg.orgs.enterprise, 403, "forbidden_role", None))
    # Not the signed struct: a member renamed.
    renamed = body(good)
    renamed["typedData"]["types"]["Recognition"][0]["name"] = "issuer"
    cases.append((renamed, reg.sg, 422, "wrong_types", "typedData.types"))
    # A malformed signature.
    short = {**body(good), "signature": "0x1234"}
    cases.append((short, reg.sg, 422, "bad_signature_length", "signature"))

    for payload, key, status, code, field in cases:
        got_status, error = await post(payload, key)
        assert (got_status, error.get("code")) == (status, code), (code, error)
        if field is not None:
            assert error["field"] == field, (code, error)
    assert _stored(reg.app) == (0, 0)

    # A revoked label cannot be recognised.
    r = await c.post(
        f"/api/v1/labels/{label['id']}/revoke",
        json={"reason_code": 2},
        headers=bearer(reg.orgs.certifier),
    )
    assert r.status_code == 200, r.text
    status, error = await post(body(good))
    assert (status, error["code"]) == (409, "label_not_active")


async def test_partner_keys_need_proof_of_possession(registry: Registry) -> None:
    c = registry.client
    r = await c.post(
        "/api/v1/recognitions/keys",
        json={"address": "0x" + "33" * 20, "signature": "0x" + "00" * 65},
        headers=bearer(registry.sg),
    )
    assert r.status_code == 422, r.text
    keys = (await c.get("/api/v1/recognitions/keys", headers=bearer(registry.sg))).json()
    assert keys["count"] == 1 and keys["data"][0]["active"] is True


async def test_a_recognition_withdrawn_before_anchoring_is_revoked_once_anchored(
    registry: Registry,
) -> None:
    reg, c = registry, registry.client
    _, leaf = await _label(reg)
    r = await c.post(
        "/api/v1/recognitions",
        json=signed_recognition(
            SG_BODY_KEY,
            recognition_message(SG_BODY_KEY, subject=leaf, tag="early"),
            chain_id=reg.chain_id,
            contract=reg.contract,
        ),
        headers=bearer(reg.sg),
    )
    rid = r.json()["id"]
    withdrawal = signed_withdrawal(SG_BODY_KEY, rid, chain_id=reg.chain_id, contract=reg.contract)
    r = await c.post(
        f"/api/v1/recognitions/{rid}/withdraw", json=withdrawal, headers=bearer(reg.sg)
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    if r.json()["anchor_status"] != "anchored":
        assert r.json()["revocation_status"] == "requested"
    await wait_for(c, f"/api/v1/recognitions/{rid}", lambda b: b["anchor_status"] == "anchored")
    # Its bundle is only served with the on-chain revocation queued.
    bundle = (await c.get(f"/api/v1/recognitions/{rid}/bundle")).json()
    assert bundle["record"]["id"] == rid
    done = await wait_for(
        c, f"/api/v1/recognitions/{rid}", lambda b: b["revocation_status"] == "anchored"
    )
    assert done["withdrawal_id"]


async def _recognise(reg: Registry, leaf: str, key: str, api_key: str, tag: str) -> httpx.Response:
    body = signed_recognition(
        key,
        recognition_message(key, subject=leaf, tag=tag),
        chain_id=reg.chain_id,
        contract=reg.contract,
    )
    return await reg.client.post("/api/v1/recognitions", json=body, headers=bearer(api_key))


def _refused(r: httpx.Response) -> tuple[int, str, str]:
    error = r.json()["error"]
    return r.status_code, error["code"], error["field"]


async def _rotate(reg: Registry, api_key: str, old: str, new: str, at: datetime) -> httpx.Response:
    return await reg.client.post(
        f"/api/v1/suppliers/keys/{address_of(old)}/rotate",
        json={
            "new_key": await key_registration(reg.client, api_key, new),
            "effective_at": at.isoformat(),
        },
        headers=bearer(api_key),
    )


async def test_a_partner_rotates_its_key_and_intake_follows_the_effective_time(
    registry: Registry,
) -> None:
    reg, c = registry, registry.client
    _, leaf = await _label(reg)
    signer = "typedData.message.recognizer"

    # Hong Kong rotates from tomorrow: until then the old key signs and the new one is refused.
    hk_next = partner_key("hk-2")
    r = await _rotate(reg, reg.hk, HK_BODY_KEY, hk_next, datetime.now(UTC) + timedelta(days=1))
    assert r.status_code == 201, r.text
    assert r.json()["address"] == address_of(hk_next) and r.json()["active"] is False
    r = await _recognise(reg, leaf, hk_next, reg.hk, "hk-new")
    assert _refused(r) == (422, "key_not_yet_valid", signer)
    r = await _recognise(reg, leaf, HK_BODY_KEY, reg.hk, "hk-old")
    assert r.status_code == 201, r.text

    # Singapore rotates a moment from now; once that time has passed the old key is refused.
    sg_next = partner_key("sg-2")
    at = datetime.now(UTC) + timedelta(seconds=1)
    r = await _rotate(reg, reg.sg, SG_BODY_KEY, sg_next, at)
    assert r.status_code == 201, r.text
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()) + 0.1)
    r = await _recognise(reg, leaf, SG_BODY_KEY, reg.sg, "sg-old")
    assert _refused(r) == (409, "revoked_key", signer)
    r = await _recognise(reg, leaf, sg_next, reg.sg, "sg-new")
    assert r.status_code == 201, r.text
    assert r.json()["recognizer"] == address_of(sg_next)

    # Both key routes show the partner's keys: the old one stopped at `at`, replaced by the new.
    for path in ("/api/v1/recognitions/keys", "/api/v1/suppliers/keys"):
        listed = (await c.get(path, headers=bearer(reg.sg))).json()
        keys = {k["address"]: k for k in listed["data"]}
        old = keys[address_of(SG_BODY_KEY)]
        assert old["revocation_reason"] == "rotated" and old["active"] is False
        assert old["replaced_by"] == address_of(sg_next)
        assert datetime.fromisoformat(old["revoked_at"]) == at
        assert keys[address_of(sg_next)]["active"] is True
    assert _stored(reg.app) == (2, 2)  # the refused ones left nothing behind


async def test_a_partner_revokes_its_key_and_later_recognitions_by_it_are_refused(
    registry: Registry,
) -> None:
    reg, c = registry, registry.client
    _, leaf = await _label(reg)
    url = f"/api/v1/suppliers/keys/{address_of(SG_BODY_KEY)}/revoke"
    # Retired from next month: it still signs until then.
    later = datetime.now(UTC) + timedelta(days=30)
    r = await c.post(
        url, json={"reason": "retired", "effective_at": later.isoformat()}, headers=bearer(reg.sg)
    )
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    r = await _recognise(reg, leaf, SG_BODY_KEY, reg.sg, "before")
    assert r.status_code == 201, r.text
    # Found compromised, revoked from an hour ago: what it signs now is refused.
    past = datetime.now(UTC) - timedelta(hours=1)
    compromised = {"reason": "compromised", "effective_at": past.isoformat()}
    r = await c.post(url, json=compromised, headers=bearer(reg.sg))
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["revocation_reason"] == "compromised"
    r = await _recognise(reg, leaf, SG_BODY_KEY, reg.sg, "after")
    assert _refused(r) == (409, "revoked_key", "typedData.message.recognizer")
    assert _stored(reg.app) == (1, 1)
    # Hong Kong's key is untouched and still signs.
    r = await _recognise(reg, leaf, HK_BODY_KEY, reg.hk, "hk")
    assert r.status_code == 201, r.text


async def test_only_the_owner_rotates_or_revokes_a_key(registry: Registry) -> None:
    reg, c = registry, registry.client
    hk = address_of(HK_BODY_KEY)
    cells = supplier_account("partner-test-cells")
    assert (await register_key(c, reg.orgs.enterprise, cells)).status_code == 201

    # Singapore on Hong Kong's key, on an enterprise's key; an enterprise on a partner's key.
    r = await _rotate(reg, reg.sg, HK_BODY_KEY, partner_key("sg-x"), datetime.now(UTC))
    assert _refused(r) == (403, "forbidden_org", "address")
    revoke = {"reason": "compromised"}
    for api_key, address in ((reg.sg, hk), (reg.sg, cells.address), (reg.orgs.enterprise, hk)):
        r = await c.post(
            f"/api/v1/suppliers/keys/{address}/revoke", json=revoke, headers=bearer(api_key)
        )
        assert _refused(r) == (403, "forbidden_org", "address"), (api_key, address)
    # A key nobody registered is 404; a certification body has no signing keys here at all.
    nobody = address_of(partner_key("nobody"))
    r = await c.post(f"/api/v1/suppliers/keys/{nobody}/revoke", json=revoke, headers=bearer(reg.sg))
    assert _refused(r) == (404, "not_found", "address")
    r = await c.post(
        f"/api/v1/suppliers/keys/{hk}/revoke", json=revoke, headers=bearer(reg.orgs.certifier)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"

    # Nothing changed: Hong Kong's key is in force, the would-be new key was not registered.
    listed = (await c.get("/api/v1/recognitions/keys", headers=bearer(reg.hk))).json()
    assert [(k["address"], k["revoked_at"]) for k in listed["data"]] == [(hk, None)]
    listed = (await c.get("/api/v1/suppliers/keys", headers=bearer(reg.sg))).json()
    assert [k["address"] for k in listed["data"]] == [address_of(SG_BODY_KEY)]
    listed = (await c.get("/api/v1/suppliers/keys", headers=bearer(reg.orgs.enterprise))).json()
    assert [(k["address"], k["active"]) for k in listed["data"]] == [(cells.address, True)]


@pytest.mark.hardhat
async def test_revoking_a_partner_key_from_an_earlier_time_withdraws_its_later_recognitions(
    hardhat_registry: Registry,
    hardhat_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reg, c = hardhat_registry, hardhat_registry.client
    label, leaf = await _label(reg)
    r = await _recognise(reg, leaf, SG_BODY_KEY, reg.sg, "before")
    assert r.status_code == 201, r.text
    kept = r.json()["id"]
    # t0 strictly between the two intakes (timestamps are stored to the microsecond).
    await asyncio.sleep(0.05)
    t0 = datetime.now(UTC)
    await asyncio.sleep(0.05)
    r = await _recognise(reg, leaf, SG_BODY_KEY, reg.sg, "after")
    assert r.status_code == 201, r.text
    lost = r.json()["id"]
    assert datetime.fromisoformat(r.json()["created_at"]) > t0
    for rid in (kept, lost):
        await wait_for(c, f"/api/v1/recognitions/{rid}", lambda b: b["anchor_status"] == "anchored")
    await wait_for(c, f"/api/v1/labels/{label['id']}", lambda b: b["anchor_status"] == "anchored")
    # The proof file a partner saved while both recognitions held.
    saved = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    assert [b["record"]["id"] for b in saved["recognitions"]] == [kept, lost]
    bundle_file = tmp_path / "label.json"
    bundle_file.write_text(json.dumps(saved), "utf-8")

    # Singapore finds its key compromised since t0 (after the first recognition).
    r = await c.post(
        f"/api/v1/suppliers/keys/{address_of(SG_BODY_KEY)}/revoke",
        json={"reason": "compromised", "effective_at": t0.isoformat()},
        headers=bearer(reg.sg),
    )
    assert r.status_code == 200, r.text
    now = (await c.get(f"/api/v1/recognitions/{lost}")).json()
    assert now["status"] == "key_revoked" and now["revocation_status"] is not None
    done = await wait_for(
        c, f"/api/v1/recognitions/{lost}", lambda b: b["revocation_status"] == "anchored"
    )
    assert done["status"] == "key_revoked" and done["withdrawal_id"] is None
    still = (await c.get(f"/api/v1/recognitions/{kept}")).json()
    assert (still["status"], still["revocation_status"]) == ("active", None)
    listed = (await c.get("/api/v1/recognitions", params={"label_id": label["id"]})).json()
    assert {b["id"]: b["status"] for b in listed["data"]} == {kept: "active", lost: "key_revoked"}
    with Session(reg.app.state.engine) as session:
        revocations = session.exec(
            select(AnchorRevocation).where(AnchorRevocation.record_type == "recognition")
        ).all()
        assert [(row.record_id, row.reason) for row in revocations] == [(lost, 6)]
    # Like a withdrawn one, it no longer travels in the label's bundle, and cannot be withdrawn.
    fresh = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    assert [b["record"]["id"] for b in fresh["recognitions"]] == [kept]
    withdrawal = signed_withdrawal(SG_BODY_KEY, lost, chain_id=reg.chain_id, contract=reg.contract)
    r = await c.post(
        f"/api/v1/recognitions/{lost}/withdraw", json=withdrawal, headers=bearer(reg.sg)
    )
    assert _refused(r) == (409, "already_withdrawn", "recognition_id")

    # The saved file, checked by the real verifier against the node with Singapore's profile:
    # the later recognition's leaf is revoked for key compromise, the earlier one holds.
    trust_file = tmp_path / "sg-trust.json"
    trust_file.write_text(
        json.dumps(profile("sg", contract=reg.contract, rpc_url=hardhat_url)), "utf-8"
    )
    capsys.readouterr()
    code = verify_main([str(bundle_file), "--trust", str(trust_file), "--json"])
    out = capsys.readouterr().out
    checks = {check["name"]: check for check in json.loads(out)["checks"]}
    assert code == 1, out
    revoked = checks["recognitions[1].not_revoked"]
    assert (revoked["status"], revoked["code"]) == ("INVALID", 501), revoked
    assert revoked["data"]["reasonCode"] == 6
    assert revoked["data"]["reasonName"] == "key_compromise"
    for name in ("recognition", "not_revoked", "anchored", "issuer"):
        assert checks[f"recognitions[0].{name}"]["status"] == "VALID", name
    assert checks["not_revoked"]["status"] == "VALID"  # the label itself stands
