"""In-browser signing in Chromium against a real, demo-seeded ``tanji serve``.

- A supplier opens an encrypted keystore file in the page (``Account.encrypt`` here, set with
  ``set_input_files``), signs an attestation and pushes it to its customer: it is stored, pushed
  by the customer, anchored and ``tanji verify`` finds it VALID; no request the page made carries
  the keystore, its password or the key.
- The same through a browser wallet: an EIP-1193 ``window.ethereum`` injected into the page,
  signing with eth-account in the test.
- A Singapore partner recognises a label in its scope and withdraws the recognition, both signed
  in the page, and downloads a label's proof file.
- The JSON endpoints refuse a request without the session's CSRF token and people whose role
  may not sign.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from playwright.sync_api import Page, Request, expect
from sqlmodel import Session, select

from anchoring.signer import ENV_PASSWORD
from registry.api.routes.console import SESSION_COOKIE
from registry.api.routes.console_signing import CSRF_HEADER
from registry.config import Settings
from registry.crud.supplier_invitations import invite_supplier
from registry.db import make_engine
from registry.demo_invitations import NOTE
from registry.demo_keys import DEMO_KEYSTORE_DIR, PASSWORD_FILE
from registry.models.orgs import Organisation
from tests.registry.console.browser import (
    ConsoleServer,
    axe_check,
    keyboard_check,
    problems,
    screenshot,
    sign_in,
)
from tests.registry.factories import bearer
from tests.registry.server import TANJI, wait_anchored
from verifier.protocol.attestation import verify_attestation_record
from verifier.protocol.hashing import keccak

pytestmark = pytest.mark.slow

MISSION = Path(__file__).resolve().parents[3] / "registry" / "data" / "demo_mission.json"
PASSWORD = "a keystore password 密码"
#: eth-account's default scrypt cost takes seconds in the page; a test keystore uses less.
SCRYPT_N = 2**14


def _test_key(name: str) -> str:
    return "0x" + keccak(f"tanji/tests/console-signing/{name}".encode()).hex()


def _customer_name() -> str:
    mission: dict[str, Any] = json.loads(MISSION.read_text(encoding="utf-8"))
    return str(mission["supply_chain"]["product"]["company"])


@dataclass
class Signer:
    """A person signed in to the console, their organisation's API key and a registered key."""

    org_id: str
    api_key: str
    private_key: str
    address: str


