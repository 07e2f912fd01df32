"""The signing pages in-process: partner scope from the trust profiles, who a supplier may push
to, the pages in three languages, permissions and CSRF on the JSON endpoints.

The browser paths (keystore, wallet, recognise, withdraw, proof file) are in
``test_signing_browser.py``.
"""

from __future__ import annotations

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import FastAPI
from sqlmodel import Session

from registry.api.routes.console import SESSION_COOKIE
from registry.api.routes.console_signing import (
    CSRF_HEADER,
    customers_of,
    partner_scope,
    pending_requests,
)
from registry.crud.orgs import create_org
from registry.crud.supplier_invitations import cancel_invitation, invite_supplier
from registry.crud.suppliers import register_key, registration_message
from registry.crud.users import create_user, set_password, sign_in
from registry.models.orgs import Organisation, OrgRole
from registry.models.suppliers import KeyRegistration
from registry.models.users import UserRole
from tests.registry.partners import HK_BODY_KEY, HK_SCHEME, SG_BODY_KEY, SG_SCHEME, partner_key

BASE_URL = "https://tanji.test"
PASSWORD = "correct horse battery"
CELL_KEY = partner_key("cell-maker")  # any test key
SG_CATEGORIES = ("laptop", "lithium_battery_pack", "mobile_phone", "pv_module")


def _register(session: Session, org: Organisation, private_key: str) -> None:
    address = str(Account.from_key(private_key).address)
    text = registration_message(base_url=BASE_URL, org_id=org.id, address=address)
    signed = Account.sign_message(encode_defunct(text=text), private_key=private_key)
    body = KeyRegistration(address=address, signature="0x" + bytes(signed.signature).hex())
    register_key(session, org=org, body=body, base_url=BASE_URL)
    session.commit()


def _partner(session: Session, name: str, *keys: str) -> Organisation:
    org, _ = create_org(session, name=name, role=OrgRole.PARTNER_CERTIFIER)
    for key in keys:
        _register(session, org, key)
    return org


def test_partner_scope_follows_the_trust_profiles(app: FastAPI) -> None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        sg = partner_scope(session, _partner(session, "SG body", SG_BODY_KEY))
        assert sg.profile == "sg-partner" and sg.schemes == (SG_SCHEME,)
        assert sg.categories == SG_CATEGORIES
        # The Hong Kong body: its own profile sets no category limit, so none applies.
        hk = partner_scope(session, _partner(session, "HK body", HK_BODY_KEY))
        assert hk.profile == "hk-partner, sg-partner" and hk.schemes == (HK_SCHEME,)
        assert hk.categories == ()
        # A partner no profile names: every scheme a profile accepts, every category.
        unknown = partner_scope(session, _partner(session, "Other", partner_key("other")))
        assert unknown.profile is None and unknown.categories == ()
        assert unknown.schemes == (HK_SCHEME, SG_SCHEME)


def test_a_supplier_pushes_only_to_customers_that_asked(app: FastAPI) -> None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        customer, _ = create_org(session, name="Pack maker", role=OrgRole.ENTERPRISE)
        supplier, _ = create_org(session, name="Cell maker", role=OrgRole.ENTERPRISE)
        create_org(session, name="Bystander", role=OrgRole.ENTERPRISE)
        assert customers_of(session, supplier) == []
        invitation, _ = invite_supplier(
            session, org=customer, supplier_org_id=supplier.id, component_id="CELL-1"
        )
        session.commit()
        assert [o.id for o in customers_of(session, supplier)] == [customer.id]
        (request,) = pending_requests(session, supplier)
        assert request["customer"] == "Pack maker" and request["answer"] is None
        assert request["row"].component_id == "CELL-1"
        assert invitation.id is not None
        cancel_invitation(session, org=customer, invitation_id=invitation.id)
        session.commit()
        assert customers_of(session, supplier) == [] and pending_requests(session, supplier) == []


def _person(session: Session, org_id: str, email: str, role: UserRole) -> dict[str, str]:
    _, token = create_user(session, org_id=org_id, email=email, role=role)
    set_password(session, token=token, password=PASSWORD)
    _, cookie = sign_in(session, email=email, password=PASSWORD)
    return {"Cookie": f"{SESSION_COOKIE}={cookie}"}


