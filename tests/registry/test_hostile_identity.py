"""Who may do what to which product, attacked through HTTP.

Enterprise B tries to take over enterprise A's GTIN (a footprint with A's GTIN and A's name, a
claim on A's GS1 company prefix, the resolver), a second certification body tries to replace a
revoked label, names carry bidi overrides, zero-width characters, NUL and ANSI escapes, and an
enterprise that only pushed a supplier's attestation tries to revoke it. The ``server`` tests run
against one real ``tanji serve`` process (embedded chain, SQLite); the finer cases use the
in-process app on SQLite and PostgreSQL.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.messages import encode_defunct
from fastapi import FastAPI
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, delete, select

from registry.audit import AuditEntry
from registry.crud.prefixes import covers, grant_prefix
from registry.models.prefixes import IdPrefix
from registry.qr import normalize_gtin
from tests.database import registry_database
from tests.registry.factories import (
    ENTERPRISE_NAME,
    ENTERPRISE_PREFIX,
    OTHER_ENTERPRISE_GTIN,
    OTHER_ENTERPRISE_PREFIX,
    Orgs,
    bearer,
    footprint,
    numbered,
)
from tests.registry.server import TANJI, create_org, serve
from tests.registry.supply_chain_data import digest_of, item, message, supplier_account

GTIN = "06901234567892"  # the factory laptop's, under ENTERPRISE_PREFIX
VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}
FOOTPRINTS = "/api/v1/footprints"
#: Characters that make a reader see other text than is stored.
HOSTILE = {
    "rlo": "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "lre": "\u202a",
    "lri": "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "pdi": "\u2069",
    "zwsp": "\u200b",
    "rlm": "\u200f",
    "bom": "\ufeff",
    "wj": "\u2060",
    "nul": "\x00",
    "ansi": "\x1b[31m",
    "c1_csi": "\x9b",
    "cr": "\r",
}


# --- one real `tanji serve` --------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    admin: str
    a: str  # enterprise A (holds ENTERPRISE_PREFIX), its key
    a_id: str
    b: str  # enterprise B (holds OTHER_ENTERPRISE_PREFIX)
    b_id: str
    cb1: str
    cb2: str
    cb2_id: str

    def post(self, path: str, key: str | None, body: Any = None) -> httpx.Response:
        headers = bearer(key) if key else {}
        return httpx.post(self.url + path, json=body, headers=headers, timeout=30)

    def get(self, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = {**(bearer(key) if key else {}), **kw.pop("headers", {})}
        return httpx.get(self.url + path, headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("identity") / "data"
    admin = create_org(data, "admin", "Tanji admin")
    a = create_org(data, "enterprise", ENTERPRISE_NAME)  # confirms ENTERPRISE_PREFIX
    b = create_org(data, "enterprise", "Liangjiang Motors", gs1_prefix=OTHER_ENTERPRISE_PREFIX)
    cb1 = create_org(data, "certification_body", "Chongqing Carbon Label Center")
    cb2 = create_org(data, "certification_body", "Other CB")
    with serve(data, data.parent / "serve.log") as (_, url):
        me = {
            key: httpx.get(f"{url}/api/v1/orgs/me", headers=bearer(key)).json()["id"]
            for key in (a, b, cb2)
        }
        yield Server(url, data, admin, a, me[a], b, me[b], cb1, cb2, me[cb2])


def _error(r: httpx.Response) -> tuple[int, str, str | None]:
    error = r.json()["error"]
    return r.status_code, error["code"], error["field"]


def _footprint_and_label(s: Server, key: str, body: dict[str, Any], cb: str) -> dict[str, Any]:
    r = s.post("/api/v1/footprints", key, body)
    assert r.status_code == 201, r.text
    r = s.post("/api/v1/labels", cb, {"footprint_id": r.json()["id"], **VALIDITY})
    assert r.status_code == 201, r.text
    label: dict[str, Any] = r.json()
    return label


@pytest.mark.slow
def test_an_enterprise_cannot_take_over_another_ones_gtin(server: Server) -> None:
    s = server
    # A labels its laptop; its own name is what the label shows, whatever the footprint says.
    mine = _footprint_and_label(s, s.a, footprint(company_name="Anything A typed"), s.cb1)
    assert mine["record"]["company"] == {"name": ENTERPRISE_NAME, "org": s.a_id}
    # B submits a footprint with A's GTIN and A's company name: refused, single and bulk.
    stolen = footprint(company_name=ENTERPRISE_NAME, kg_co2e_per_unit=100.0, fossil_kg_co2e=97.5)
    r = s.post("/api/v1/footprints", s.b, stolen)
    assert _error(r) == (403, "gtin_not_owned", "gtin")
    r = s.post("/api/v1/footprints/bulk", s.b, {"items": [stolen, footprint(gtin=None)]})
    results = r.json()["results"]
    assert (results[0]["status"], results[0]["error"]["code"]) == ("error", "gtin_not_owned")
    assert results[0]["error"]["field"] == "gtin" and results[1]["status"] == "created"
    # B claims A's prefix, a longer or a shorter one overlapping it: refused.
    for prefix in (ENTERPRISE_PREFIX, ENTERPRISE_PREFIX + "7", ENTERPRISE_PREFIX[:6]):
        r = s.post("/api/v1/orgs/me/id-prefixes", s.b, {"prefix": prefix})
        assert _error(r) == (409, "prefix_taken", "prefix"), prefix
    # B claims a free prefix: it counts only once confirmed, and B cannot confirm it.
    r = s.post("/api/v1/orgs/me/id-prefixes", s.b, {"prefix": "6955555", "evidence": "GS1 CN"})
    assert r.status_code == 201 and r.json()["status"] == "claimed", r.text
    r = s.post(f"/api/v1/orgs/{s.b_id}/id-prefixes/6955555/confirm", s.b)
    assert _error(r)[:2] == (403, "forbidden_role")
    free_gtin = normalize_gtin("6955555000019")
    assert covers("6955555", free_gtin)
    r = s.post("/api/v1/footprints", s.b, footprint(gtin=free_gtin))
    assert _error(r) == (403, "gtin_not_owned", "gtin")
    r = s.post(f"/api/v1/orgs/{s.b_id}/id-prefixes/6955555/confirm", s.cb2)
    assert r.status_code == 200 and r.json()["confirmed_by_org_id"] == s.cb2_id, r.text
    assert s.post("/api/v1/footprints", s.b, footprint(gtin=free_gtin)).status_code == 201
    # The audit log records who confirmed it.
    actions = query(
        s.data_dir,
        "SELECT action, org_id FROM audit_entry WHERE subject_type = 'id_prefix' "
        "AND subject_id = :subject",
        subject=f"{s.b_id}:gs1:6955555",
    )
    assert actions == [("id_prefix.claim", s.b_id), ("id_prefix.confirm", s.cb2_id)]
    # The resolver sends A's GTIN to A's label, and a GTIN no one holds nowhere.
    r = s.get(f"/01/{GTIN}")
    assert r.status_code == 307 and r.headers["location"] == f"/l/{mine['id']}"
    unheld = normalize_gtin("4006381333931")
    assert s.get(f"/01/{unheld}", headers={"Accept": "application/json"}).status_code == 404
    # The page, its title and the artwork name A from its organisation record.
    page = s.get(f"/l/{mine['id']}?lang=en").text
    artwork = s.get(f"/api/v1/labels/{mine['id']}/artwork.svg").text
    for text in (page, artwork):
        assert ENTERPRISE_NAME.replace(",", "") in text.replace(",", "")
        assert "Anything A typed" not in text


@pytest.mark.slow
def test_a_revoked_label_stays_revoked(server: Server) -> None:
    s = server
    body = footprint(kg_co2e_per_unit=300.0, fossil_kg_co2e=297.5)
    label = _footprint_and_label(s, s.a, body, s.cb1)
    r = s.post(f"/api/v1/labels/{label['id']}/revoke", s.cb1, {"reason_code": 3})
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    # Another certification body (and the revoking one too) cannot just label it again.
    for cb in (s.cb2, s.cb1):
        r = s.post("/api/v1/labels", cb, {"footprint_id": label["footprint_id"], **VALIDITY})
        assert _error(r) == (409, "footprint_label_revoked", "footprint_id")
        assert r.json()["error"]["details"][0]["label_id"] == label["id"]
    # Only the revoking body reissues, explicitly, once; the new label names the revoked one.
    r = s.post(f"/api/v1/labels/{label['id']}/reissue", s.cb2, VALIDITY)
    assert _error(r)[:2] == (403, "not_issuer")
    r = s.post(f"/api/v1/labels/{label['id']}/reissue", s.cb1, VALIDITY)
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["reissue_of"] == label["id"] and again["record"]["reissue_of"] == label["id"]
    assert again["footprint_id"] == label["footprint_id"] and again["status"] == "active"
    r = s.post(f"/api/v1/labels/{label['id']}/reissue", s.cb1, VALIDITY)
    assert _error(r)[:2] == (409, "already_reissued")
    r = s.post(f"/api/v1/labels/{again['id']}/reissue", s.cb1, VALIDITY)
    assert _error(r)[:2] == (409, "not_revoked")
    count = query(
        s.data_dir,
        "SELECT COUNT(*) FROM audit_entry WHERE action = 'label.reissue' AND subject_id = :id",
        id=again["id"],
    )
    assert count == [(1,)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rlo", "lri", "zwsp", "bom", "nul", "ansi"])
def test_names_refuse_hidden_and_control_characters(server: Server, name: str) -> None:
    s, bad = server, HOSTILE[name]
    cases = [
        ("/api/v1/footprints", s.a, footprint(product_name={"zh": "笔记本", "en": f"Lap{bad}top"})),
        ("/api/v1/footprints", s.a, footprint(company_name=f"Bishan{bad} Computing")),
        ("/api/v1/footprints", s.a, footprint(notes=f"line one\nline{bad} two")),
        ("/api/v1/orgs", s.admin, {"name": f"Evil{bad} Co", "role": "enterprise"}),
    ]
    fields = ["product_name.en", "company_name", "notes", "name"]
    for (path, key, body), field in zip(cases, fields, strict=True):
        r = s.post(path, key, body)
        assert _error(r) == (422, "bad_text", field), r.text
        assert "U+" in r.json()["error"]["message"]
    if bad == "\x00":
        return  # no process argument can hold a NUL
    # The CLI refuses the same, with one error line.
    command = [*TANJI, "org", "create", "--name", f"Evil{bad} Co", "--role", "enterprise"]
    out = subprocess.run(
        [*command, "--data-dir", str(s.data_dir)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and out.stderr.startswith("error: bad_text: "), out.stderr


@pytest.mark.slow
def test_only_the_signer_or_the_labelling_body_revokes_an_attestation(server: Server) -> None:
    s = server
    supplier = create_org(s.data_dir, "enterprise", "Cell supplier", gs1_prefix=None)
    account = supplier_account("identity-cells")
    challenge = s.get(
        "/api/v1/suppliers/keys/challenge", supplier, params={"address": account.address}
    )
    signed = account.sign_message(encode_defunct(text=challenge.json()["message"])).signature
    r = s.post(
        "/api/v1/suppliers/keys",
        supplier,
        {"address": account.address, "signature": "0x" + bytes(signed).hex()},
    )
    assert r.status_code == 201, r.text
    eip712 = s.get("/api/v1/attestations/eip712").json()
    first, second = (message(account, component="CQ-CELL-21700-A") for _ in range(2))
    ids = [digest_of(eip712, m) for m in (first, second)]
    # A pushes both (pushing is delivery, not authorship).
    items = [item(account, eip712, m) for m in (first, second)]
    r = s.post("/api/v1/attestations/bulk", s.a, {"items": items})
    assert r.json()["created"] == 2, r.text
    # A's footprint rests on the second; cb1 labels it.
    component = {"component_id": "CQ-CELL-21700-A", "quantity": 4, "unit": "unit"}
    body = numbered(77) | {"components": [component | {"attestation_id": ids[1]}]}
    _footprint_and_label(s, s.a, body, s.cb1)
    reason = {"reason_code": 3}
    # Whoever pushed it, another enterprise, a certification body that did not rely on it, and
    # an admin may not revoke.
    for key in (s.a, s.b, s.cb2, s.admin):
        for attestation_id in ids:
            r = s.post(f"/api/v1/attestations/{attestation_id}/revoke", key, reason)
            assert _error(r) == (403, "not_signer", "attestation_id"), r.text
    # cb1 relied on the second; it may not revoke the first.
    r = s.post(f"/api/v1/attestations/{ids[0]}/revoke", s.cb1, reason)
    assert _error(r)[:2] == (403, "not_signer")
    r = s.post(f"/api/v1/attestations/{ids[1]}/revoke", s.cb1, reason)
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    # The signer may.
    r = s.post(f"/api/v1/attestations/{ids[0]}/revoke", supplier, reason)
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text


# --- finer cases, in process (SQLite and PostgreSQL) --------------------------------------------


def test_a_gs1_company_prefix_numbers_gtin_8_12_13_and_14() -> None:
    assert covers("690123456", normalize_gtin("6901234567892"))  # GTIN-13
    assert covers("690123456", normalize_gtin("16901234567899"))  # GTIN-14, indicator 1
    assert covers("0614141", normalize_gtin("614141000036"))  # U.P.C. prefix 614141
    assert covers("000009638507", normalize_gtin("96385074"))  # one GTIN-8
    assert not covers("690123456", normalize_gtin("6901234500004"))
    assert not covers("614141", normalize_gtin("614141000036"))  # the leading zero counts


async def test_prefix_claims_are_checked(client: httpx.AsyncClient, orgs: Orgs) -> None:
    path = "/api/v1/orgs/me/id-prefixes"
    for bad in ("12345", "1234567890123", "69012x", "６９０１２３"):
        r = await client.post(path, json={"prefix": bad}, headers=bearer(orgs.enterprise))
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_prefix"), bad
        assert r.json()["error"]["field"] == "prefix"
    r = await client.post(path, json={"prefix": "6931234"}, headers=bearer(orgs.certifier))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden_role")
    # Claiming again answers the same row; the evidence is text like any other.
    body = {"prefix": "6931234", "evidence": "GS1 China 2026-0001"}
    first = await client.post(path, json=body, headers=bearer(orgs.enterprise))
    again = await client.post(path, json=body, headers=bearer(orgs.enterprise))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    r = await client.post(
        path, json={"prefix": "6941234", "evidence": "x\u202ey"}, headers=bearer(orgs.enterprise)
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "bad_text")
    mine = (await client.get(path, headers=bearer(orgs.enterprise))).json()
    assert [(p["prefix"], p["status"]) for p in mine["data"]] == [
        (ENTERPRISE_PREFIX, "confirmed"),
        ("6931234", "claimed"),
    ]
    waiting = await client.get(
        "/api/v1/id-prefixes", params={"status": "claimed"}, headers=bearer(orgs.certifier)
    )
    assert [p["prefix"] for p in waiting.json()["data"]] == ["6931234"]
    r = await client.get("/api/v1/id-prefixes", headers=bearer(orgs.enterprise))
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/orgs/{orgs.enterprise_id}/id-prefixes/6999999/confirm",
        headers=bearer(orgs.admin),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


async def test_overlapping_claims_cannot_both_be_confirmed(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    path = "/api/v1/orgs/me/id-prefixes"
    for key, prefix in ((orgs.enterprise, "6970001"), (orgs.other_enterprise, "697000123")):
        r = await client.post(path, json={"prefix": prefix}, headers=bearer(key))
        assert r.status_code == 201, r.text  # claims may overlap while unconfirmed
    r = await client.post(
        f"/api/v1/orgs/{orgs.other_enterprise_id}/id-prefixes/697000123/confirm",
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200
    r = await client.post(
        f"/api/v1/orgs/{orgs.enterprise_id}/id-prefixes/6970001/confirm",
        headers=bearer(orgs.admin),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "prefix_taken")
    assert r.json()["error"]["details"] == [{"prefix": "6970001", "held": "697000123"}]
    # Confirming a confirmed prefix changes nothing.
    r = await client.post(
        f"/api/v1/orgs/{orgs.other_enterprise_id}/id-prefixes/697000123/confirm",
        headers=bearer(orgs.admin),
    )
    assert r.status_code == 200 and r.json()["confirmed_by_org_id"] != orgs.enterprise_id


async def test_the_resolver_sends_a_gtin_only_to_its_prefix_holders_labels(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    # Labels of a GTIN by two enterprises (one issued before its prefix went to the other, as a
    # database from before prefixes existed may hold): the holder's label answers, the newer
    # one of the other enterprise never does.
    def move_prefix(to: str) -> None:
        with Session(app.state.engine) as session:
            session.execute(delete(IdPrefix).where(col(IdPrefix.prefix) == ENTERPRISE_PREFIX))
            grant_prefix(session, org_id=to, prefix=ENTERPRISE_PREFIX)
            session.commit()

    async def label_of(key: str, total: float) -> dict[str, Any]:
        body = footprint(kg_co2e_per_unit=total, fossil_kg_co2e=total - 2.5)
        r = await client.post("/api/v1/footprints", json=body, headers=bearer(key))
        assert r.status_code == 201, r.text
        r = await client.post(
            "/api/v1/labels",
            json={"footprint_id": r.json()["id"], **VALIDITY},
            headers=bearer(orgs.certifier),
        )
        assert r.status_code == 201, r.text
        label: dict[str, Any] = r.json()
        return label

    ours = await label_of(orgs.enterprise, 210.0)
    move_prefix(orgs.other_enterprise_id)
    theirs = await label_of(orgs.other_enterprise, 220.0)
    move_prefix(orgs.enterprise_id)
    r = await client.get(f"/01/{GTIN}")
    assert r.status_code == 307 and r.headers["location"] == f"/l/{ours['id']}"
    r = await client.get(f"/01/{GTIN}/21/{theirs['id']}", headers={"Accept": "application/json"})
    assert r.status_code == 404
    r = await client.get(f"/01/{GTIN}/21/{ours['id']}", headers={"Accept": "application/json"})
    assert r.status_code == 200
    # A footprint stored with a GTIN its enterprise no longer holds is not labelled again.
    r = await client.post(
        f"/api/v1/labels/{theirs['id']}/supersede",
        json={"footprint_id": theirs["footprint_id"], **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "gtin_not_owned")
    assert r.json()["error"]["field"] == "footprint_id"
    # The other enterprise's own GTIN resolves to its own label.
    own = await client.post(
        "/api/v1/footprints",
        json=footprint(gtin=OTHER_ENTERPRISE_GTIN),
        headers=bearer(orgs.other_enterprise),
    )
    assert own.status_code == 201, own.text


async def test_a_revoked_or_superseded_footprint_gets_no_fresh_label(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    async def submit(total: float) -> str:
        body = footprint(kg_co2e_per_unit=total, fossil_kg_co2e=total - 2.5)
        r = await client.post("/api/v1/footprints", json=body, headers=bearer(orgs.enterprise))
        assert r.status_code == 201, r.text
        footprint_id: str = r.json()["id"]
        return footprint_id

    async def label(footprint_id: str, key: str) -> httpx.Response:
        return await client.post(
            "/api/v1/labels", json={"footprint_id": footprint_id, **VALIDITY}, headers=bearer(key)
        )

    old_fp, new_fp, revoked_fp = await submit(201.0), await submit(202.0), await submit(203.0)
    old = (await label(old_fp, orgs.certifier)).json()
    r = await client.post(
        f"/api/v1/labels/{old['id']}/supersede",
        json={"footprint_id": new_fp, **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    new = r.json()
    # The corrected-away footprint gets no fresh label from anyone.
    r = await label(old_fp, orgs.other_certifier)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "footprint_label_revoked")
    # Revocation notes are text like any other; a line feed is fine in a note.
    gone = (await label(revoked_fp, orgs.certifier)).json()
    revoke = f"/api/v1/labels/{gone['id']}/revoke"
    r = await client.post(
        revoke, json={"reason_code": 3, "note": "\x1b[2J"}, headers=bearer(orgs.certifier)
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "bad_text")
    r = await client.post(
        revoke, json={"reason_code": 3, "note": "one\ntwo"}, headers=bearer(orgs.certifier)
    )
    assert r.status_code == 200, r.text
    # No label is superseded onto a footprint whose label was revoked.
    r = await client.post(
        f"/api/v1/labels/{new['id']}/supersede",
        json={"footprint_id": revoked_fp, **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "footprint_label_revoked")
    # The reissue is audited, naming the new label.
    r = await client.post(
        f"/api/v1/labels/{gone['id']}/reissue",
        json={**VALIDITY, "serial": "RE-1"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    with Session(app.state.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "label.reissue")).one()
        assert entry.subject_id == r.json()["id"] and entry.after_digest is not None


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_every_free_text_field_refuses_hidden_characters(
    client: httpx.AsyncClient, orgs: Orgs, name: str
) -> None:
    bad = HOSTILE[name]
    cases: list[tuple[str, str, dict[str, Any]]] = [
        (FOOTPRINTS, orgs.enterprise, footprint(product_name={"zh": f"笔{bad}记", "en": "L"})),
        (FOOTPRINTS, orgs.enterprise, footprint(product_ids=[f"urn:x:{bad}1"])),
        (FOOTPRINTS, orgs.enterprise, footprint(standards=[f"ISO{bad} 14067"])),
        ("/api/v1/orgs", orgs.admin, {"name": "F", "role": "enterprise", "address": f"Y{bad}u"}),
    ]
    fields = ["product_name.zh", "product_ids[0]", "standards[0]", "address"]
    for (path, key, body), field in zip(cases, fields, strict=True):
        r = await client.post(path, json=body, headers=bearer(key))
        error = r.json()["error"]
        assert (r.status_code, error["code"], error["field"]) == (422, "bad_text", field), body
    # Bulk: reported per item, the rest stored.
    r = await client.post(
        "/api/v1/footprints/bulk",
        json={"items": [footprint(company_name=f"A{bad}B"), numbered(5)]},
        headers=bearer(orgs.enterprise),
    )
    first, second = r.json()["results"]
    assert (first["error"]["code"], first["error"]["field"]) == ("bad_text", "company_name")
    assert second["status"] == "created"


async def test_plain_names_and_multi_line_notes_are_accepted(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    body = footprint(
        gtin=None,
        product_name={"zh": "重庆小面调料 · 麻辣", "en": "Chongqing noodle seasoning — hot"},
        company_name="示例 Café Ltd. (Ø)",
        notes="Line one.\nLine two: العربية and עברית are fine without overrides.",
    )
    r = await client.post("/api/v1/footprints", json=body, headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text


def query(data_dir: Path, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the server's database (SQLite or this pass's PostgreSQL)."""
    engine = registry_database(data_dir)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sql_text(sql), params)]
    finally:
        engine.dispose()
