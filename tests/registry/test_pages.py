"""The consumer page, the GS1 Digital Link resolver and label media, over the real app and DB."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from fastapi import FastAPI
from PIL import Image

from registry.app import create_app
from registry.config import load_settings
from registry.i18n import choose_language, messages
from tests.registry.factories import bearer, footprint
from tests.registry.labels_data import Keys, issue, make_keys, wait_anchored

ZH, HANT, EN = messages("zh-Hans"), messages("zh-Hant"), messages("en")


class Page(HTMLParser):
    """Text of every element with an ``id``, the ``<html lang>``, links, and scripts seen."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.attrs_by_id: dict[str, dict[str, str | None]] = {}
        self.lang: str | None = None
        self.links: list[str] = []
        self.scripts = 0
        self.meta: list[dict[str, str | None]] = []
        self._open: list[tuple[str, str | None]] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "script":
            self.scripts += 1
        if tag == "meta":
            self.meta.append(a)
        if tag in ("meta", "br", "link", "input"):
            return
        ident = a.get("id")
        if ident:
            self.by_id.setdefault(ident, "")
            self.attrs_by_id[ident] = a
        self._open.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text += data
        for _, ident in self._open:
            if ident:
                self.by_id[ident] += data

    def of(self, ident: str) -> str:
        return " ".join(self.by_id[ident].split())


@pytest.fixture
def keys(app: FastAPI) -> Keys:
    return make_keys(app.state.engine)