@pytest.fixture
async def secure_client(app: FastAPI) -> httpx.AsyncClient:
    """An in-process client on https (the session cookie is ``Secure``)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


async def test_pages_languages_permissions_and_csrf(
    app: FastAPI, secure_client: httpx.AsyncClient
) -> None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        customer, _ = create_org(session, name="Pack maker 包", role=OrgRole.ENTERPRISE)
        supplier, _ = create_org(session, name="Cell maker", role=OrgRole.ENTERPRISE)
        _register(session, supplier, CELL_KEY)
        invite_supplier(session, org=customer, supplier_org_id=supplier.id, component_id="CELL-7")
        session.commit()
        editor = _person(session, supplier.id, "editor@cell.example", UserRole.EDITOR)
        viewer = _person(session, supplier.id, "viewer@cell.example", UserRole.VIEWER)
        partner = _partner(session, "SG body", SG_BODY_KEY)
        reviewer = _person(session, partner.id, "reviewer@sg.example", UserRole.REVIEWER)

    async with secure_client as http:
        titles = {
            "zh-Hans": "在浏览器中签署供应商声明",
            "zh-Hant": "在瀏覽器中簽署供應商聲明",
            "en": "Sign a supplier attestation in the browser",
        }
        for lang, title in titles.items():
            page = await http.get(f"/console/signing/attest?lang={lang}", headers=editor)
            assert page.status_code == 200, page.text
            assert f'<html lang="{lang}">' in page.text and title in page.text
            assert "Pack maker 包" in page.text and "CELL-7" in page.text
            # No inline script: only the vendored ethers and the page's own module.
            scripts = page.text.count("<script")
            assert scripts == page.text.count('<script src="/static/') == 3
            assert 'data-messages="{' in page.text and "&#34;js_no_key&#34;" in page.text
        assert "/console/signing/attest" in (await http.get("/console", headers=editor)).text
        home = await http.get("/console", headers=viewer)
        assert "/console/signing" not in home.text
        denied = await http.get("/console/signing/attest", headers=viewer)
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "forbidden_user_role"
        other = await http.get("/console/signing/recognise", headers=editor)
        assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden_role"

        partner_page = await http.get("/console/signing/recognise?lang=en", headers=reviewer)
        assert partner_page.status_code == 200, partner_page.text
        assert "sg-partner" in partner_page.text and SG_SCHEME in partner_page.text

        body = {"customer": customer.id, "message": {}, "signature": "0x00"}
        for extra in ({}, {CSRF_HEADER: "wrong"}):
            refused = await http.post(
                "/console/signing/attestations", json=body, headers={**editor, **extra}
            )
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"] == {
                "code": "csrf_failed",
                "message": refused.json()["error"]["message"],
                "field": "csrf_token",
                "details": [],
            }
        token = page.text.split('id="csrf-token" value="', 1)[1].split('"', 1)[0]
        signed = {**editor, CSRF_HEADER: token}

        async def push(**change: object) -> httpx.Response:
            return await http.post(
                "/console/signing/attestations", json={**body, **change}, headers=signed
            )

        asked_nothing = await push(customer=partner.id)
        assert asked_nothing.status_code == 422
        assert asked_nothing.json()["error"]["code"] == "unknown_customer"
        assert asked_nothing.json()["error"]["field"] == "customer"
        foreign = await push(message={"supplier": Account.from_key(SG_BODY_KEY).address})
        assert foreign.status_code == 403
        assert foreign.json()["error"]["code"] == "not_own_key"
        assert foreign.json()["error"]["field"] == "message.supplier"
        # With its own key the request reaches intake: this process anchors on no chain.
        no_chain = await push(message={"supplier": Account.from_key(CELL_KEY).address})
        assert no_chain.status_code == 503 and no_chain.json()["error"]["code"] == "no_chain"
        # Unknown members (a keystore, a password) are refused, never read.
        leaked = await push(keystore={"crypto": {}})
        assert leaked.status_code == 422

        # The key opened in the page is registered with its signature of the challenge.
        new_key = partner_key("cell-maker-2")
        address = Account.from_key(new_key).address
        path = f"/console/signing/keys/challenge?address={address.lower()}"
        refused_viewer = await http.get(path, headers=viewer)
        assert refused_viewer.status_code == 403
        challenge = (await http.get(path, headers=editor)).json()
        assert challenge == {
            "address": address,
            "message": registration_message(base_url=BASE_URL, org_id=supplier.id, address=address),
        }
        proof = Account.sign_message(encode_defunct(text=challenge["message"]), private_key=new_key)
        key_body = {"address": address, "signature": "0x" + bytes(proof.signature).hex()}
        no_token = await http.post("/console/signing/keys", json=key_body, headers=editor)
        assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
        added = await http.post("/console/signing/keys", json=key_body, headers=signed)
        assert added.status_code == 201, added.text
        assert added.json()["org_id"] == supplier.id and added.json()["active"] is True
        again = await http.post("/console/signing/keys", json=key_body, headers=signed)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "key_already_registered"
