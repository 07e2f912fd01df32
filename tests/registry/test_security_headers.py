"""Security headers and the CORS policy, through a real ``tanji serve`` on loopback.

Every answer (pages, artwork, QR codes, docs, API JSON, errors, static files) carries
``X-Content-Type-Options: nosniff``, ``Referrer-Policy``, ``X-Frame-Options`` and a CSP with
``frame-ancestors 'none'``. The label page's CSP allows exactly what its in-browser verifier needs,
which headless Chromium confirms: the page verifies with a reader-chosen node (``?rpc=``) or
trust profile (``?trust=``) on another origin (CSP ``connect-src`` and the ``/rpc`` CORS preflight
both let it), and a node or profile the CSP does not name is blocked by the browser. The CORS
preflight grants what docs/SECURITY.md says and nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.api.headers import CORS_REQUEST_HEADERS, READER_URL_PARAMS, REFERRER_POLICY
from tests.nodes import CHROMIUM_FLAGS, require_tool
from tests.registry.factories import bearer, footprint
from tests.registry.server import create_org, serve, wait_anchored
from tests.registry.test_browser_verify import _verdict_section
from verifier.protocol.records import TRUST_FORMAT

pytestmark = pytest.mark.slow

BROWSER_FLAGS = [
    *CHROMIUM_FLAGS,
    # Console messages (CSP violations among them) go to stderr.
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
]
CSP_VIOLATION = "Content Security Policy"


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    label_id: str
    enterprise: str
    tmp: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``tanji serve`` (embedded chain) with one anchored label."""
    tmp = tmp_path_factory.mktemp("headers")
    data = tmp / "data"
    enterprise = create_org(data, "enterprise", "Bishan Computing")
    certifier = create_org(data, "certification_body", "Chongqing Carbon Label Center")
    with serve(data, tmp / "serve.log") as (_, url):
        reply = httpx.post(
            f"{url}/api/v1/footprints",
            json=footprint(gtin=None),
            headers=bearer(enterprise),
            timeout=30,
        )
        assert reply.status_code == 201, reply.text
        reply = httpx.post(
            f"{url}/api/v1/labels",
            json={
                "footprint_id": reply.json()["id"],
                "valid_from": "2026-01-01",
                "valid_until": "2099-12-31",
            },
            headers=bearer(certifier),
            timeout=30,
        )
        assert reply.status_code == 201, reply.text
        label_id = reply.json()["id"]
        wait_anchored(url, f"/api/v1/labels/{label_id}", {})
        yield Served(url, int(url.rsplit(":", 1)[1]), label_id, enterprise, tmp)


def csp(response: httpx.Response) -> dict[str, list[str]]:
    """The response's one Content-Security-Policy, as directive → sources."""
    (policy,) = response.headers.get_list("content-security-policy")
    directives = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_hardened(response: httpx.Response) -> dict[str, list[str]]:
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("referrer-policy") == [REFERRER_POLICY]
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    policy = csp(response)
    assert policy["frame-ancestors"] == ["'none'"], policy
    assert policy["default-src"] == ["'none'"], policy
    return policy