def _api_key(console: ConsoleServer, org_id: str) -> str:
    out = subprocess.run(
        [*TANJI, "org", "key", org_id, "--data-dir", str(console.data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _register(console: ConsoleServer, api_key: str, private_key: str, base: str) -> str:
    address = str(Account.from_key(private_key).address)
    with httpx.Client(base_url=console.url, headers=bearer(api_key), timeout=30) as http:
        challenge = http.get(f"{base}/challenge", params={"address": address})
        assert challenge.status_code == 200, challenge.text
        text = challenge.json()["message"]
        signed = Account.sign_message(encode_defunct(text=text), private_key=private_key)
        body = {"address": address, "signature": "0x" + bytes(signed.signature).hex()}
        reply = http.post(base, json=body)
        assert reply.status_code in (201, 409), reply.text
    return address


def _signer(
    console: ConsoleServer, page: Page, role: str, key_name: str, base: str | None
) -> Signer:
    """Sign in as ``role``; an API key of their organisation; the test key ``key_name``,
    registered through the API at ``base`` (``None``: left for the page to register)."""
    sign_in(page, role)
    org_id = page.locator("#org-id").inner_text().strip()
    api_key = _api_key(console, org_id)
    private_key = _test_key(key_name)
    address = str(Account.from_key(private_key).address)
    if base is not None:
        _register(console, api_key, private_key, base)
    return Signer(org_id, api_key, private_key, address)


def _keystore(signer: Signer, path: Path) -> tuple[dict[str, Any], Path]:
    """The signer's key in a Web3 Secret Storage file at ``path`` (eth-account)."""
    keystore: dict[str, Any] = Account.encrypt(
        bytes.fromhex(signer.private_key[2:]), PASSWORD, iterations=SCRYPT_N
    )
    path.write_text(json.dumps(keystore), encoding="utf-8")
    return keystore, path


def _requests(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request))
    return seen


def _no_problems(page: Page, sent: list[Request]) -> None:
    """No console error nor exception; a failed request is named with its URL."""
    failed = [
        f"{r.method} {r.url}: {r.response().status}"  # type: ignore[union-attr]
        for r in sent
        if r.response() is not None and r.response().status >= 400  # type: ignore[union-attr]
    ]
    assert problems(page) == [], failed


def _invite(console: ConsoleServer, supplier_org_id: str, component: str) -> None:
    """The demo's storage-pack maker asks the supplier for an attestation of ``component``
    (what its Suppliers page does: :func:`registry.crud.supplier_invitations.invite_supplier`)."""
    engine = make_engine(Settings(data_dir=console.data_dir))
    try:
        with Session(engine) as session:
            customer = session.exec(
                select(Organisation).where(Organisation.name == _customer_name())
            ).one()
            invite_supplier(
                session, org=customer, supplier_org_id=supplier_org_id, component_id=component
            )
            session.commit()
    finally:
        engine.dispose()


def _fill_statement(page: Page, component: str) -> None:
    """Answer the customer's request for ``component`` (customer and component filled in)."""
    request = page.locator("#requests tbody tr", has=page.get_by_text(component, exact=True))
    request.locator("button.answer").click()
    assert page.input_value("#componentId") == component
    expect(page.locator("#productId")).to_be_focused()
    page.fill("#productId", "DEMO-HS-5KWH")
    page.fill("#kgCo2ePerUnit", "12.75")
    page.select_option("#declaredUnit", "kWh")
    page.fill("#periodStart", "2026-01-01")
    page.fill("#periodEnd", "2027-01-01")


def _stored_and_valid(console: ConsoleServer, signer: Signer, attestation_id: str) -> None:
    """The attestation is stored as pushed by the customer, anchored, and verifies."""
    path = f"/api/v1/attestations/{attestation_id}"
    stored = wait_anchored(console.url, path, bearer(signer.api_key))
    assert stored["supplier_org_id"] == signer.org_id
    assert stored["pushed_by_org_id"] != signer.org_id
    record: Any = stored["record"]
    assert verify_attestation_record(record) == signer.address
    assert record["message"]["kgCo2ePerUnit"] == "12.75"
    bundle = httpx.get(f"{console.url}{path}/bundle", headers=bearer(signer.api_key), timeout=30)
    assert bundle.status_code == 200, bundle.text
    file = console.out_dir / f"signed-{attestation_id[:10]}.json"
    file.write_text(bundle.text, encoding="utf-8")
    trust = f"{console.url}/.well-known/tanji-trust.json"
    verdict = subprocess.run(
        [*TANJI, "verify", str(file), "--trust", trust, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    checks = {c["name"]: c["status"] for c in json.loads(verdict.stdout)["checks"]}
    assert verdict.returncode == 0, verdict.stdout[-3000:]
    for name in ("integrity", "anchored", "not_revoked", "attestation_signature"):
        assert checks[name] == "VALID", checks


def test_supplier_signs_with_a_keystore_file_in_the_page(
    console: ConsoleServer, page: Page, tmp_path: Path
) -> None:
    signer = _signer(console, page, "supplier", "keystore", None)
    _invite(console, signer.org_id, "TEST-CELL-KEYSTORE")
    keystore, keystore_file = _keystore(signer, tmp_path / "supplier-keystore.json")
    sent = _requests(page)

    page.goto("/console/signing/attest?lang=en")
    keyboard_check(page)
    page.set_input_files("#keystore-file", str(keystore_file))
    page.fill("#keystore-password", PASSWORD)
    page.click("#open-keystore")
    # A key the organisation has not registered: the page registers it (the key signs the
    # registry's challenge in the page) before it signs anything.
    expect(page.locator("#key-status")).to_contain_text("not registered", timeout=60_000)
    page.click("#register-key")
    expect(page.locator("#registered-keys")).to_contain_text(signer.address)
    expect(page.locator("#key-status")).to_contain_text(f"Signing as {signer.address}")
    assert page.locator("#register-box").is_hidden()
    assert page.input_value("#keystore-password") == ""  # not kept in the page either
    _fill_statement(page, "TEST-CELL-KEYSTORE")
    page.click("#prepare")
    review = page.locator("#review")
    expect(review).to_be_visible()
    for shown in ("DEMO-HS-5KWH", "TEST-CELL-KEYSTORE", "12.75 kg CO₂e / kWh", _customer_name()):
        expect(review).to_contain_text(shown)
    axe_check(page)
    screenshot(page, "signing-supplier-review")
    page.click("#sign")
    expect(page.locator("#result")).to_contain_text("0x", timeout=30_000)
    screenshot(page, "signing-supplier-pushed")
    assert page.locator("#error").inner_text() == ""
    attestation_id = page.locator("#result").inner_text().split(": ")[-1].strip()

    # The server saw the statement and the signature, never the keystore, password or key.
    secrets = (
        keystore["crypto"]["ciphertext"],
        keystore["crypto"]["mac"],
        PASSWORD,
        signer.private_key.removeprefix("0x"),
    )
    posts = [r for r in sent if r.method == "POST"]
    assert {r.url.split("?")[0].removeprefix(console.url) for r in posts} == {
        "/console/signing/keys",
        "/api/v1/attestations/typed-data",
        "/console/signing/attestations",
    }
    for request in sent:
        body = request.post_data or ""
        assert all(secret not in body and secret not in request.url for secret in secrets)
    _no_problems(page, sent)
    _stored_and_valid(console, signer, attestation_id)


#: A test EIP-1193 provider: accounts from the test, signatures by eth-account in the test.
PROVIDER = """
window.tanjiTestChain = "0x1";  // the wallet starts on another chain: the page asks to switch
window.ethereum = {
  isTanjiTest: true,
  request: async ({method, params}) => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "eth_chainId") return window.tanjiTestChain;
    if (method === "wallet_switchEthereumChain") {
      window.tanjiTestChain = params[0].chainId;
      return null;
    }
    if (method === "eth_signTypedData_v4") {
      const domain = JSON.parse(params[1]).domain;
      if (Number(window.tanjiTestChain) !== Number(domain.chainId)) {
        throw Object.assign(new Error("chainId does not match the active chain"), {code: -32603});
      }
      return await window.tanjiTestSign(params[0], params[1]);
    }
    throw Object.assign(new Error("unsupported " + method), {code: 4200});
  },
};
"""


def test_supplier_signs_with_a_browser_wallet(console: ConsoleServer, page: Page) -> None:
    signer = _signer(console, page, "supplier", "wallet", "/api/v1/suppliers/keys")
    _invite(console, signer.org_id, "TEST-CELL-WALLET")
    asked: list[dict[str, Any]] = []

    def sign(account: str, document: str) -> str:
        typed = json.loads(document)
        asked.append(typed)
        assert account.lower() == signer.address.lower()
        signed = Account.sign_typed_data(signer.private_key, full_message=typed)
        return "0x" + bytes(signed.signature).hex()

    page.expose_function("tanjiTestSign", sign)
    page.add_init_script(PROVIDER.replace("ADDRESS", json.dumps(signer.address.lower())))
    page.goto("/console/signing/attest?lang=zh-Hant")
    page.keyboard.press("Tab")  # the page works from the keyboard: choose the wallet by keys
    page.focus("#source-wallet")
    page.keyboard.press("Space")
    expect(page.locator("#wallet-box")).to_be_visible()
    page.focus("#connect-wallet")
    page.keyboard.press("Enter")
    expect(page.locator("#key-status")).to_contain_text(signer.address)
    _fill_statement(page, "TEST-CELL-WALLET")
    page.focus("#prepare")
    page.keyboard.press("Enter")
    expect(page.locator("#review")).to_contain_text("TEST-CELL-WALLET")
    page.keyboard.press("Enter")  # focus moved to the sign button
    expect(page.locator("#result")).to_contain_text("0x", timeout=30_000)
    screenshot(page, "signing-supplier-wallet")
    assert len(asked) == 1 and asked[0]["primaryType"] == "Attestation"
    assert "EIP712Domain" in asked[0]["types"]
    assert page.evaluate("window.tanjiTestChain") == hex(asked[0]["domain"]["chainId"])
    attestation_id = page.locator("#result").inner_text().split("：")[-1].strip()
    assert problems(page) == []
    _stored_and_valid(console, signer, attestation_id)


def _session(page: Page) -> dict[str, str]:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return {"Cookie": f"{SESSION_COOKIE}={cookies[SESSION_COOKIE]}"}


def test_partner_recognises_withdraws_and_downloads_proofs(
    console: ConsoleServer, page: Page, tmp_path: Path
) -> None:
    signer = _signer(console, page, "partner_sg", "partner-sg", "/api/v1/recognitions/keys")
    keystore, keystore_file = _keystore(signer, tmp_path / "partner-keystore.json")
    sent = _requests(page)
    page.goto("/console/signing/recognise?lang=en")
    expect(page.locator("#scope-profile")).to_contain_text("sg-partner")
    keyboard_check(page)
    page.set_input_files("#keystore-file", str(keystore_file))
    page.fill("#keystore-password", PASSWORD)
    page.click("#open-keystore")
    expect(page.locator("#key-status")).to_contain_text(signer.address, timeout=60_000)
    axe_check(page)
    screenshot(page, "signing-partner-labels")

    first = page.locator("#labels tbody tr", has=page.locator(".not-recognised")).first
    label_id = first.get_attribute("id").removeprefix("label-")  # type: ignore[union-attr]
    row = page.locator(f"#label-{label_id}")
    row.locator("button.recognise").click()
    expect(page.locator("#review")).to_contain_text(label_id)
    page.click("#sign")
    expect(page.locator("#result")).to_contain_text("0x", timeout=30_000)
    recognition_id = page.locator("#result").inner_text().split(": ")[-1].strip()
    public = httpx.get(f"{console.url}/api/v1/recognitions/{recognition_id}", timeout=30).json()
    assert public["status"] == "active" and public["label_id"] == label_id
    assert public["recognizer"] == signer.address
    screenshot(page, "signing-partner-recognised")

    row.locator(f"#reason-{recognition_id}").select_option("4")
    row.locator(f"button.withdraw[data-recognition='{recognition_id}']").click()
    expect(page.locator("#review")).to_contain_text(recognition_id)
    page.click("#sign")
    expect(page.locator("#result")).to_contain_text("withdrawn", timeout=30_000)
    public = httpx.get(f"{console.url}/api/v1/recognitions/{recognition_id}", timeout=30).json()
    assert public["status"] == "withdrawn" and public["withdrawal_id"]
    assert public["revocation_status"] is not None
    screenshot(page, "signing-partner-withdrawn")
    for request in sent:
        body = request.post_data or ""
        assert keystore["crypto"]["ciphertext"] not in body and PASSWORD not in body

    # The proof file of a label the demo's Singapore body recognised nests that recognition.
    page.reload()
    active = page.locator(".recognition-state", has_text="active")
    proof_row = page.locator("#labels tbody tr", has=active).first
    with page.expect_download() as download:
        proof_row.locator("a.proof").click()
    proof = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert proof["format"] == "tanji-bundle/1"
    assert proof["record"]["id"] == proof_row.get_attribute("id").removeprefix("label-")  # type: ignore[union-attr]
    assert proof.get("recognitions"), "the proof file nests the label's recognitions"
    assert problems(page) == []


def test_signing_endpoints_need_the_csrf_token_and_the_right_role(
    console: ConsoleServer, page: Page
) -> None:
    sign_in(page, "supplier")
    supplier = _session(page)
    body = {"customer": "org_x", "message": {}, "signature": "0x00"}
    with httpx.Client(base_url=console.url, timeout=30) as http:
        for headers in ({}, {CSRF_HEADER: "wrong"}):
            refused = http.post(
                "/console/signing/attestations", json=body, headers={**supplier, **headers}
            )
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "csrf_failed"
        page.goto("/console/signing/attest")
        token = page.locator("#csrf-token").input_value()
        unknown = http.post(
            "/console/signing/attestations",
            json=body,
            headers={**supplier, CSRF_HEADER: token},
        )
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_customer"
        assert unknown.json()["error"]["field"] == "customer"
        # A supplier may not sign recognitions, nor see the partner page.
        assert http.get("/console/signing/recognise", headers=supplier).status_code == 403
        for_partner = http.post(
            "/console/signing/recognitions",
            json={"typedData": {}, "signature": "0x00"},
            headers={**supplier, CSRF_HEADER: token},
        )
        assert for_partner.status_code == 403
        assert for_partner.json()["error"]["code"] == "forbidden_role"

    # A viewer of an enterprise may not sign attestations; the link is not shown to them.
    page.context.clear_cookies()
    sign_in(page, "viewer")
    assert page.locator("#console-nav a[href^='/console/signing']").count() == 0
    with httpx.Client(base_url=console.url, timeout=30) as http:
        denied = http.get("/console/signing/attest", headers=_session(page))
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "forbidden_user_role"


def test_the_demo_supplier_finds_its_request_and_opens_the_demo_keystore(
    console: ConsoleServer, page: Page
) -> None:
    """What a newcomer does: the demo's open request, answered with the demo's own key file
    (written by ``tanji demo``, encrypted with the data dir's keystore password)."""
    sign_in(page, "supplier", lang="zh-Hans")
    page.goto("/console/signing/attest?lang=zh-Hans")
    mission: dict[str, Any] = json.loads(MISSION.read_text(encoding="utf-8"))
    module = next(s for s in mission["supply_chain"]["suppliers"] if s["key"] == "module")
    request = page.locator("#requests tbody tr", has=page.get_by_text(NOTE))
    expect(request).to_contain_text(module["message"]["componentId"])
    expect(request).to_contain_text(_customer_name())
    folder = console.data_dir / DEMO_KEYSTORE_DIR
    password = os.environ.get(ENV_PASSWORD) or (folder / PASSWORD_FILE).read_text("utf-8").strip()
    page.set_input_files("#keystore-file", str(folder / "supplier-module.json"))
    page.fill("#keystore-password", password)
    page.click("#open-keystore")
    expect(page.locator("#key-status")).to_contain_text("签名地址", timeout=60_000)
    assert page.locator("#register-box").is_hidden()  # the demo registered it
    request.locator("button.answer").click()
    assert page.input_value("#componentId") == module["message"]["componentId"]
    screenshot(page, "signing-demo-request")
    assert problems(page) == []
