"""Console sign-in against a real ``tanji serve``: setup link, password, session, CSRF, limits."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlmodel import Session, select

from registry.api.routes.console import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from registry.config import Settings
from registry.crud.users import SESSION_TTL
from registry.db import make_engine
from registry.models.users import SetupToken
from registry.passwords import hash_password, token_hash, verify_password
from tests.registry.factories import bearer
from tests.registry.server import TANJI, create_org, serve

pytestmark = pytest.mark.slow

BURST = 4
PASSWORD = "correct horse battery"
LINK_BASE = "http://127.0.0.1:8000"  # the default base URL the CLI prints links with


@dataclass
class Server:
    url: str
    data: Path
    org_id: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("console") / "data"
    key = create_org(data, name="Acme 碳")
    env = {"TANJI_AUTH_FAILURE_BURST": str(BURST), "TANJI_AUTH_FAILURE_REFILL_SECONDS": "600"}
    with serve(data, data.parent / "serve.log", env) as (_, url):
        org_id = httpx.get(f"{url}/api/v1/orgs/me", headers=bearer(key)).json()["id"]
        yield Server(url=url, data=data, org_id=org_id)


def tanji(server: Server, *args: str) -> str:
    out = subprocess.run(
        [*TANJI, *args, "--data-dir", str(server.data)], check=True, capture_output=True, text=True
    )
    return out.stdout


def new_user(server: Server, email: str, role: str = "owner") -> str:
    """``tanji user create``; returns the setup link's path."""
    out = tanji(server, "user", "create", "--org", server.org_id, "--email", email, "--role", role)
    url = out.strip().splitlines()[-1]
    assert url.startswith(f"{LINK_BASE}/console/setup/"), out
    return url.removeprefix(LINK_BASE)


def audit_actions(server: Server) -> list[str]:
    listed: Any = json.loads(tanji(server, "audit", "list", "--json", "--limit", "200"))
    rows = listed if isinstance(listed, list) else listed["data"]
    return [str(row["action"]) for row in rows]


def client(server: Server, address: str) -> httpx.Client:
    """A client with a source address of its own (so a rate-limit bucket of its own)."""
    return httpx.Client(base_url=server.url, transport=httpx.HTTPTransport(local_address=address))


def set_cookies(response: httpx.Response) -> dict[str, Any]:
    """The cookies a response sets, by name (httpx keeps no Secure cookie over http://)."""
    found: dict[str, Any] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            found[name] = morsel
    return found


def form_token(page: httpx.Response) -> str:
    return page.text.split(f'name="{CSRF_FIELD}" value="', 1)[1].split('"', 1)[0]