def test_every_kind_of_answer_carries_the_headers(served: Served) -> None:
    url, label = served.url, served.label_id
    with httpx.Client(base_url=url, timeout=30) as client:
        answers = {
            "label page": client.get(f"/l/{label}"),
            "unknown label page": client.get("/l/lbl-doesnotexist"),
            "disclosures page": client.get("/disclosures"),
            "artwork": client.get(f"/api/v1/labels/{label}/artwork.svg"),
            "qr png": client.get(f"/api/v1/labels/{label}/qr.png"),
            "qr svg": client.get(f"/api/v1/labels/{label}/qr.svg"),
            "docs": client.get("/docs"),
            "openapi": client.get("/openapi.json"),
            "label json": client.get(f"/api/v1/labels/{label}"),
            "bundle": client.get(f"/api/v1/labels/{label}/bundle"),
            "health": client.get("/healthz"),
            "static script": client.get("/static/verify/tanji-verify.js"),
            "401": client.post("/api/v1/footprints", json=footprint()),
            "404 route": client.get("/no/such/route"),
            "rpc": client.post(
                "/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
            ),
        }
    expected_status = {"unknown label page": 404, "401": 401, "404 route": 404}
    for name, response in answers.items():
        assert response.status_code == expected_status.get(name, 200), (name, response.text)
        policy = assert_hardened(response)
        html = response.headers["content-type"].startswith("text/html")
        if not html:
            # A document opened on its own (SVG, JSON) may load and run nothing.
            assert set(policy) == {"default-src", "base-uri", "form-action", "frame-ancestors"}
    assert answers["artwork"].headers["content-type"].startswith("image/svg+xml")

    page = answers["label page"]
    policy = csp(page)
    assert policy["script-src"] == ["'self'"]  # the verifier's files only: no inline script
    assert "<script>" not in page.text
    # The inlined stylesheet is allowed by the hash of exactly what the page carries.
    (style,) = re.findall(r"<style>(.*?)</style>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src-elem"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["connect-src"] == ["'self'"]  # the embedded chain's node is this origin's /rpc
    for name in ("unknown label page", "disclosures page"):
        assert csp(answers[name])["style-src-elem"] == policy["style-src-elem"]

    docs = csp(answers["docs"])
    (inline,) = re.findall(r"<script>(.*?)</script>", answers["docs"].text, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in docs["script-src"]
    assert "'unsafe-inline'" not in docs["script-src"]


def test_reader_chosen_node_is_named_in_connect_src_and_nothing_else_gets_in(
    served: Served,
) -> None:
    page = f"{served.url}/l/{served.label_id}"
    with httpx.Client(timeout=30) as client:

        def connect(rpc: str) -> list[str]:
            return csp(client.get(page, params={"rpc": rpc}))["connect-src"]

        # Only the origin reaches the header: no path, no query (an API key stays out of it).
        assert connect("https://Node.Example:8545/v3/abc?apikey=SECRET") == [
            "'self'",
            "https://node.example:8545",
        ]
        for hostile in (
            "https://evil.example; script-src *",
            "https://evil.example\r\nX-Injected: 1",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://user:pw@[::1]:1/",
            "/rpc",
        ):
            assert connect(hostile) == ["'self'"], hostile
        # The page cache answers the same page again: the header is not repeated or carried over.
        for _ in range(3):
            again = client.get(page, params={"rpc": "https://a.example"})
            assert csp(again)["connect-src"] == ["'self'", "https://a.example"]
        assert csp(client.get(page))["connect-src"] == ["'self'"]


def test_reader_chosen_trust_profile_is_named_in_connect_src_as_carefully(
    served: Served,
) -> None:
    """``?trust=`` (the reader's own trust profile) reaches ``connect-src`` as ``?rpc=`` does: an
    http(s) origin only, never a path, query or credentials, and nothing hostile."""
    assert READER_URL_PARAMS == ("rpc", "trust")
    page = f"{served.url}/l/{served.label_id}"
    with httpx.Client(timeout=30) as client:

        def connect(**params: str) -> list[str]:
            response = client.get(page, params=params)
            assert response.status_code == 200
            assert "SECRET" not in response.headers["content-security-policy"]
            return csp(response)["connect-src"]

        profile = "https://Profiles.Example:8443/tanji/trust.json?token=SECRET"
        assert connect(trust=profile) == ["'self'", "https://profiles.example:8443"]
        # Credentials in the URL never reach the header: the origin is all that does.
        assert connect(trust="https://reader:SECRET@profiles.example/trust.json") == [
            "'self'",
            "https://profiles.example",
        ]
        # A node and a profile both chosen: both origins, each once.
        assert connect(rpc="https://node.example/", trust="http://profiles.example:8080/p") == [
            "'self'",
            "https://node.example",
            "http://profiles.example:8080",
        ]
        assert connect(rpc="https://same.example/rpc", trust="https://same.example/trust") == [
            "'self'",
            "https://same.example",
        ]
        for hostile in (
            "https://evil.example; script-src *",
            "https://evil.example\r\nX-Injected: 1",
            "javascript:alert(1)",
            "data:application/json,{}",
            "file:///etc/passwd",
            "ftp://files.example/trust.json",
            "https://user:pw@[::1]:1/",
            "//profiles.example/trust.json",
            "/static/trust.json",
        ):
            for name in READER_URL_PARAMS:
                assert connect(**{name: hostile}) == ["'self'"], (name, hostile)
        # Only the first value counts, as the page's URLSearchParams.get reads it.
        first = client.get(f"{page}?trust=https%3A%2F%2Fa.example%2F&trust=https%3A%2F%2Fb.example")
        assert csp(first)["connect-src"] == ["'self'", "https://a.example"]
        assert csp(client.get(page))["connect-src"] == ["'self'"]


def test_cors_policy(served: Served) -> None:
    origin = {"Origin": "https://verifier.example"}

    def preflight(path: str, method: str, headers: str = "") -> httpx.Response:
        ask = {**origin, "Access-Control-Request-Method": method}
        if headers:
            ask["Access-Control-Request-Headers"] = headers
        return httpx.options(f"{served.url}{path}", headers=ask, timeout=30)

    bundle = f"/api/v1/labels/{served.label_id}/bundle"
    with httpx.Client(base_url=served.url, timeout=30, headers=origin) as client:
        # Public reads and /rpc answer any origin, never with credentials.
        for response in (
            client.get(bundle),
            client.get(f"/api/v1/labels/{served.label_id}"),
            client.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}),
        ):
            assert response.status_code == 200, response.text
            assert response.headers["access-control-allow-origin"] == "*"
            assert "access-control-allow-credentials" not in response.headers
        # A write's answer is not readable cross-origin (and its preflight is refused below).
        write = client.post(
            "/api/v1/footprints",
            json=footprint(gtin=None, product_ids=["urn:tanji:sku:CORS-1"]),
            headers=bearer(served.enterprise),
        )
        assert write.status_code == 201, write.text
        assert "access-control-allow-origin" not in write.headers

    granted = preflight("/rpc", "POST", "content-type")
    assert granted.status_code == 204
    assert granted.headers["access-control-allow-origin"] == "*"
    assert "POST" in granted.headers["access-control-allow-methods"]
    assert granted.headers["access-control-allow-headers"] == ", ".join(CORS_REQUEST_HEADERS)
    assert int(granted.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in granted.headers
    assert_hardened(granted)
    assert preflight(bundle, "GET").status_code == 204

    refused = {
        # an API key may not be sent cross-origin, to any route
        (bundle, "GET", "authorization"): "access-control-request-headers",
        ("/api/v1/footprints", "GET", "Authorization, Content-Type"): (
            "access-control-request-headers"
        ),
        ("/rpc", "POST", "x-custom"): "access-control-request-headers",
        # writes are not exposed cross-origin
        ("/api/v1/footprints", "POST", "content-type"): "access-control-request-method",
        (f"/api/v1/labels/{served.label_id}/revoke", "POST", ""): "access-control-request-method",
        ("/api/v1/orgs/x/keys", "DELETE", ""): "access-control-request-method",
    }
    for (path, method, headers), field in refused.items():
        response = preflight(path, method, headers)
        assert response.status_code == 403, (path, method, headers)
        assert response.json()["error"]["code"] == "cors_not_allowed"
        assert response.json()["error"]["field"] == field
        assert "access-control-allow-origin" not in response.headers
        assert_hardened(response)


def run_chromium(url: str, profile: Path) -> subprocess.CompletedProcess[str]:
    require_tool("chromium")
    chromium = shutil.which("chromium")
    assert chromium is not None
    result = subprocess.run(
        [chromium, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def verdict(dom: str) -> str | None:
    found = re.search(r'data-verdict="(\w+)"', _verdict_section(dom))
    return found[1] if found else None


def test_page_verifies_under_its_csp_with_a_cross_origin_node(served: Served) -> None:
    """Chromium enforces the page's CSP: the reader's node on another origin is allowed (and its
    CORS preflight granted), the page raises no CSP violation, and a node the policy does not
    name is blocked by the browser."""
    page = f"{served.url}/l/{served.label_id}?lang=en"
    # localhost and 127.0.0.1 are different origins: the same server's /rpc, asked cross-origin.
    other_origin = f"http://localhost:{served.port}/rpc"
    result = run_chromium(f"{page}&rpc={other_origin}", served.tmp / "profile-cross")
    assert verdict(result.stdout) == "VALID", result.stdout[-3000:]
    assert other_origin in result.stdout and "Your chosen chain node" in result.stdout
    assert CSP_VIOLATION not in result.stderr, result.stderr[-3000:]

    result = run_chromium(page, served.tmp / "profile-own")
    assert verdict(result.stdout) == "VALID", result.stdout[-3000:]
    assert CSP_VIOLATION not in result.stderr, result.stderr[-3000:]

    # An IPv6 literal is never put in connect-src: the browser refuses to connect at all.
    blocked = f"http://[::1]:{served.port}/rpc"
    result = run_chromium(f"{page}&rpc={blocked}", served.tmp / "profile-blocked")
    assert verdict(result.stdout) == "ERROR", result.stdout[-3000:]
    assert CSP_VIOLATION in result.stderr and "connect-src" in result.stderr


def page_trust_profile(page_html: str, rpc_url: str) -> dict[str, Any]:
    """The deployment's own trust, as the page's verifier element carries it, written out as a
    ``tanji-trust/1`` profile a reader could host anywhere."""
    (element,) = re.findall(r'<section id="tanji-verify"(.*?)>', page_html, re.S)
    data = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', element)}
    return {
        "format": TRUST_FORMAT,
        "name": "A reader's own profile",
        "chains": [
            {
                "chainId": int(data["chain-id"]),
                "rpcUrl": rpc_url,
                "contracts": data["contracts"].split(","),
            }
        ],
        "issuers": [{"address": a, "name": "issuer"} for a in data["issuers"].split(",") if a],
    }


@pytest.fixture
def profile_host(served: Served) -> Iterator[str]:
    """A static file host on another origin (another port) serving one trust profile at
    ``/trust.json`` with ``Access-Control-Allow-Origin: *``, as a reader's own host would."""
    page = httpx.get(f"{served.url}/l/{served.label_id}", timeout=30)
    body = json.dumps(page_trust_profile(page.text, f"{served.url}/rpc")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/trust.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body if found else b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/trust.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_page_verifies_under_its_csp_with_a_cross_origin_trust_profile(
    served: Served, profile_host: str
) -> None:
    """Chromium enforces the page's CSP: the reader's trust profile on another origin is fetched
    (its origin is in ``connect-src``) and the label verifies under it with no CSP violation; a
    profile the policy does not name is blocked by the browser."""
    page = f"{served.url}/l/{served.label_id}?lang=en"
    assert profile_host.split("/")[2] != served.url.split("/")[2]  # another origin
    result = run_chromium(f"{page}&trust={profile_host}", served.tmp / "profile-trust")
    assert verdict(result.stdout) == "VALID", result.stdout[-3000:]
    assert profile_host in result.stdout and "Your chosen trust profile" in result.stdout
    assert CSP_VIOLATION not in result.stderr, result.stderr[-3000:]

    # An IPv6 literal is never put in connect-src: the browser refuses to fetch the profile.
    port = profile_host.split(":")[2].split("/")[0]
    blocked = f"http://[::1]:{port}/trust.json"
    result = run_chromium(f"{page}&trust={blocked}", served.tmp / "profile-trust-blocked")
    assert verdict(result.stdout) == "ERROR", result.stdout[-3000:]
    assert CSP_VIOLATION in result.stderr and "connect-src" in result.stderr
