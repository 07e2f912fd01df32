"""The first hour's API, through HTTP (in-process): validation errors name the offending value,
``GET /api/v1/categories`` lists the catalogue."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from registry.app import create_app
from registry.catalogue import CATEGORIES
from registry.config import load_settings
from registry.i18n import LANGUAGES
from registry.publication import TRUST_PATH
from tests.nodes import free_port
from tests.registry.factories import Orgs, bearer, footprint, make_orgs


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = load_settings(
        data_dir=tmp_path / "data", anchoring=False, base_url="https://tanji.test"
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
        yield c


@pytest.fixture
def orgs(app: FastAPI) -> Orgs:
    return make_orgs(app.state.engine)


async def test_validation_errors_print_the_offending_value(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    reply = await client.post(
        "/api/v1/footprints",
        json=footprint(category="flying-carpet"),
        headers=bearer(orgs.enterprise),
    )
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "unknown_category" and error["field"] == "category"
    assert "flying-carpet" in error["message"] and "{" not in error["message"]

    reply = await client.post(
        "/api/v1/orgs/me/id-prefixes",
        json={"prefix": "69x123"},
        headers=bearer(orgs.enterprise),
    )
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "invalid_prefix"
    assert "'69x123'" in error["message"] and "{value" not in error["message"]
    for detail in error["details"]:
        assert "{value" not in detail["message"], detail


async def test_categories_list_the_catalogue(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/categories")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["count"] == len(CATEGORIES) == len(body["data"])
    by_id = {c["id"]: c for c in body["data"]}
    assert list(by_id) == list(CATEGORIES)
    laptop = by_id["laptop"]
    assert set(laptop["names"]) == set(LANGUAGES)
    assert laptop["names"]["zh-Hans"] == CATEGORIES["laptop"].names["zh-Hans"]
    assert [u["unit"] for u in laptop["declared_units"]] == ["unit"]
    assert laptop["declared_units"][0]["names"]["zh-Hans"] == "台"
    assert laptop["rules"]["system_boundary"] == "cradle-to-grave"
    assert "GB/T 24067-2024" in laptop["rules"]["standards"]
    assert laptop["rules"]["illustrative"] is True


async def test_docs_load_nothing_from_other_hosts(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    policy = page.headers["content-security-policy"]
    assert "http" not in policy, policy  # no CDN, no font host: this origin only
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content
    assert (await client.get("/openapi.json")).json()["paths"]["/api/v1/categories"]


@pytest.mark.parametrize(
    ("accept", "lang", "words"),
    [
        ("zh-CN,zh;q=0.9", "zh-Hans", "碳迹是什么"),
        ("zh-HK", "zh-Hant", "碳跡是甚麼"),
        ("en-GB,en;q=0.8", "en", "What Tanji is"),
    ],
)
async def test_the_landing_page_speaks_the_readers_language(
    client: httpx.AsyncClient, accept: str, lang: str, words: str
) -> None:
    page = await client.get("/", headers={"Accept-Language": accept})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == lang
    assert f'<html lang="{lang}">' in page.text and words in page.text
    for link in (f"/disclosures?lang={lang}", "/docs", "/api/v1/categories", TRUST_PATH):
        assert f'href="{link}"' in page.text, link


@pytest.mark.slow
def test_docs_render_in_chromium_from_this_origin_only(tmp_path: Path) -> None:
    """Swagger UI runs under the page's CSP with nothing but this origin (no CDN, no network)."""
    from tests.registry.test_pages_chromium import SETTLE, chromium, run_chromium

    chromium()
    port = free_port()
    settings = load_settings(
        data_dir=tmp_path / "data", anchoring=False, base_url=f"http://127.0.0.1:{port}"
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        dom = run_chromium(
            [SETTLE, "--dump-dom", f"http://127.0.0.1:{port}/docs"], tmp_path / "profile"
        )
    finally:
        server.should_exit = True
        thread.join(60)
    # Rendered by Swagger UI's script: the operations of the OpenAPI document, by path.
    assert "opblock" in dom, dom[:2000]
    assert "/api/v1/categories" in dom and "/api/v1/recognitions/typed-data" in dom
