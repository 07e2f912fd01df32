"""PACT v3.0 API through a real ``tanji serve`` over HTTPS: every mandatory case of PACT's
conformance tool (wbcsd/pact-conformance-service, V3.0 test cases 1-40), so CI holds them without
the tool, plus credentials revocation and per-organisation sharing grants.

The callback cases (13 and 14.B: the host POSTs RequestFulfilled / RequestRejected back to the
requester) are in tests/registry/test_pact_exchange.py, between two deployments.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from registry.config import load_settings
from tests.registry.factories import bearer, footprint
from tests.registry.pact_server import Tls, cli, credentials, serve_https, tls
from tests.registry.server import create_org

pytestmark = pytest.mark.slow

CE = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: The conformance tool's event type names (the v3 OpenAPI's).
PUBLISHED = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"
CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"


@dataclass
class Host:
    url: str
    certs: Tls
    data: Path
    key_a: str  # registry API keys
    key_b: str
    org_a: str
    org_b: str
    client_a: tuple[str, str]  # PACT client credentials
    client_b: tuple[str, str]
    footprints: list[str]  # A's footprint ids

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=str(self.certs.ca), timeout=30)


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}", **FORM}


def token(host: Host, client: tuple[str, str]) -> dict[str, str]:
    with host.http() as h:
        r = h.post("/auth/token", content="grant_type=client_credentials", headers=basic(*client))
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    tmp = tmp_path_factory.mktemp("pact-https")
    data, certs = tmp / "data", tls(tmp / "tls")
    key_a = create_org(data, name="A")
    key_b = create_org(data, name="B", gs1_prefix=None)
    with serve_https(data, tmp / "serve.log", certs) as (_, url):
        with httpx.Client(base_url=url, verify=str(certs.ca), timeout=30) as h:
            org_a = h.get("/api/v1/orgs/me", headers=bearer(key_a)).json()["id"]
            org_b = h.get("/api/v1/orgs/me", headers=bearer(key_b)).json()["id"]
            ids = []
            for payload in (
                footprint(),
                footprint(
                    gtin=None, product_ids=["urn:tanji:sku:DE-2"], geography={"country": "DE"}
                ),
                footprint(
                    gtin=None,
                    product_ids=["urn:tanji:sku:FR-3"],
                    geography={"country": "FR"},
                    reference_period={"start": "2020-01-01", "end": "2020-12-31"},
                ),
            ):
                r = h.post("/api/v1/footprints", json=payload, headers=bearer(key_a))
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
        yield Host(
            url,
            certs,
            data,
            key_a,
            key_b,
            org_a,
            org_b,
            credentials(data, org_a),
            credentials(data, org_b),
            ids,
        )


def list_all(h: httpx.Client, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    r = h.get(f"/3/footprints{query}", headers=headers)
    assert r.status_code == 200, r.text
    assert "link" not in r.headers  # one page: no more than 100 here
    data: list[dict[str, Any]] = r.json()["data"]
    return data


# --- authentication (cases 1, 2, 9, 18, 19) ---------------------------------------------------


def test_token_with_valid_and_invalid_credentials_and_discovery(host: Host) -> None:
    with host.http() as h:
        r = h.post(
            "/auth/token", content="grant_type=client_credentials", headers=basic(*host.client_a)
        )
        assert r.status_code == 200
        body = r.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"]
        assert r.headers["cache-control"] == "no-store"

        bad = h.post(
            "/auth/token",
            content="grant_type=client_credentials",
            headers=basic(host.client_a[0], "wrong"),
        )
        assert bad.status_code == 401
        assert bad.json()["error"] == "invalid_client" and "access_token" not in bad.json()
        unknown = h.post(
            "/auth/token", content="grant_type=client_credentials", headers=basic("x", "y")
        )
        assert unknown.json()["error"] == "invalid_client"
        no_basic = h.post("/auth/token", content="grant_type=client_credentials", headers=FORM)
        assert no_basic.status_code == 401 and no_basic.json()["error"] == "invalid_client"
        grant = h.post("/auth/token", content="grant_type=password", headers=basic(*host.client_a))
        assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
        missing = h.post("/auth/token", content="", headers=basic(*host.client_a))
        assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"

        # OpenID Connect discovery names the token endpoint, which works the same (case 18).
        oidc = h.get("/.well-known/openid-configuration").json()
        assert oidc["token_endpoint"] == f"{host.url}/auth/token"
        r = h.post(
            oidc["token_endpoint"],
            content="grant_type=client_credentials",
            headers=basic(*host.client_a),
        )
        assert r.status_code == 200


def test_plain_http_gets_no_token_and_no_data(host: Host) -> None:
    # Cases 9, 10, 11, 17: the PACT API is HTTPS only; plain HTTP to the port yields nothing.
    plain = host.url.replace("https://", "http://")
    auth = token(host, host.client_a)
    for method, path, kwargs in (
        (
            "POST",
            "/auth/token",
            {"content": "grant_type=client_credentials", "headers": basic(*host.client_a)},
        ),
        ("GET", "/3/footprints", {"headers": auth}),
        ("GET", f"/3/footprints/{uuid.uuid4()}", {"headers": auth}),
        ("POST", "/3/events", {"json": {}, "headers": {**auth, **CE}}),
    ):
        try:
            r = httpx.request(method, plain + path, timeout=10, **kwargs)
        except httpx.TransportError:
            continue
        assert (
            r.status_code >= 400 and b"access_token" not in r.content and b'"data"' not in r.content
        )


# --- footprints (cases 3-8) --------------------------------------------------------------------


def test_list_get_and_paginate(host: Host) -> None:
    auth = token(host, host.client_a)
    with host.http() as h:
        docs = list_all(h, auth)
        assert len(docs) == 3 and all(d["specVersion"] == "3.0.0" for d in docs)
        one = docs[0]
        r = h.get(f"/3/footprints/{one['id']}", headers=auth)
        assert r.status_code == 200 and r.json()["data"] == one

        # Pagination: absolute next links on the request's host; the same page every time.
        r = h.get("/3/footprints", params={"limit": 2}, headers=auth)
        assert [d["id"] for d in r.json()["data"]] == [d["id"] for d in docs[:2]]
        link = r.headers["link"]
        assert link.startswith(f"<{host.url}/3/footprints?") and link.endswith('>; rel="next"')
        next_url = link[1 : link.index(">")]
        first = h.get(next_url, headers=auth)
        again = h.get(next_url, headers=auth)
        assert first.json() == again.json() and len(first.json()["data"]) == 1
        assert "link" not in first.headers
        assert (
            h.get("/3/footprints", params={"limit": "0"}, headers=auth).json()["code"]
            == "BadRequest"
        )

        # Cases 6, 7: an invalid token; 8: an unknown id.
        bad = {"Authorization": "Bearer very-invalid-access-token"}
        for path in ("/3/footprints", f"/3/footprints/{one['id']}"):
            r = h.get(path, headers=bad)
            assert (
                r.status_code == 400 and r.json()["code"] == "BadRequest" and "message" in r.json()
            )
        r = h.get("/3/footprints", headers={})
        assert r.status_code == 400 and r.json()["code"] == "BadRequest"
        r = h.get("/3/footprints/00000000-0000-0000-0000-000000000000", headers=auth)
        assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_responses_validate_against_the_v3_openapi_schema(host: Host) -> None:
    schema = json.loads(
        (Path(__file__).parents[1] / "assets" / "pact" / "openapi-v3.json").read_text()
    )
    validator = jsonschema_rs.validator_for(
        {**schema, "$ref": "#/components/schemas/ProductFootprint"}
    )
    auth = token(host, host.client_a)
    with host.http() as h:
        for doc in list_all(h, auth):
            errors = [e.message for e in validator.iter_errors(doc)]
            assert errors == [], errors
            extension = doc["extensions"][0]
            served = h.get(extension["dataSchema"])
            assert served.status_code == 200
            assert jsonschema_rs.validator_for(served.json()).is_valid(extension["data"])


# --- filters (cases 20-39) ---------------------------------------------------------------------


def test_every_filter_with_and_between_and_or_within_criteria(host: Host) -> None:
    auth = token(host, host.client_a)
    with host.http() as h:
        docs = list_all(h, auth)
        by_country = {
            d["pcf"].get("geographyCountry") or d["pcf"]["geographyCountrySubdivision"]: d
            for d in docs
        }
        cn, de, fr = by_country["CN-CQ"], by_country["DE"], by_country["FR"]

        def ids(query: str) -> set[str]:
            return {d["id"] for d in list_all(h, auth, query)}

        every = {cn["id"], de["id"], fr["id"]}
        assert ids(f"?productId={de['productIds'][0]}") == {de["id"]}
        assert ids(f"?productId={de['productIds'][0]}&productId={fr['productIds'][0]}") == {
            de["id"],
            fr["id"],
        }
        assert ids(f"?productid={de['productIds'][0]}") == {de["id"]}  # the spec's own spelling
        assert ids(f"?companyId={cn['companyIds'][0]}") == every
        assert ids("?geography=DE") == {de["id"]}
        assert ids("?geography=CN") == {cn["id"]}  # CN-CQ lies within CN
        assert ids("?geography=CN-CQ&geography=FR") == {cn["id"], fr["id"]}
        assert ids(f"?classification={cn['productClassifications'][0]}") == every
        # No label: valid three years from the reference period's end (2021-01-01 for FR).
        assert ids("?validOn=2022-06-01T00:00:00Z") == {fr["id"]}
        assert ids("?validAfter=2021-06-01T00:00:00Z") == {cn["id"], de["id"]}
        assert ids("?validBefore=2025-01-01T00:00:00Z") == {fr["id"]}
        assert ids("?status=Active") == every and ids("?status=Deprecated") == set()
        assert ids(f"?status=Active&productId={fr['productIds'][0]}") == {fr["id"]}
        # AND across criteria, OR within one.
        assert ids(f"?companyId={cn['companyIds'][0]}&geography=DE&geography=FR") == {
            de["id"],
            fr["id"],
        }
        assert ids(f"?productId={de['productIds'][0]}&geography=FR") == set()
        # Negative cases: nothing matches, still 200 with an empty list.
        for query in (
            "?productId=urn:bogus:product:x",
            "?companyId=urn:bogus:company:x",
            "?geography=XX",
            "?classification=urn:bogus:classification:x",
            "?validOn=1900-01-01T00:00:00Z",
            "?validAfter=2099-12-31T23:59:59Z",
            "?validBefore=1900-01-01T00:00:00Z",
            "?status=BogusStatus",
            f"?companyId=urn:bogus:company:x&productId={cn['productIds'][0]}",
            "?companyId=urn:bogus:company:x&companyId=urn:bogus:company:y",
        ):
            assert ids(query) == set(), query
        r = h.get("/3/footprints?validOn=yesterday", headers=auth)
        assert r.status_code == 400 and r.json()["code"] == "BadRequest"


# --- events (cases 12, 14.A, 15, 16, 40) -------------------------------------------------------


def test_events_are_accepted_or_refused(host: Host) -> None:
    auth = {**token(host, host.client_a), **CE}

    def event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "https://webhook.example.com",
            "time": "2026-12-01T10:30:00Z",
            "type": kind,
            "data": data,
        }

    with host.http() as h:
        for body in (
            event(CREATED, {"productId": ["urn:gtin:06901234567892"], "comment": "Please"}),
            event(CREATED, {"productId": ["urn:null"]}),
            event(PUBLISHED, {"pfIds": [str(uuid.uuid4())]}),
            # The spec text's type names are accepted too.
            event(
                "org.wbcsd.pathfinder.ProductFootprint.Published.v1", {"pfIds": [str(uuid.uuid4())]}
            ),
        ):
            r = h.post("/3/events", content=json.dumps(body), headers=auth)
            assert r.status_code == 200 and r.content == b"", r.text
        # A repeated event is accepted again (and answered once).
        r = h.post("/3/events", content=json.dumps(body), headers=auth)
        assert r.status_code == 200
        r = h.post(
            "/3/events",
            json=event(PUBLISHED, {"pfIds": [str(uuid.uuid4())]}),
            headers={**CE, "Authorization": "Bearer invalid-access-token"},
        )
        assert r.status_code == 400 and r.json()["code"] == "BadRequest"
        for bad in (
            event(PUBLISHED, {"pfIds": ["urn:gtin:4712345060507"]}),  # case 40: not PF ids
            event(PUBLISHED, {}),
            event("org.example.Unknown", {}),
            {**event(PUBLISHED, {"pfIds": [str(uuid.uuid4())]}), "specversion": "0.3"},
            {"type": PUBLISHED},
        ):
            r = h.post("/3/events", content=json.dumps(bad), headers=auth)
            assert r.status_code == 400 and r.json()["code"] == "BadRequest", bad
        r = h.post("/3/events", content=b"not json", headers=auth)
        assert r.status_code == 400
    inbox = cli(host.data, "pact", "inbox", "--org", host.org_a).splitlines()
    assert len(inbox) == 4  # the repeat is stored once


# --- access: sharing grants, revocation --------------------------------------------------------


def test_an_organisation_sees_only_what_data_owners_shared_with_it(host: Host) -> None:
    auth_b = token(host, host.client_b)
    with host.http() as h:
        a_docs = list_all(h, token(host, host.client_a))
        assert list_all(h, auth_b) == []
        r = h.get(f"/3/footprints/{a_docs[0]['id']}", headers=auth_b)
        assert r.status_code == 403 and r.json()["code"] == "AccessDenied"

        # The owner shares (API), the recipient sees; the grant is audited.
        r = h.post(f"/api/v1/pact/grants/{host.org_b}", headers=bearer(host.key_a))
        assert r.status_code == 201, r.text
        assert [
            g["org_id"]
            for g in h.get("/api/v1/pact/grants", headers=bearer(host.key_a)).json()["data"]
        ] == [host.org_b]
        assert {d["id"] for d in list_all(h, auth_b)} == {d["id"] for d in a_docs}
        assert h.get(f"/3/footprints/{a_docs[0]['id']}", headers=auth_b).status_code == 200
        r = h.delete(f"/api/v1/pact/grants/{host.org_b}", headers=bearer(host.key_a))
        assert r.status_code == 200
        assert list_all(h, auth_b) == []
        # The CLI does the same.
        cli(host.data, "pact", "grant", "--owner", host.org_a, "--to", host.org_b)
        assert len(list_all(h, auth_b)) == 3
        cli(host.data, "pact", "revoke-grant", "--owner", host.org_a, "--to", host.org_b)
        assert list_all(h, auth_b) == []
        audit = cli(host.data, "audit", "list", "--json", "--limit", "50")
        actions = [entry["action"] for entry in json.loads(audit)]
        assert actions.count("pact.grant") == 2 and actions.count("pact.revoke") == 2


def test_revoked_credentials_get_no_token_and_their_tokens_stop(host: Host) -> None:
    client = credentials(host.data, host.org_b)
    auth = token(host, client)
    with host.http() as h:
        assert h.get("/3/footprints", headers=auth).status_code == 200
        cli(host.data, "pact", "credentials", "revoke", client[0])
        r = h.post("/auth/token", content="grant_type=client_credentials", headers=basic(*client))
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
        r = h.get("/3/footprints", headers=auth)
        assert r.status_code == 400 and r.json()["code"] == "BadRequest"
    # The secret is stored only as a hash.
    from sqlalchemy import create_engine, text

    engine = create_engine(load_settings(data_dir=host.data).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            stored = [row[0] for row in conn.execute(text("SELECT secret_hash FROM pact_client"))]
    finally:
        engine.dispose()
    assert client[1] not in stored and all(len(s) == 64 for s in stored)
