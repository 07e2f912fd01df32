"""The certification review's console pages through the real app and database: the reviewer's
queue and actions, the enterprise's request, evidence upload and resubmission, plain form POSTs
with CSRF, refusals shown with their code and field."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from registry.api.routes.console import SESSION_COOKIE
from registry.crud.users import create_user, set_password, sign_in
from registry.models.users import UserRole
from tests.registry.factories import Orgs, bearer, footprint
from tests.registry.test_reviews import PDF

pytestmark = pytest.mark.slow  # people sign in (Argon2)

PASSWORD = "correct horse battery"


@dataclass
class Person:
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}


def person(app: FastAPI, org_id: str, email: str, role: UserRole) -> Person:
    with Session(app.state.engine, expire_on_commit=False) as session:
        _, token = create_user(session, org_id=org_id, email=email, role=role)
        set_password(session, token=token, password=PASSWORD)
        signed, cookie = sign_in(session, email=email, password=PASSWORD)
        return Person(cookie=cookie, csrf=signed.session.csrf_token)


async def post(
    client: httpx.AsyncClient, who: Person, path: str, data: dict[str, str]
) -> httpx.Response:
    return await client.post(path, data={**data, "csrf_token": who.csrf}, headers=who.headers())


def shown_error(response: httpx.Response) -> tuple[str, str | None]:
    code = re.search(r'<code id="error-code">([^<]+)</code>', response.text)
    field = re.search(r'<code id="error-field">([^<]+)</code>', response.text)
    assert code is not None, response.text[:3000]
    return code[1], field[1] if field else None


async def submit(client: httpx.AsyncClient, key: str, **changes: object) -> str:
    reply = await client.post("/api/v1/footprints", json=footprint(**changes), headers=bearer(key))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


async def test_review_in_the_console_from_request_to_revocation(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@ent.example", UserRole.OWNER)
    reviewer = person(app, orgs.certifier_id, "reviewer@cb.example", UserRole.REVIEWER)
    viewer = person(app, orgs.enterprise_id, "viewer@ent.example", UserRole.VIEWER)
    first = await submit(client, orgs.enterprise)

    # The enterprise puts its footprint in the queue.
    mine = await client.get("/console/my-reviews", headers=owner.headers())
    assert mine.status_code == 200 and f'value="{first}"' in mine.text
    refused = await post(client, viewer, "/console/my-reviews", {"footprint_id": first})
    assert refused.status_code == 403
    opened = await post(
        client, owner, "/console/my-reviews?lang=en", {"footprint_id": first, "message": "hi"}
    )
    assert opened.status_code == 303
    review_path = opened.headers["location"].split("?")[0]
    rid = review_path.rsplit("/", 1)[1]
    again = await post(client, owner, "/console/my-reviews", {"footprint_id": first})
    assert again.status_code == 409 and shown_error(again) == (
        "footprint_in_review",
        "footprint_id",
    )

    # The reviewer's queue and the review: claim, comment, request changes.
    queue = await client.get("/console/reviews?lang=en", headers=reviewer.headers())
    assert queue.status_code == 200 and f'id="review-{rid}"' in queue.text
    page = await client.get(review_path, headers=reviewer.headers())
    assert 'id="claim"' in page.text and 'id="approve"' not in page.text
    no_csrf = await client.post(f"{review_path}/claim", data={}, headers=reviewer.headers())
    assert no_csrf.status_code == 403
    assert (await post(client, reviewer, f"{review_path}/claim", {})).status_code == 303
    page = await client.get(f"{review_path}?lang=en", headers=reviewer.headers())
    assert 'id="approve"' in page.text and "The label will carry grade" in page.text
    assert (
        await post(client, reviewer, f"{review_path}/comment", {"text": "Which grid factor?"})
    ).status_code == 303
    empty = await post(client, reviewer, f"{review_path}/request-changes", {"change_request": ""})
    assert empty.status_code == 422 and shown_error(empty) == ("missing_field", "change_request")
    changed = await post(
        client, reviewer, f"{review_path}/request-changes", {"change_request": "Use 2023 factors"}
    )
    assert changed.status_code == 303

    # The enterprise sees the request, files evidence, resubmits a corrected footprint.
    page = await client.get(f"{review_path}?lang=en", headers=owner.headers())
    assert "Use 2023 factors" in page.text and 'id="resubmit"' in page.text
    corrected = await submit(client, orgs.enterprise, kg_co2e_per_unit=220.0, fossil_kg_co2e=217.5)
    page = await client.get(f"{review_path}?lang=en", headers=owner.headers())
    assert f'value="{corrected}"' in page.text
    upload = await client.post(
        f"{review_path}/evidence",
        data={"csrf_token": owner.csrf},
        files={"file": ("meter.pdf", PDF, "application/pdf")},
        headers=owner.headers(),
    )
    assert upload.status_code == 303, upload.text[:2000]
    fake = await client.post(
        f"{review_path}/evidence",
        data={"csrf_token": owner.csrf},
        files={"file": ("fake.pdf", b"MZ not a pdf", "application/pdf")},
        headers=owner.headers(),
    )
    assert fake.status_code == 422 and shown_error(fake) == ("evidence_type", "file")
    resubmitted = await post(
        client, owner, f"{review_path}/resubmit", {"footprint_id": corrected, "message": "done"}
    )
    assert resubmitted.status_code == 303

    # The reviewer takes it back, sees the digest, approves (a bad date first), then revokes.
    assert (await post(client, reviewer, f"{review_path}/claim", {})).status_code == 303
    page = await client.get(f"{review_path}?lang=en", headers=reviewer.headers())
    assert hashlib.sha256(PDF).hexdigest() in page.text
    link = re.search(rf'href="({review_path}/evidence/\d+)"', page.text)
    assert link is not None
    download = await client.get(link[1], headers=reviewer.headers())
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    bad = await post(
        client,
        reviewer,
        f"{review_path}/approve",
        {"valid_from": "2027-01-01", "valid_until": "2026-01-01"},
    )
    assert bad.status_code == 422 and shown_error(bad)[1] == "valid_until"
    approved = await post(
        client,
        reviewer,
        f"{review_path}/approve",
        {"valid_from": "2026-01-01", "valid_until": "2028-12-31", "serial": "", "notes": ""},
    )
    assert approved.status_code == 303
    detail = (await client.get(f"/api/v1/reviews/{rid}", headers=bearer(orgs.certifier))).json()
    assert detail["state"] == "approved"
    assert detail["label"]["record"]["evidence"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    twice = await post(
        client,
        reviewer,
        f"{review_path}/approve",
        {"valid_from": "2026-01-01", "valid_until": "2028-12-31"},
    )
    assert twice.status_code == 409 and shown_error(twice)[0] == "review_state"
    revoked = await post(
        client, reviewer, f"{review_path}/revoke", {"reason_code": "3", "note": "meter wrong"}
    )
    assert revoked.status_code == 303
    page = await client.get(f"{review_path}?lang=en", headers=owner.headers())
    assert 'data-status="revoked"' in page.text
    for lang in ("zh-Hans", "zh-Hant"):
        for who, path in ((owner, review_path), (owner, "/console/my-reviews")):
            shown = await client.get(f"{path}?lang={lang}", headers=who.headers())
            assert shown.status_code == 200 and f'<html lang="{lang}">' in shown.text
        shown = await client.get(f"/console/reviews?lang={lang}", headers=reviewer.headers())
        assert shown.status_code == 200 and f'id="review-{rid}"' in shown.text


async def test_a_calculated_footprint_shows_its_inventory_and_factor_versions(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    from tests.registry.calculations_data import DETAILS, example, publish_starter_datasets

    publish_starter_datasets(app.state.engine)
    computed = await client.post(
        "/api/v1/calculations",
        json={"inventory": example("cement.json"), "footprint": DETAILS},
        params={"submit": "true"},
        headers=bearer(orgs.enterprise),
    )
    assert computed.status_code == 201, computed.text
    footprint_id = computed.json()["footprint"]["id"]
    opened = await client.post(
        "/api/v1/reviews", json={"footprint_id": footprint_id}, headers=bearer(orgs.enterprise)
    )
    assert opened.status_code == 201, opened.text
    reviewer = person(app, orgs.certifier_id, "reviewer2@cb.example", UserRole.REVIEWER)
    page = await client.get(
        f"/console/reviews/{opened.json()['id']}?lang=en", headers=reviewer.headers()
    )
    assert page.status_code == 200
    assert 'id="inventory-lines"' in page.text and 'id="breakdown"' in page.text
    for line in computed.json()["lines"]:
        assert f"<td>{line['id']}</td>" in page.text
    for dataset in computed.json()["factor_datasets"]:
        assert f"{dataset['dataset']}@{dataset['version']}" in page.text
