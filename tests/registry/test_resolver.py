"""GS1 Digital Link resolver: ``/01/{gtin}[/10/{lot}][/21/{serial}]`` → label page or linkset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.app import create_app
from registry.config import load_settings
from tests.registry.factories import Orgs, bearer, footprint, make_orgs

GTIN = "06901234567892"
VOC = "https://gs1.org/voc/"
LINKSET = "application/linkset+json"
EXTRA = {
    "fossilCarbonContent": "0",
    "ipccCharacterizationFactors": "AR6",
    "exemptedEmissionsPercent": "0",
    "productMassPerDeclaredUnit": "1.45",
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def setup(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Orgs]]:
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("registry_database_url")
    settings = load_settings(
        data_dir=tmp_path / "data",
        anchoring=False,
        base_url="https://tanji.test",
        database_url=database_url,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
            yield c, orgs


async def _issue(c: httpx.AsyncClient, orgs: Orgs, serial: str | None, total: float) -> Any:
    r = await c.post(
        "/api/v1/footprints",
        json=footprint(kg_co2e_per_unit=total, fossil_kg_co2e=total - 2.5),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = {
        "footprint_id": r.json()["id"],
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
    }
    if serial:
        body["serial"] = serial
    r = await c.post("/api/v1/labels", json=body, headers=bearer(orgs.certifier))
    assert r.status_code == 201, r.text
    return r.json()


async def test_linkset_names_the_page_the_bundle_and_the_pact_record(
    setup: tuple[httpx.AsyncClient, Orgs],
) -> None:
    c, orgs = setup
    label = await _issue(c, orgs, "SN-0001", 212.5)
    requests: list[tuple[str, dict[str, str]]] = [
        (f"/01/{GTIN}/21/SN-0001", {"Accept": LINKSET}),
        (f"/01/{GTIN}/21/SN-0001?linkType=all", {}),
    ]
    for url, headers in requests:
        r = await c.get(url, headers=headers, follow_redirects=False)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(LINKSET)
        (context,) = r.json()["linkset"]
        assert context["anchor"] == f"https://tanji.test/01/{GTIN}/21/SN-0001"
        page = f"https://tanji.test/l/{label['id']}"
        assert context[f"{VOC}defaultLink"][0]["href"] == page
        assert context[f"{VOC}pip"][0]["href"] == page
        assert context[f"{VOC}pip"][0]["type"] == "text/html"
        bundle = context[f"{VOC}certificationInfo"][0]
        assert bundle["href"] == f"https://tanji.test/api/v1/labels/{label['id']}/bundle"
        pact = context[f"{VOC}sustainabilityInfo"][0]
        assert pact["href"] == f"https://tanji.test/pact/labels/{label['id']}/footprint"
    # Plain JSON clients get the same linkset as JSON.
    r = await c.get(f"/01/{GTIN}/21/SN-0001", headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/json") and "linkset" in r.json()
    # Every link works.
    links = r.json()["linkset"][0]
    page_path = links[f"{VOC}pip"][0]["href"].removeprefix("https://tanji.test")
    assert (await c.get(page_path)).status_code == 200
    bundle_path = links[f"{VOC}certificationInfo"][0]["href"].removeprefix("https://tanji.test")
    assert (await c.get(bundle_path)).json()["record"]["id"] == label["id"]
    pact_path = links[f"{VOC}sustainabilityInfo"][0]["href"].removeprefix("https://tanji.test")
    r = await c.get(pact_path)  # public and key-free, like the label
    assert r.status_code == 200 and r.json()["specVersion"].startswith("3.")


async def test_browsers_are_redirected_with_a_link_to_the_linkset(
    setup: tuple[httpx.AsyncClient, Orgs],
) -> None:
    c, orgs = setup
    older = await _issue(c, orgs, None, 230.0)
    label = await _issue(c, orgs, "SN-0001", 212.5)
    html = {"Accept": "text/html,application/xhtml+xml"}
    for path, target in (
        (f"/01/{GTIN}/21/SN-0001", f"/l/{label['id']}"),
        (f"/01/{GTIN}/10/LOT7/21/SN-0001", f"/l/{label['id']}"),
        (f"/01/{GTIN}/21/SN-0001/10/LOT7", f"/l/{label['id']}"),
        (f"/01/{GTIN}/21/{older['id']}", f"/l/{older['id']}"),
        # Without a serial: the GTIN's newest active label.
        (f"/01/{GTIN}", f"/l/{label['id']}"),
        (f"/01/{GTIN}/10/LOT7", f"/l/{label['id']}"),
        (f"/01/{GTIN}/21/SN-0001?lang=en", f"/l/{label['id']}?lang=en"),
        (
            f"/01/{GTIN}/21/SN-0001?linkType=gs1:certificationInfo",
            f"https://tanji.test/api/v1/labels/{label['id']}/bundle",
        ),
    ):
        r = await c.get(path, headers=html, follow_redirects=False)
        assert r.status_code == 307, path
        assert r.headers["location"] == target, path
        assert 'rel="linkset"' in r.headers["link"] and LINKSET in r.headers["link"]
    # The lot is kept in the linkset's anchor (lot before serial, as GS1 orders them).
    r = await c.get(f"/01/{GTIN}/21/SN-0001/10/LOT7?linkType=all")
    assert r.json()["linkset"][0]["anchor"].endswith(f"/01/{GTIN}/10/LOT7/21/SN-0001")
    # A revoked label gives way to the active one for the GTIN-only link.
    r = await c.post(
        f"/api/v1/labels/{label['id']}/revoke",
        json={"reason_code": 2},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200
    r = await c.get(f"/01/{GTIN}", follow_redirects=False)
    assert r.headers["location"] == f"/l/{older['id']}"


async def test_unknown_links_are_not_found(setup: tuple[httpx.AsyncClient, Orgs]) -> None:
    c, orgs = setup
    await _issue(c, orgs, "SN-0001", 212.5)
    for path in (
        "/01/06901234567891/21/SN-0001",  # bad check digit
        "/01/09506000134352",  # another product
        f"/01/{GTIN}/21/SN-9999",
    ):
        r = await c.get(path, follow_redirects=False)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path
        r = await c.get(path, headers={"Accept": LINKSET})
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