@pytest.fixture
async def anchoring_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Keys]]:
    """The app with its anchoring loop on the real embedded chain (in-process, ASGI)."""
    settings = load_settings(
        data_dir=tmp_path / "chain-data",
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        base_url="https://tanji.test",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
            yield c, make_keys(application.state.engine)


# --- language choice -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "header", "lang"),
    [
        (None, None, "zh-Hans"),
        ("en", "zh-CN", "en"),
        ("zh", "en-US", "zh-Hans"),
        ("fr", "en-GB,en;q=0.8", "en"),
        (None, "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        (None, "fr-FR,zh-TW;q=0.7,en;q=0.5", "zh-Hant"),
        (None, "zh;q=0.2, en;q=0.9", "en"),
        (None, "en;q=0, de", "zh-Hans"),
        (None, "en;q=abc", "zh-Hans"),
        # Traditional Chinese for Hong Kong readers: by tag, by region, by ?lang=.
        (None, "zh-HK,zh;q=0.9,en;q=0.8", "zh-Hant"),
        (None, "zh-Hant-HK", "zh-Hant"),
        ("zh-Hant", "en-US", "zh-Hant"),
        ("zh-hk", None, "zh-Hant"),
        ("zh-Hans", "zh-HK", "zh-Hans"),
        ("zh-CN", "zh-TW", "zh-Hans"),
    ],
)
def test_choose_language(query: str | None, header: str | None, lang: str) -> None:
    assert choose_language(query, header) == lang


def test_message_catalogues_have_the_same_keys() -> None:
    assert set(ZH) == set(HANT) == set(EN)


# --- consumer page -------------------------------------------------------------------------


async def test_pending_label_page_in_chinese_by_default(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    label = await issue(client, keys)
    reply = await client.get(f"/l/{label['id']}")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["content-language"] == "zh-Hans"
    assert reply.headers["cache-control"] == "no-cache"
    assert "Accept-Language" in reply.headers["vary"]
    page = Page(reply.text)
    assert page.lang == "zh-Hans"
    assert page.of("product-name") == "14英寸轻薄笔记本电脑"
    # The enterprise's registered name, not the footprint's free-text company_name.
    assert page.of("company") == "Bishan Computing (demo)"
    assert page.of("footprint-value") == "212.5"
    assert page.of("footprint-unit") == "kg CO₂e/台"
    assert page.of("grade-badge") == "A"  # 212.5 kg per laptop: A under the 2026.1 thresholds
    assert ZH["grade_illustrative"] in page.of("grade-illustrative")
    assert page.attrs_by_id["status"]["data-status"] == "pending"
    assert ZH["status_pending"] in page.of("status")
    assert page.of("certifier") == "Chongqing Carbon Label Center (demo)"
    assert page.of("validity") == "2026-01-01 – 2099-12-31"
    # 212.5 kg / 0.17 kg per km = 1,250 km, shown to two significant figures.
    assert "1,200" in page.of("comparison")
    assert f"/api/v1/labels/{label['id']}/bundle" in page.links
    # The language switch offers every language, each in itself; this one is current.
    assert page.of("lang-switch") == "简体中文繁體中文English"
    assert page.attrs_by_id["lang-en"]["href"] == f"/l/{label['id']}?lang=en"
    assert page.attrs_by_id["lang-zh-Hant"]["href"] == f"/l/{label['id']}?lang=zh-Hant"
    assert page.attrs_by_id["lang-zh-Hans"]["aria-current"] == "true"
    # Mobile first and light: viewport set, small page. This process does not anchor, so it
    # holds no trust of its own to hand a browser: no in-browser check, no script.
    assert any(m.get("name") == "viewport" for m in page.meta)
    assert "tanji-verify" not in page.attrs_by_id and page.scripts == 0
    assert len(reply.content) < 20_000


@pytest.mark.parametrize(
    ("path_query", "headers"),
    [("?lang=en", {}), ("", {"Accept-Language": "en-US,en;q=0.9"})],
)
async def test_label_page_in_english(
    client: httpx.AsyncClient, keys: Keys, path_query: str, headers: dict[str, str]
) -> None:
    label = await issue(client, keys)
    reply = await client.get(f"/l/{label['id']}{path_query}", headers=headers)
    page = Page(reply.text)
    assert reply.headers["content-language"] == "en"
    assert page.lang == "en"
    assert page.of("product-name") == "14-inch thin-and-light laptop"
    assert page.of("footprint-unit") == "kg CO₂e per unit"
    assert "About the same as driving a petrol car 1,200 km" in page.of("comparison")
    assert EN["status_pending"] in page.of("status")
    assert page.attrs_by_id["lang-zh-Hans"]["href"].endswith("lang=zh-Hans")
    assert page.attrs_by_id["lang-en"]["aria-current"] == "true"


@pytest.mark.parametrize(
    ("path_query", "headers"),
    [
        ("?lang=zh-Hant", {}),
        ("?lang=zh-HK", {}),
        ("", {"Accept-Language": "zh-HK,zh;q=0.9,en;q=0.8"}),
        ("", {"Accept-Language": "zh-TW"}),
    ],
)
async def test_label_page_in_traditional_chinese_for_hong_kong_readers(
    client: httpx.AsyncClient, keys: Keys, path_query: str, headers: dict[str, str]
) -> None:
    name = {
        "zh": "14英寸轻薄笔记本电脑",
        "zh-Hant": "14吋輕薄手提電腦",
        "en": "14-inch thin-and-light laptop",
    }
    label = await issue(client, keys, product_name=name)
    assert label["record"]["product"]["name"] == name
    reply = await client.get(f"/l/{label['id']}{path_query}", headers=headers)
    assert reply.status_code == 200
    assert reply.headers["content-language"] == "zh-Hant"
    page = Page(reply.text)
    assert page.lang == "zh-Hant"
    assert page.of("product-name") == "14吋輕薄手提電腦"
    assert "14-inch thin-and-light laptop" in page.text  # the companion language's name
    assert page.of("footprint-unit") == "kg CO₂e/部"  # Hong Kong's measure word for a laptop
    assert "手提電腦" in page.text  # the category, in Hong Kong wording
    assert HANT["status_pending"] in page.of("status")
    assert HANT["status_pending"] != ZH["status_pending"]
    assert HANT["site_name"] in page.text and ZH["site_name"] not in page.text
    assert page.attrs_by_id["lang-zh-Hant"]["aria-current"] == "true"
    assert page.attrs_by_id["lang-zh-Hans"]["href"].endswith("lang=zh-Hans")
    assert f"/api/v1/labels/{label['id']}/artwork.svg?lang=zh-Hant" in page.links


async def test_name_without_traditional_chinese_falls_back_to_simplified(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    label = await issue(client, keys)  # the factory's name has zh and en only
    page = Page((await client.get(f"/l/{label['id']}?lang=zh-Hant")).text)
    assert page.of("product-name") == "14英寸轻薄笔记本电脑"
    assert HANT["carbon_footprint"] in page.text


async def test_disclosure_page_in_traditional_chinese(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    await issue(client, keys, product_name={"zh": "简", "zh-Hant": "繁", "en": "E"})
    reply = await client.get("/disclosures", headers={"Accept-Language": "zh-HK"})
    page = Page(reply.text)
    assert page.lang == "zh-Hant"
    assert HANT["disclosures"] in page.text
    assert "繁" in page.of("labels") and "简" not in page.of("labels")


async def test_anchored_label_page_shows_block_and_transaction(
    anchoring_client: tuple[httpx.AsyncClient, Keys],
) -> None:
    client, keys = anchoring_client
    label = await issue(client, keys)
    await wait_anchored(client, label["id"])
    anchor = (await client.get(f"/api/v1/labels/{label['id']}/bundle")).json()["anchor"]
    for lang, text in (("zh", ZH), ("en", EN)):
        page = Page((await client.get(f"/l/{label['id']}?lang={lang}")).text)
        assert page.attrs_by_id["status"]["data-status"] == "anchored"
        assert text["status_anchored"] in page.of("status")
        assert page.of("block") == str(anchor["blockNumber"])
        assert page.of("tx") == anchor["txHash"]
        assert "UTC" in page.of("anchor")
        assert text["device_check"] in page.of("device-check")


async def test_anchored_label_page_hands_the_browser_this_deployments_trust(
    anchoring_client: tuple[httpx.AsyncClient, Keys],
) -> None:
    """The in-browser verifier gets the chain, contract and sender the registry really anchors
    with (read back from the chain: the anchoring transaction's receipt), not the bundle's."""
    client, keys = anchoring_client
    label = await issue(client, keys)
    await wait_anchored(client, label["id"])
    anchor = (await client.get(f"/api/v1/labels/{label['id']}/bundle")).json()["anchor"]

    async def rpc(method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        return (await client.post("/rpc", json=body)).json()["result"]

    receipt = await rpc("eth_getTransactionReceipt", anchor["txHash"])
    chain_id = int(await rpc("eth_chainId"), 16)
    page = Page((await client.get(f"/l/{label['id']}?lang=en")).text)
    element = page.attrs_by_id["tanji-verify"]
    assert element["data-bundle-url"] == f"/api/v1/labels/{label['id']}/bundle"
    assert element["data-rpc-url"] == "/rpc"  # embedded chain: the registry's own node
    assert element["data-chain-id"] == str(chain_id)
    assert str(element["data-contracts"]).lower() == receipt["to"].lower()
    assert str(element["data-issuers"]).lower() == receipt["from"].lower()
    assert element["data-confirmations"] == "0"  # embedded chain: final once mined
    assert page.scripts == 2  # ethers (deferred) and the verifier module
    # Labelled, in the page's language only, as the reader's own check.
    assert EN["device_check"] in page.of("device-check")
    assert ZH["device_check"] not in page.of("device-check")
    assert page.attrs_by_id["status"]["data-status"] == "anchored"
    for static in (
        "/static/verify/tanji-verify-page.js",
        "/static/verify/tanji-protocol.js",
        "/static/vendor/ethers.umd.min.js",
    ):
        assert (await client.get(static)).status_code == 200


async def test_revoked_and_superseded_labels_say_so(client: httpx.AsyncClient, keys: Keys) -> None:
    revoked = await issue(client, keys)
    reply = await client.post(
        f"/api/v1/labels/{revoked['id']}/revoke",
        json={"reason_code": 2, "note": "data error found in audit"},
        headers=bearer(keys.certifier),
    )
    assert reply.status_code == 200, reply.text
    page = Page((await client.get(f"/l/{revoked['id']}?lang=en")).text)
    assert page.attrs_by_id["status"]["data-status"] == "revoked"
    assert EN["status_revoked"] in page.of("status")
    # One plain verdict on the first screen, with the reason; the figure is marked as ended.
    assert page.attrs_by_id["verdict"]["data-verdict"] == "REVOKED"
    assert "withdrawn by the issuer — data error found in audit" in page.of("revocation-reason")
    assert "ended" in str(page.attrs_by_id["footprint"]["class"])

    old = await issue(client, keys, kg_co2e_per_unit=300.0, fossil_kg_co2e=297.5)
    fixed = await client.post(
        "/api/v1/footprints",
        json=footprint(kg_co2e_per_unit=301.0, fossil_kg_co2e=298.5),
        headers=bearer(keys.enterprise),
    )
    reply = await client.post(
        f"/api/v1/labels/{old['id']}/supersede",
        json={
            "footprint_id": fixed.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2099-12-31",
        },
        headers=bearer(keys.certifier),
    )
    assert reply.status_code == 201, reply.text
    new_id = reply.json()["id"]
    page = Page((await client.get(f"/l/{old['id']}?lang=zh")).text)
    assert page.attrs_by_id["status"]["data-status"] == "superseded"
    assert page.attrs_by_id["verdict"]["data-verdict"] == "SUPERSEDED"
    assert ZH["verdict_SUPERSEDED"] in page.of("verdict")
    assert page.attrs_by_id["new-label-link"]["href"] == f"/l/{new_id}?lang=zh-Hans"
    assert f"/l/{new_id}?lang=zh-Hans" in page.links

    # Artwork says so across the image; a new QR code is refused with a code (410).
    for label_id, status, band in (
        (revoked["id"], "revoked", "已撤销 REVOKED"),
        (old["id"], "superseded", "已被取代 SUPERSEDED"),
    ):
        svg = (await client.get(f"/api/v1/labels/{label_id}/artwork.svg")).text
        assert f'<g id="ended-band" data-status="{status}"' in svg and band in svg
        for path in ("qr.png", "qr.svg"):
            reply = await client.get(f"/api/v1/labels/{label_id}/{path}")
            assert reply.status_code == 410, reply.text
            error = reply.json()["error"]
            assert (error["code"], error["field"]) == (f"label_{status}", "label_id")
    assert (await client.get(f"/api/v1/labels/{new_id}/qr.png")).status_code == 200
    assert "ended-band" not in (await client.get(f"/api/v1/labels/{new_id}/artwork.svg")).text


async def test_expired_label(client: httpx.AsyncClient, keys: Keys) -> None:
    label = await issue(client, keys, valid_from="2020-01-01", valid_until="2021-01-01")
    page = Page((await client.get(f"/l/{label['id']}?lang=en")).text)
    assert page.attrs_by_id["status"]["data-status"] == "expired"


async def test_untrusted_text_is_escaped(client: httpx.AsyncClient, keys: Keys) -> None:
    name = {"zh": "<script>alert(1)</script>", "en": "A & B <b>bold</b>"}
    label = await issue(client, keys, product_name=name)
    for lang in ("zh", "en"):
        reply = await client.get(f"/l/{label['id']}?lang={lang}")
        assert "<script>" not in reply.text and "<b>" not in reply.text
        assert Page(reply.text).scripts == 0
    assert Page((await client.get(f"/l/{label['id']}?lang=en")).text).of("product-name") == (
        "A & B <b>bold</b>"
    )


async def test_unknown_label_is_a_bilingual_404(client: httpx.AsyncClient) -> None:
    reply = await client.get("/l/nosuchlabel", headers={"Accept-Language": "en"})
    assert reply.status_code == 404
    page = Page(reply.text)
    assert page.lang == "en"
    assert EN["not_found_title"] in page.text and ZH["not_found_title"] in page.text
    assert "nosuchlabel" in page.text


# --- GS1 Digital Link resolver ---------------------------------------------------------------


async def test_gs1_digital_link_redirects_to_the_label(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    plain = await issue(client, keys)
    assert plain["url"] == f"https://tanji.test/01/06901234567892/21/{plain['id']}"
    with_serial = await issue(
        client, keys, serial="SN-0001", kg_co2e_per_unit=220.0, fossil_kg_co2e=217.5
    )
    assert with_serial["url"].endswith("/01/06901234567892/21/SN-0001")
    for path, target in (
        (f"/01/06901234567892/21/{plain['id']}", f"/l/{plain['id']}"),
        (f"/01/6901234567892/21/{plain['id']}", f"/l/{plain['id']}"),  # GTIN-13 form
        ("/01/06901234567892/21/SN-0001", f"/l/{with_serial['id']}"),
        ("/01/06901234567892/10/LOT7/21/SN-0001", f"/l/{with_serial['id']}"),
        ("/01/06901234567892/21/SN-0001/10/LOT7", f"/l/{with_serial['id']}"),
        ("/01/06901234567892/21/SN-0001?lang=en", f"/l/{with_serial['id']}?lang=en"),
    ):
        reply = await client.get(path, follow_redirects=False)
        assert reply.status_code == 307, path
        assert reply.headers["location"] == target
    # The label with its own serial is not reachable through its id as serial.
    reply = await client.get(f"/01/06901234567892/21/{with_serial['id']}")
    assert reply.status_code == 404
    for path in (
        "/01/06901234567891/21/SN-0001",  # bad check digit
        "/01/09506000134352/21/SN-0001",  # another product
        "/01/06901234567892/21/SN-9999",
    ):
        reply = await client.get(path, follow_redirects=False)
        assert reply.status_code == 404, path
        assert ZH["not_found_title"] in reply.text
    # The redirect target really is the page.
    reply = await client.get("/01/06901234567892/21/SN-0001", follow_redirects=True)
    assert reply.status_code == 200 and "SN-0001" not in Page(reply.text).of("product-name")


# --- media -----------------------------------------------------------------------------------


async def test_qr_png_and_svg_carry_the_label_url(client: httpx.AsyncClient, keys: Keys) -> None:
    label = await issue(client, keys)
    reply = await client.get(f"/api/v1/labels/{label['id']}/qr.png?box_size=4")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/png"
    assert "max-age" in reply.headers["cache-control"]
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(reply.content)))
    assert [r.text for r in results] == [label["url"]]
    reply = await client.get(f"/api/v1/labels/{label['id']}/qr.svg")
    assert reply.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(reply.content).tag == "{http://www.w3.org/2000/svg}svg"
    reply = await client.get(f"/api/v1/labels/{label['id']}/qr.png?box_size=0")
    assert reply.status_code == 422


async def test_artwork_route(client: httpx.AsyncClient, keys: Keys) -> None:
    label = await issue(client, keys)
    reply = await client.get(f"/api/v1/labels/{label['id']}/artwork.svg")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(reply.content)
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert label["certificate_number"] in text
    assert "212.5" in text and "碳足迹" in text and "Carbon Footprint" in text
    # ?lang= picks the language printed first (never Accept-Language: a printer's proof is one
    # URL, one artwork); Traditional Chinese with English for Hong Kong packs.
    hant = await client.get(
        f"/api/v1/labels/{label['id']}/artwork.svg?lang=zh-Hant",
        headers={"Accept-Language": "en"},
    )
    root = ET.fromstring(hant.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hant"
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "碳足跡" in text and "Carbon Footprint" in text and "碳足迹" not in text
    assert "kg CO₂e/部" in text and "手提電腦 Laptop computer" in text
    same = await client.get(
        f"/api/v1/labels/{label['id']}/artwork.svg", headers={"Accept-Language": "zh-HK"}
    )
    assert same.content == reply.content


@pytest.mark.parametrize("media", ["qr.png", "qr.svg", "artwork.svg"])
async def test_media_of_unknown_label_is_a_json_404(client: httpx.AsyncClient, media: str) -> None:
    reply = await client.get(f"/api/v1/labels/nosuchlabel/{media}")
    assert reply.status_code == 404
    assert reply.json()["error"] == {
        "code": "not_found",
        "message": "label nosuchlabel does not exist",
        "field": "label_id",
        "details": [],
    }


def test_pages_need_no_api_key(app: FastAPI) -> None:
    # Public routes carry no security requirement in the OpenAPI document.
    paths = app.openapi()["paths"]
    for path in (
        "/l/{label_id}",
        "/01/{gtin}/21/{serial}",
        "/api/v1/labels/{label_id}/qr.png",
        "/api/v1/labels/{label_id}/artwork.svg",
    ):
        assert "security" not in paths[path]["get"], path


# --- page cache --------------------------------------------------------------------------------


def test_page_cache_expires_and_is_bounded() -> None:
    from fastapi.responses import HTMLResponse

    from registry.api.routes.pages import PageCache

    cache = PageCache(seconds=3600, max_entries=2)
    pages = [HTMLResponse(str(i)) for i in range(3)]
    for i, page in enumerate(pages):
        cache.put((str(i), "zh", ""), page)
    assert cache.get(("0", "zh", "")) is None  # least recently used, evicted
    assert cache.get(("1", "zh", "")) is pages[1]
    assert cache.get(("2", "zh", "")) is pages[2]
    stale = PageCache(seconds=-1)  # already expired when stored
    stale.put(("0", "zh", ""), pages[0])
    assert stale.get(("0", "zh", "")) is None


async def test_cached_page_shows_a_revocation_once_it_expires(
    app: FastAPI, client: httpx.AsyncClient, keys: Keys
) -> None:
    from registry.api.routes.pages import PageCache

    app.state.page_cache = PageCache(seconds=3600)
    label = await issue(client, keys)
    page = Page((await client.get(f"/l/{label['id']}?lang=en")).text)
    assert page.attrs_by_id["status"]["data-status"] == "pending"
    reply = await client.post(
        f"/api/v1/labels/{label['id']}/revoke",
        json={"reason_code": 2},
        headers=bearer(keys.certifier),
    )
    assert reply.status_code == 200
    # Within the cache interval the rendered page is reused ...
    page = Page((await client.get(f"/l/{label['id']}?lang=en")).text)
    assert page.attrs_by_id["status"]["data-status"] == "pending"
    # ... and once it has expired the page shows the revocation.
    app.state.page_cache = PageCache(seconds=0)
    page = Page((await client.get(f"/l/{label['id']}?lang=en")).text)
    assert page.attrs_by_id["status"]["data-status"] == "revoked"


async def test_concurrent_requests_render_a_page_once(
    app: FastAPI, client: httpx.AsyncClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from registry.api.routes import pages
    from registry.api.routes.pages import PageCache

    label = await issue(client, keys)
    app.state.page_cache = PageCache(seconds=3600)
    renders: list[str] = []
    real_render = pages._render_label_page

    def counting_render(*args: object) -> object:
        renders.append("render")
        return real_render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "_render_label_page", counting_render)
    replies = await asyncio.gather(*(client.get(f"/l/{label['id']}?lang=en") for _ in range(20)))
    assert {r.status_code for r in replies} == {200}
    assert len({r.text for r in replies}) == 1
    assert renders == ["render"]
    assert app.state.page_cache.inflight == {}
