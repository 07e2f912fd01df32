"""The four official PACT v3 examples (tests/assets/pact/v3) through a real ``tanji serve`` over
HTTPS: each imports as the specification wrote it (no category given: a car door and the rest go
under the general category; example 4's region-only geography is kept), its export validates
against the official v3 schema and states the example's values back, another deployment's
organisation imports that export to the same footprint, and GetFootprint finds each by its PACT
id with one lookup (registry.pact.ids).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from registry.catalogue import GENERAL
from registry.ids import new_record_id
from registry.pact.ids import footprint_id_of, pact_id_of
from tests.registry.factories import bearer
from tests.registry.pact_server import Tls, credentials, serve_https, tls
from tests.registry.server import create_org

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "pact"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: The Chinese name a foreign document cannot give (REQUIRED_NAME_LANGUAGES); nothing else added.
NAME = {"name": "zh=示例产品"}


def example(n: int) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((ASSETS / "v3" / f"example-{n}.json").read_text("utf-8"))
    return doc


def product_footprint_errors(doc: dict[str, Any]) -> list[str]:
    """The official v3 schema's errors for ``doc`` as a ProductFootprint."""
    schema = json.loads((ASSETS / "openapi-v3.json").read_text("utf-8"))
    validator = jsonschema_rs.validator_for(
        {**schema, "$ref": "#/components/schemas/ProductFootprint"}
    )
    return [e.message for e in validator.iter_errors(doc)]


@dataclass
class Host:
    url: str
    certs: Tls
    key_a: str  # the importing enterprise
    key_b: str  # another enterprise, importing A's exports
    client_a: tuple[str, str]  # PACT client credentials
    client_b: tuple[str, str]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=str(self.certs.ca), timeout=30)


def token(h: httpx.Client, client: tuple[str, str]) -> dict[str, str]:
    raw = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
    r = h.post(
        "/auth/token",
        content="grant_type=client_credentials",
        headers={"Authorization": f"Basic {raw}", **FORM},
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    tmp = tmp_path_factory.mktemp("pact-examples")
    data, certs = tmp / "data", tls(tmp / "tls")
    key_a = create_org(data, name="A")
    key_b = create_org(data, name="B", gs1_prefix=None)
    with serve_https(data, tmp / "serve.log", certs) as (_, url):
        with httpx.Client(base_url=url, verify=str(certs.ca), timeout=30) as h:
            org_a = h.get("/api/v1/orgs/me", headers=bearer(key_a)).json()["id"]
            org_b = h.get("/api/v1/orgs/me", headers=bearer(key_b)).json()["id"]
        yield Host(url, certs, key_a, key_b, credentials(data, org_a), credentials(data, org_b))


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_official_example_imports_as_is_and_round_trips(host: Host, n: int) -> None:
    source = example(n)
    with host.http() as h:
        r = h.post("/api/v1/pact/footprints", params=NAME, json=source, headers=bearer(host.key_a))
        assert r.status_code == 201, r.text
        imported = r.json()
        assert imported["data"]["category"] == GENERAL  # no catalogue category fits
        r = h.get(f"/api/v1/pact/footprints/{imported['id']}", headers=bearer(host.key_a))
        assert r.status_code == 200, r.text
        exported = r.json()
        assert product_footprint_errors(exported) == []

        # GetFootprint by the PACT id, which names the footprint.
        assert footprint_id_of(exported["id"]) == imported["id"]
        got = h.get(f"/3/footprints/{exported['id']}", headers=token(h, host.client_a))
        assert got.status_code == 200, got.text
        assert got.json()["data"]["id"] == exported["id"]
        assert product_footprint_errors(got.json()["data"]) == []
        # Another organisation neither sees it (not shared) nor learns more than that.
        denied = h.get(f"/3/footprints/{exported['id']}", headers=token(h, host.client_b))
        assert denied.status_code == 403 and denied.json()["code"] == "AccessDenied"

        # The export, imported by another organisation, is the same footprint.
        r = h.post("/api/v1/pact/footprints", json=exported, headers=bearer(host.key_b))
        assert r.status_code == 201, r.text
        assert r.json()["data"] == imported["data"]

    pcf, back = source["pcf"], exported["pcf"]
    assert exported["productNameCompany"] == source["productNameCompany"]
    assert exported["companyName"] == source["companyName"]
    geography = {k: v for k, v in pcf.items() if k.startswith("geography")}
    assert {k: v for k, v in back.items() if k.startswith("geography")} == geography
    # (pcfIncludingBiogenicUptake is not compared: Tanji does not record biogenicCO2Uptake.)
    for name in ("pcfExcludingBiogenicUptake", "fossilCarbonContent"):
        assert Decimal(back[name]) == Decimal(pcf[name]), name
    if pcf["declaredUnitOfMeasurement"] == "piece":  # recorded, not the declared default "0"
        mass = "productMassPerDeclaredUnit"
        assert Decimal(back[mass]) == Decimal(pcf[mass])


@pytest.mark.slow
def test_get_footprint_of_an_id_that_is_not_ours_is_not_found(host: Host) -> None:
    with host.http() as h:
        auth = token(h, host.client_a)
        for pf_id in (str(uuid.uuid4()), pact_id_of(new_record_id("fp"))):
            r = h.get(f"/3/footprints/{pf_id}", headers=auth)
            assert r.status_code == 404 and r.json()["code"] == "NotFound", r.text


def test_pact_ids_encode_the_footprint_id() -> None:
    for _ in range(200):
        footprint_id = new_record_id("fp")
        pf_id = pact_id_of(footprint_id)
        assert pf_id is not None
        parsed = uuid.UUID(pf_id)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert footprint_id_of(pf_id) == footprint_id == footprint_id_of(pf_id.upper())
    assert pact_id_of("lbl-1") is None
    assert footprint_id_of("not a uuid") is None
    # A UUID v4 that is not one of ours fails the check bits (2**-62 by chance).
    assert footprint_id_of("8b26f3b8-f5d9-4adf-8a11-02e05d273e58") is None
