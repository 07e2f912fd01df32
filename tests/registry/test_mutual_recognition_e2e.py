"""Mutual recognition end to end on a real `hardhat node`, verified with the registry switched off.

Chongqing → abroad: a Chongqing label is recognised by a Singapore body (the label itself) and a
Hong Kong body (the CQ-CFL scheme for laptops); its bundle is exported to a file, the registry is
stopped, and ``tanji verify FILE --trust <sg-partner profile>`` checks it against the node alone.
Then Hong Kong withdraws its recognition (the registry restarted on the same data), and the old file
now shows that recognition revoked on chain.

Abroad → Chongqing: a Singapore registry (its own contract and anchoring key on the node) issues a
Singapore label; a Chongqing certification body, a partner there, recognises it; the Chongqing
side verifies the Singapore file with its own profile and the same tool.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session
from web3 import Web3

from registry.app import create_app
from registry.chain import deploy_contract, load_account
from registry.config import Settings, load_settings
from registry.crud.orgs import create_org
from registry.crud.prefixes import grant_prefix
from registry.models.orgs import OrgRole
from tests.nodes import HARDHAT_KEY_0, HARDHAT_KEY_1
from tests.registry.factories import ENTERPRISE_PREFIX, bearer, footprint
from tests.registry.partners import (
    CQ_BODY_KEY,
    HK_BODY_KEY,
    HK_SCHEME,
    SG_BODY_KEY,
    address_of,
    issue_label,
    profile,
    recognition_message,
    register_partner,
    signed_recognition,
    signed_withdrawal,
    wait_for,
)
from verifier.cli import main as verify_main
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import scheme_subject


def _settings(tmp_path: Path, name: str, url: str, key: str, **extra: Any) -> Settings:
    return load_settings(
        data_dir=tmp_path / name,
        rpc_url=url,
        signer_key=key,
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        base_url=f"https://{name}.test",
        **extra,
    )


def _deploy(tmp_path: Path, name: str, url: str, key: str) -> str:
    first = _settings(tmp_path, name, url, key)
    return str(deploy_contract(first, Web3(Web3.HTTPProvider(url)), load_account(first)).address)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The registry running (lifespan: anchoring loop on); stopped on exit."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as client:
            yield app, client


def _orgs(app: FastAPI, *, certifier_name: str) -> tuple[str, str]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        ent, enterprise = create_org(session, name="Enterprise", role=OrgRole.ENTERPRISE)
        _, certifier = create_org(session, name=certifier_name, role=OrgRole.CERTIFICATION_BODY)
        grant_prefix(session, org_id=ent.id, prefix=ENTERPRISE_PREFIX)  # footprint()'s GTIN
        session.commit()
    return enterprise, certifier


def _verify(
    tmp_path: Path, bundle_file: Path, trust: dict[str, Any], capsys: Any, *args: str
) -> tuple[int, str]:
    trust_file = tmp_path / f"trust-{len(list(tmp_path.glob('trust-*')))}.json"
    trust_file.write_text(json.dumps(trust), "utf-8")
    capsys.readouterr()
    code = verify_main([str(bundle_file), "--trust", str(trust_file), *args])
    return code, capsys.readouterr().out


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


async def test_chongqing_label_recognised_in_singapore_and_hong_kong_verified_offline_from_registry(
    tmp_path: Path, hardhat_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = _deploy(tmp_path, "cq", hardhat_url, HARDHAT_KEY_0)
    settings = _settings(tmp_path, "cq", hardhat_url, HARDHAT_KEY_0, anchor_address=contract)
    async with running(settings) as (app, c):
        enterprise, certifier = _orgs(app, certifier_name="Chongqing Carbon Label Center")
        _, sg = await register_partner(c, app.state.engine, name="SG body", key=SG_BODY_KEY)
        _, hk = await register_partner(c, app.state.engine, name="HK body", key=HK_BODY_KEY)
        label = await issue_label(
            c, enterprise=enterprise, certifier=certifier, payload=footprint()
        )
        pending = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
        leaf = "0x" + leaf_hash(LEAF_ENCODING, pending["leafValue"]).hex()
        chain_id = app.state.chain.chain_id
        r = await c.post(
            "/api/v1/recognitions",
            json=signed_recognition(
                SG_BODY_KEY,
                recognition_message(SG_BODY_KEY, subject=leaf),
                chain_id=chain_id,
                contract=contract,
            ),
            headers=bearer(sg),
        )
        assert r.status_code == 201, r.text
        sg_id = r.json()["id"]
        hk_message = recognition_message(
            HK_BODY_KEY,
            subject=scheme_subject("CQ-CFL", "laptop"),
            subject_type="scheme",
            scheme=HK_SCHEME,
        )
        r = await c.post(
            "/api/v1/recognitions",
            json=signed_recognition(
                HK_BODY_KEY, hk_message, chain_id=chain_id, contract=contract, schemeId="CQ-CFL"
            ),
            headers=bearer(hk),
        )
        assert r.status_code == 201, r.text
        hk_id = r.json()["id"]
        for path in (f"/api/v1/recognitions/{sg_id}", f"/api/v1/recognitions/{hk_id}"):
            await wait_for(c, path, lambda b: b["anchor_status"] == "anchored")
        await wait_for(
            c, f"/api/v1/labels/{label['id']}", lambda b: b["anchor_status"] == "anchored"
        )
        bundle = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    # The registry is stopped: from here on only the file, the profile and the node.
    bundle_file = tmp_path / "cq-label.json"
    bundle_file.write_text(json.dumps(bundle), "utf-8")
    assert len(bundle["recognitions"]) == 2

    sg_profile = profile("sg", contract=contract, rpc_url=hardhat_url)
    code, out = _verify(tmp_path, bundle_file, sg_profile, capsys, "--json")
    report = json.loads(out)
    assert code == 0, out
    checks = _checks(report)
    for i, (body, scheme) in enumerate(
        ((SG_BODY_KEY, "SG-CFP-MRA-2026"), (HK_BODY_KEY, HK_SCHEME))
    ):
        rec = checks[f"recognitions[{i}].recognition"]
        assert (rec["status"], rec["code"]) == ("VALID", 0), rec
        assert rec["data"]["recognizer"] == address_of(body)
        assert rec["data"]["scheme"] == scheme
        for name in ("integrity", "inclusion", "anchored", "not_revoked", "issuer"):
            assert checks[f"recognitions[{i}].{name}"]["status"] == "VALID"
    assert "recognition" not in checks  # only recognition records get that check

    # Human output, English and Chinese: one line per check and per recognition.
    code, out = _verify(tmp_path, bundle_file, sg_profile, capsys)
    assert code == 0 and out.startswith("OK:")
    assert "recognitions[0].recognition" in out and "recognitions[1].recognition" in out
    assert "recognised by Singapore carbon footprint certification body (example)" in out
    assert "recognitions: 2 of 2 accepted by this trust file" in out
    code, out = _verify(tmp_path, bundle_file, sg_profile, capsys, "--lang", "zh")
    assert code == 0 and "验证通过" in out and "已获 Hong Kong" in out
    assert "认可：2 项，其中 2 项被本信任文件接受且有效" in out

    # The Hong Kong profile knows only the Hong Kong body: Singapore's recognition is reported on
    # its own line as by a body not in this profile (SKIPPED 891, not relied on), while its
    # anchoring is still checked; Hong Kong's is VALID, and so is the genuine label.
    hk_profile = profile("hk", contract=contract, rpc_url=hardhat_url)
    code, out = _verify(tmp_path, bundle_file, hk_profile, capsys, "--json")
    report = json.loads(out)
    checks = _checks(report)
    assert (code, report["status"]) == (0, "VALID"), out
    sg_rec = checks["recognitions[0].recognition"]
    assert (sg_rec["status"], sg_rec["code"]) == ("SKIPPED", 891), sg_rec
    assert sg_rec["data"]["recognizer"] == address_of(SG_BODY_KEY)
    for name in ("integrity", "inclusion", "anchored", "not_revoked", "issuer"):
        assert checks[f"recognitions[0].{name}"]["status"] == "VALID", name
    assert checks["recognitions[1].recognition"]["status"] == "VALID"
    code, out = _verify(tmp_path, bundle_file, hk_profile, capsys)
    assert code == 0 and out.startswith("OK:"), out
    assert (
        "recognitions: 1 of 2 accepted by this trust file (recognised by Hong Kong carbon label "
        "certification body (example)); 1 recognition by a body not in this profile, not relied on"
    ) in out
    code, out = _verify(tmp_path, bundle_file, hk_profile, capsys, "--lang", "zh")
    assert code == 0 and "1 项由本信任文件未列出的机构作出，未予采信" in out
    # A tampered copy of Singapore's recognition is INVALID under this profile all the same.
    tampered = json.loads(bundle_file.read_text("utf-8"))
    tampered["recognitions"][0]["record"]["message"]["scope"] = "every product, everywhere"
    tampered_file = tmp_path / "cq-label-tampered.json"
    tampered_file.write_text(json.dumps(tampered), "utf-8")
    code, out = _verify(tmp_path, tampered_file, hk_profile, capsys, "--json")
    checks = _checks(json.loads(out))
    assert code == 1
    assert (
        checks["recognitions[0].integrity"]["status"],
        checks["recognitions[0].integrity"]["code"],
    ) == ("INVALID", 202)

    # Hong Kong withdraws (registry restarted on the same data dir and contract).
    async with running(settings) as (app, c):
        r = await c.post(
            f"/api/v1/recognitions/{hk_id}/withdraw",
            json=signed_withdrawal(HK_BODY_KEY, hk_id, chain_id=chain_id, contract=contract),
            headers=bearer(hk),
        )
        assert r.status_code == 200, r.text
        await wait_for(
            c, f"/api/v1/recognitions/{hk_id}", lambda b: b["revocation_status"] == "anchored"
        )
    code, out = _verify(tmp_path, bundle_file, sg_profile, capsys, "--json")
    checks = _checks(json.loads(out))
    assert code == 1
    withdrawn = checks["recognitions[1].not_revoked"]
    assert (withdrawn["status"], withdrawn["code"]) == ("INVALID", 501)
    assert withdrawn["data"]["reasonName"] == "withdrawn"
    assert checks["recognitions[0].recognition"]["status"] == "VALID"
    assert checks["not_revoked"]["status"] == "VALID"  # the label itself stands


async def test_singapore_label_recognised_by_a_chongqing_body_verified_by_the_same_tool(
    tmp_path: Path, hardhat_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = _deploy(tmp_path, "sg", hardhat_url, HARDHAT_KEY_1)
    settings = _settings(tmp_path, "sg", hardhat_url, HARDHAT_KEY_1, anchor_address=contract)
    async with running(settings) as (app, c):
        enterprise, certifier = _orgs(app, certifier_name="Singapore carbon footprint body")
        _, cq = await register_partner(
            c, app.state.engine, name="Chongqing Carbon Label Center", key=CQ_BODY_KEY
        )
        singapore_laptop = footprint(
            geography={"country": "SG"},
            company_name="Jurong Computing Pte. Ltd.",
            product_name={"zh": "新加坡笔记本电脑", "en": "Singapore laptop"},
        )
        label = await issue_label(
            c, enterprise=enterprise, certifier=certifier, payload=singapore_laptop
        )
        pending = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
        leaf = "0x" + leaf_hash(LEAF_ENCODING, pending["leafValue"]).hex()
        message = recognition_message(CQ_BODY_KEY, subject=leaf, scheme="CQ-SG-MRA-2026")
        r = await c.post(
            "/api/v1/recognitions",
            json=signed_recognition(
                CQ_BODY_KEY, message, chain_id=app.state.chain.chain_id, contract=contract
            ),
            headers=bearer(cq),
        )
        assert r.status_code == 201, r.text
        await wait_for(
            c, f"/api/v1/recognitions/{r.json()['id']}", lambda b: b["anchor_status"] == "anchored"
        )
        await wait_for(
            c, f"/api/v1/labels/{label['id']}", lambda b: b["anchor_status"] == "anchored"
        )
        bundle = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    bundle_file = tmp_path / "sg-label.json"
    bundle_file.write_text(json.dumps(bundle), "utf-8")
    # Chongqing's profile for Singapore labels: Singapore's contract and anchoring key, and its
    # own certification body's key for recognitions.
    cq_profile = {
        "format": "tanji-trust/1",
        "name": "Chongqing: Singapore labels",
        "chains": [{"chainId": 31337, "rpcUrl": hardhat_url, "contracts": [contract]}],
        "issuers": [{"address": address_of(HARDHAT_KEY_1), "name": "Singapore registry"}],
        "certificationBodies": [
            {
                "address": address_of(CQ_BODY_KEY),
                "name": "Chongqing Carbon Label Center",
                "schemes": ["CQ-SG-MRA-2026"],
                "categories": ["laptop"],
            }
        ],
    }
    code, out = _verify(tmp_path, bundle_file, cq_profile, capsys, "--json")
    assert code == 0, out
    rec = _checks(json.loads(out))["recognitions[0].recognition"]
    assert rec["status"] == "VALID" and rec["data"]["recognizerName"] == (
        "Chongqing Carbon Label Center"
    )
    # The Singapore profile of the Chongqing deployment does not trust this registry's contract.
    code, out = _verify(
        tmp_path,
        bundle_file,
        profile("sg", contract="0x" + "44" * 20, rpc_url=hardhat_url),
        capsys,
        "--json",
    )
    assert code == 1
    assert _checks(json.loads(out))["anchored"]["code"] == 402