def form_csrf(page: httpx.Response) -> tuple[str, str]:
    """The CSRF cookie a form page set and the token in its form (the same)."""
    cookie = set_cookies(page)[CSRF_COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "strict"
    return cookie.value, form_token(page)


def post_password(
    http: httpx.Client, path: str, password: str, again: str | None = None
) -> httpx.Response:
    cookie, field = form_csrf(http.get("/console/login"))
    return http.post(
        path,
        data={CSRF_FIELD: field, "password": password, "password_again": again or password},
        headers={"Cookie": f"{CSRF_COOKIE}={cookie}"},
    )


def set_password(http: httpx.Client, path: str, password: str = PASSWORD) -> httpx.Response:
    page = http.get(path)
    assert page.status_code == 200, page.text
    return post_password(http, path, password)


def login(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    cookie, field = form_csrf(http.get("/console/login"))
    return http.post(
        "/console/login",
        data={CSRF_FIELD: field, "email": email, "password": password},
        headers={"Cookie": f"{CSRF_COOKIE}={cookie}"},
    )


def signed_in_as(http: httpx.Client, email: str) -> dict[str, str]:
    response = login(http, email)
    assert response.status_code == 303, response.text
    return {"Cookie": f"{SESSION_COOKIE}={set_cookies(response)[SESSION_COOKIE].value}"}


def test_setup_login_console_logout(server: Server) -> None:
    path = new_user(server, "Owner@Acme.example")
    with client(server, "127.0.0.11") as http:
        setup = http.get(path)
        assert "owner@acme.example" in setup.text and setup.headers["Cache-Control"] == "no-store"
        assert "<script" not in setup.text
        done = set_password(http, path)
        assert done.status_code == 303 and "/console/login" in done.headers["location"]
        # The link is used up.
        assert http.get(path).status_code == 410
        assert post_password(http, path, "x" * 12).status_code == 410

        signed = login(http, "owner@acme.example")
        assert signed.status_code == 303 and signed.headers["location"].startswith("/console?")
        flags = set_cookies(signed)[SESSION_COOKIE]
        assert flags["secure"] and flags["httponly"] and flags["samesite"] == "lax"
        assert flags["path"] == "/" and not flags["domain"]
        assert int(flags["max-age"]) == int(SESSION_TTL.total_seconds())
        sid = flags.value
        me = {"Cookie": f"{SESSION_COOKIE}={sid}"}

        page = http.get("/console?lang=en", headers=me)
        assert page.status_code == 200, page.text
        assert "owner@acme.example" in page.text and server.org_id in page.text
        assert 'id="user-role">owner<' in page.text and 'id="org-role">enterprise<' in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert "form-action 'self'" in page.headers["Content-Security-Policy"]
        csrf = form_token(page)

        anonymous = http.get("/console")
        assert anonymous.status_code == 303 and "/console/login" in anonymous.headers["location"]

        # Signing out is a form: without its session's CSRF token it is refused.
        for sent in ({}, {CSRF_FIELD: "wrong"}, {CSRF_FIELD: sid}):
            r = http.post("/console/logout", data=sent, headers=me)
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
            assert r.json()["error"]["field"] == CSRF_FIELD
        assert http.get("/console", headers=me).status_code == 200
        out = http.post("/console/logout", data={CSRF_FIELD: csrf}, headers=me)
        assert out.status_code == 303
        assert set_cookies(out)[SESSION_COOKIE]["max-age"] == "0"
        assert http.get("/console", headers=me).status_code == 303  # the session has ended

    actions = audit_actions(server)
    for action in ("user.create", "user.set_password", "user.login", "user.logout"):
        assert action in actions
    # The access log shows the setup link's path without its token.
    log = (server.data.parent / "serve.log").read_text(encoding="utf-8")
    assert "/console/setup/[redacted]" in log and path not in log


def test_wrong_password_and_unknown_email(server: Server) -> None:
    email = "wrong@acme.example"
    with client(server, "127.0.0.12") as http:
        assert set_password(http, new_user(server, email)).status_code == 303
        for address, password in ((email, "not the password"), ("nobody@acme.example", PASSWORD)):
            r = login(http, address, password)
            assert r.status_code == 401 and SESSION_COOKIE not in set_cookies(r)
            assert 'id="error"' in r.text
        assert login(http, email).status_code == 303
    assert audit_actions(server).count("user.login_failed") >= 2


def test_forms_without_their_csrf_token_are_refused(server: Server) -> None:
    with client(server, "127.0.0.13") as http:
        cookie, field = form_csrf(http.get("/console/login"))
        sent = {"email": "a@acme.example", "password": PASSWORD}
        jar = {"Cookie": f"{CSRF_COOKIE}={cookie}"}
        cases: list[tuple[dict[str, str], dict[str, str]]] = [
            (sent, jar),  # no token in the form
            ({**sent, CSRF_FIELD: field}, {}),  # no cookie
            ({**sent, CSRF_FIELD: "forged"}, jar),  # a token that is not the cookie's
        ]
        for data, headers in cases:
            r = http.post("/console/login", data=data, headers=headers)
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "csrf_failed"
        path = new_user(server, "csrf@acme.example")
        r = http.post(path, data={"password": PASSWORD, "password_again": PASSWORD})
        assert r.status_code == 403
        assert http.get(path).status_code == 200  # the link was not used


def test_expired_and_unknown_setup_links(server: Server) -> None:
    path = new_user(server, "late@acme.example")
    engine = make_engine(Settings(data_dir=server.data))
    try:
        with Session(engine) as session:
            token = path.rsplit("/", 1)[1]
            row = session.exec(
                select(SetupToken).where(SetupToken.token_hash == token_hash(token))
            ).one()
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(row)
            session.commit()
    finally:
        engine.dispose()
    with client(server, "127.0.0.14") as http:
        page = http.get(path)
        assert page.status_code == 410 and 'id="error"' in page.text
        assert 'id="setup"' not in page.text
        assert post_password(http, path, PASSWORD).status_code == 410
        assert http.get("/console/setup/not-a-token").status_code == 404


def test_short_or_differing_passwords_are_refused(server: Server) -> None:
    path = new_user(server, "short@acme.example")
    with client(server, "127.0.0.15") as http:
        assert post_password(http, path, "short").status_code == 422
        assert post_password(http, path, PASSWORD, PASSWORD + "!").status_code == 422
        assert set_password(http, path).status_code == 303


def test_failed_logins_are_rate_limited(server: Server) -> None:
    email = "limited@acme.example"
    with client(server, "127.0.0.16") as http:
        assert set_password(http, new_user(server, email)).status_code == 303
        for _ in range(BURST):
            assert login(http, email, "guess guess guess").status_code == 401
        for password in ("guess guess guess", PASSWORD):
            r = login(http, email, password)
            assert r.status_code == 429 and SESSION_COOKIE not in set_cookies(r)
            assert 1 <= int(r.headers["Retry-After"]) <= 600
    with client(server, "127.0.0.17") as other:  # another client is not locked out
        assert login(other, email).status_code == 303


def test_roles_inside_the_organisation(server: Server) -> None:
    with client(server, "127.0.0.18") as http:
        sessions = {}
        for role in ("owner", "viewer"):
            email = f"role-{role}@acme.example"
            assert set_password(http, new_user(server, email, role)).status_code == 303
            sessions[role] = signed_in_as(http, email)
        owner = http.get("/console/users", headers=sessions["owner"])
        assert owner.status_code == 200 and "role-viewer@acme.example (viewer)" in owner.text
        viewer = http.get("/console/users", headers=sessions["viewer"])
        assert viewer.status_code == 403
        assert viewer.json()["error"]["code"] == "forbidden_user_role"
        # A browser is told on a page, with the same status and code.
        browser = {**sessions["viewer"], "Accept": "text/html", "Accept-Language": "en"}
        page = http.get("/console/users", headers=browser)
        assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
        assert '<code id="error-code">forbidden_user_role</code>' in page.text
        assert "This could not be done" in page.text
        assert http.get("/console", headers=sessions["viewer"]).status_code == 200


def test_pages_in_three_languages(server: Server) -> None:
    with client(server, "127.0.0.19") as http:
        for lang, text in (("zh-Hans", "登录"), ("zh-Hant", "登入"), ("en", "Sign in")):
            page = http.get(f"/console/login?lang={lang}")
            assert page.status_code == 200 and page.headers["Content-Language"] == lang
            assert text in page.text


def test_user_create_refuses_bad_input(server: Server) -> None:
    new_user(server, "twice@acme.example")
    for args in (
        ("--org", server.org_id, "--email", "TWICE@acme.example", "--role", "viewer"),
        ("--org", server.org_id, "--email", "not an email", "--role", "viewer"),
        ("--org", "org-nope", "--email", "x@acme.example", "--role", "viewer"),
    ):
        out = subprocess.run(
            [*TANJI, "user", "create", *args, "--data-dir", str(server.data)],
            capture_output=True,
            text=True,
        )
        assert out.returncode != 0 and "/console/setup/" not in out.stdout


def test_totp_second_factor(server: Server) -> None:
    email = "totp@acme.example"
    with client(server, "127.0.0.20") as http:
        assert set_password(http, new_user(server, email)).status_code == 303
        me = signed_in_as(http, email)
        page = http.get("/console/totp", headers=me)
        assert page.status_code == 200 and 'src="data:image/png;base64,' in page.text
        secret = page.text.split('id="totp-secret">', 1)[1].split("<", 1)[0]
        totp = pyotp.TOTP(secret)

        def enable(code: str) -> httpx.Response:
            data = {CSRF_FIELD: form_token(page), "secret": secret, "code": code}
            return http.post("/console/totp", data=data, headers=me)

        wrong = str((int(totp.now()) + 1) % 1_000_000).zfill(6)
        assert enable(wrong).status_code == 422
        enabling = totp.now()
        assert enable(enabling).status_code == 303
        assert "totp-link" not in http.get("/console", headers=me).text

        def login_with(code: str) -> httpx.Response:
            cookie, field = form_csrf(http.get("/console/login"))
            data = {CSRF_FIELD: field, "email": email, "password": PASSWORD, "code": code}
            return http.post(
                "/console/login", data=data, headers={"Cookie": f"{CSRF_COOKIE}={cookie}"}
            )

        assert login_with("").status_code == 401  # the password alone no longer signs in
        assert login_with(enabling).status_code == 401  # the code that turned it on is used up
        fresh = totp.at(time.time() + totp.interval)  # the next step's, within the window
        assert login_with(fresh).status_code == 303
        assert login_with(fresh).status_code == 401  # once only
    assert "user.totp_enable" in audit_actions(server)


def test_passwords_are_argon2id() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "x", stored)
    assert not verify_password(PASSWORD, None)
