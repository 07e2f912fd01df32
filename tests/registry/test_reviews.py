"""The certification review through the real API: queue, thread, evidence, approval, revocation."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry.models.reviews import MAX_EVIDENCE_BYTES
from tests.registry.factories import Orgs, audit_entries, bearer, footprint

#: The smallest documents of each accepted kind (their first bytes are what counts).
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}


async def submit(client: httpx.AsyncClient, key: str, **changes: Any) -> str:
    reply = await client.post("/api/v1/footprints", json=footprint(**changes), headers=bearer(key))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


async def open_review(client: httpx.AsyncClient, orgs: Orgs, **changes: Any) -> dict[str, Any]:
    footprint_id = await submit(client, orgs.enterprise, **changes)
    reply = await client.post(
        "/api/v1/reviews",
        json={"footprint_id": footprint_id, "message": "please review"},
        headers=bearer(orgs.enterprise),
    )
    assert reply.status_code == 201, reply.text
    review: dict[str, Any] = reply.json()
    return review


def error(reply: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = reply.json()["error"]
    return body


async def test_the_whole_review_issues_a_label_anchoring_the_evidence(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    review = await open_review(client, orgs)
    rid, first = review["id"], review["footprint_id"]
    assert review["state"] == "submitted" and review["certifier_org_id"] is None
    entries = audit_entries(app)

    # In every certification body's queue until one claims it.
    for key in (orgs.certifier, orgs.other_certifier):
        queue = (await client.get("/api/v1/reviews", headers=bearer(key))).json()
        assert [r["id"] for r in queue["data"]] == [rid] and queue["count"] == 1
    claimed = await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))
    assert claimed.status_code == 200 and claimed.json()["state"] == "in_review"
    again = await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))
    assert again.status_code == 200  # a retry changes nothing
    other = await client.get(f"/api/v1/reviews/{rid}", headers=bearer(orgs.other_certifier))
    assert other.status_code == 404
    assert (await client.get("/api/v1/reviews", headers=bearer(orgs.other_certifier))).json()[
        "count"
    ] == 0

    # A decision before the enterprise's correction is a conflict with a code.
    comment = await client.post(
        f"/api/v1/reviews/{rid}/comments",
        json={"text": "The grid factor for 2025 is missing."},
        headers=bearer(orgs.certifier),
    )
    assert comment.status_code == 201 and comment.json()["kind"] == "comment"
    changes = await client.post(
        f"/api/v1/reviews/{rid}/request-changes",
        json={"text": "Use the 2023 Chongqing grid factor."},
        headers=bearer(orgs.certifier),
    )
    assert changes.json()["state"] == "changes_requested"
    early = await client.post(
        f"/api/v1/reviews/{rid}/approve", json=VALIDITY, headers=bearer(orgs.certifier)
    )
    assert early.status_code == 409
    assert error(early)["code"] == "review_state"
    assert error(early)["details"][0]["allowed_from"] == ["in_review"]

    # The enterprise sees the request and resubmits a corrected footprint.
    seen = (await client.get(f"/api/v1/reviews/{rid}", headers=bearer(orgs.enterprise))).json()
    assert seen["change_request"] == "Use the 2023 Chongqing grid factor."
    corrected = await submit(client, orgs.enterprise, kg_co2e_per_unit=220.0, fossil_kg_co2e=217.5)
    resubmitted = await client.post(
        f"/api/v1/reviews/{rid}/resubmit",
        json={"footprint_id": corrected, "message": "factor replaced"},
        headers=bearer(orgs.enterprise),
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["state"] == "resubmitted"
    assert resubmitted.json()["footprints"] == [first, corrected]
    # The old footprint left the queue: it cannot be put in another review.
    reuse = await client.post(
        "/api/v1/reviews", json={"footprint_id": first}, headers=bearer(orgs.enterprise)
    )
    assert reuse.status_code == 409 and error(reuse)["code"] == "footprint_in_review"
    await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))

    # Evidence from both parties, typed by its bytes and bounded.
    uploads = {}
    for key, name, data in ((orgs.enterprise, "meter.pdf", PDF), (orgs.certifier, "site.png", PNG)):
        reply = await client.post(
            f"/api/v1/reviews/{rid}/evidence",
            params={"name": name},
            content=data,
            headers={**bearer(key), "Content-Type": "application/octet-stream"},
        )
        assert reply.status_code == 201, reply.text
        uploads[name] = reply.json()
        assert reply.json()["sha256"] == hashlib.sha256(data).hexdigest()
    same = await client.post(
        f"/api/v1/reviews/{rid}/evidence",
        params={"name": "copy.pdf"},
        content=PDF,
        headers=bearer(orgs.enterprise),
    )
    assert same.status_code == 200 and same.json()["id"] == uploads["meter.pdf"]["id"]
    fake = await client.post(
        f"/api/v1/reviews/{rid}/evidence",
        params={"name": "invoice.pdf"},
        content=b"<html>not a pdf</html>",
        headers={**bearer(orgs.enterprise), "Content-Type": "application/pdf"},
    )
    assert fake.status_code == 422 and error(fake)["code"] == "evidence_type"
    huge = await client.post(
        f"/api/v1/reviews/{rid}/evidence",
        params={"name": "big.pdf"},
        content=b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES,
        headers=bearer(orgs.enterprise),
    )
    assert huge.status_code == 422 and error(huge)["code"] == "evidence_too_large"
    download = await client.get(
        f"/api/v1/reviews/{rid}/evidence/{uploads['site.png']['id']}",
        headers=bearer(orgs.enterprise),
    )
    assert download.content == PNG and download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment")

    # Approval issues the label through the labels' own checks; the record anchors the digests.
    approved = await client.post(
        f"/api/v1/reviews/{rid}/approve",
        json=VALIDITY,
        headers={**bearer(orgs.certifier), "Idempotency-Key": "approve-1"},
    )
    assert approved.status_code == 201, approved.text
    label = approved.json()
    assert label["footprint_id"] == corrected and label["grade"]
    assert label["record"]["evidence"] == [
        {
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "mediaType": "application/pdf",
            "name": "meter.pdf",
        },
        {"sha256": hashlib.sha256(PNG).hexdigest(), "mediaType": "image/png", "name": "site.png"},
    ]
    replay = await client.post(
        f"/api/v1/reviews/{rid}/approve",
        json=VALIDITY,
        headers={**bearer(orgs.certifier), "Idempotency-Key": "approve-1"},
    )
    assert replay.status_code == 201 and replay.json()["id"] == label["id"]
    twice = await client.post(
        f"/api/v1/reviews/{rid}/approve", json=VALIDITY, headers=bearer(orgs.certifier)
    )
    assert twice.status_code == 409 and error(twice)["code"] == "review_state"
    late = await client.post(
        f"/api/v1/reviews/{rid}/evidence",
        params={"name": "late.jpg"},
        content=JPEG,
        headers=bearer(orgs.enterprise),
    )
    assert late.status_code == 409 and error(late)["code"] == "review_state"

    revoked = await client.post(
        f"/api/v1/reviews/{rid}/revoke",
        json={"reason_code": 2, "note": "meter readings were estimated"},
        headers=bearer(orgs.certifier),
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    detail = (await client.get(f"/api/v1/reviews/{rid}", headers=bearer(orgs.certifier))).json()
    assert detail["state"] == "revoked" and detail["label"]["status"] == "revoked"
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds == [
        "submitted",
        "claimed",
        "comment",
        "changes_requested",
        "resubmitted",
        "claimed",
        "evidence",
        "evidence",
        "approved",
        "revoked",
    ]
    # Every step was audited (the label's own entries come on top).
    assert audit_entries(app) - entries >= len(kinds) - 1


async def test_roles_and_parties_are_checked(client: httpx.AsyncClient, orgs: Orgs) -> None:
    review = await open_review(client, orgs)
    rid = review["id"]
    refused = await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.enterprise))
    assert refused.status_code == 403 and error(refused)["code"] == "forbidden_role"
    fp = await submit(client, orgs.other_enterprise, gtin=None)
    foreign = await client.post(
        "/api/v1/reviews", json={"footprint_id": fp}, headers=bearer(orgs.enterprise)
    )
    assert foreign.status_code == 404
    by_certifier = await client.post(
        "/api/v1/reviews", json={"footprint_id": fp}, headers=bearer(orgs.certifier)
    )
    assert by_certifier.status_code == 403
    nosy = await client.get(f"/api/v1/reviews/{rid}", headers=bearer(orgs.other_enterprise))
    assert nosy.status_code == 404
    unclaimed = await client.post(
        f"/api/v1/reviews/{rid}/reject", json={"text": "no"}, headers=bearer(orgs.certifier)
    )
    assert unclaimed.status_code == 403 and error(unclaimed)["code"] == "not_reviewer"
    await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))
    rejected = await client.post(
        f"/api/v1/reviews/{rid}/reject", json={"text": "scope"}, headers=bearer(orgs.certifier)
    )
    assert rejected.json()["state"] == "rejected"
    blank = await client.post(
        f"/api/v1/reviews/{rid}/comments", json={"text": ""}, headers=bearer(orgs.certifier)
    )
    assert blank.status_code == 422 and error(blank)["field"]


async def test_a_label_without_evidence_keeps_its_record(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    """Through the queue with no documents, or straight through POST /api/v1/labels: no
    ``evidence`` member, so records (and old labels' hashes) are as before."""
    review = await open_review(client, orgs)
    rid = review["id"]
    await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))
    label = await client.post(
        f"/api/v1/reviews/{rid}/approve", json=VALIDITY, headers=bearer(orgs.certifier)
    )
    assert label.status_code == 201 and "evidence" not in label.json()["record"]
    direct_fp = await submit(client, orgs.enterprise, kg_co2e_per_unit=199.0, fossil_kg_co2e=196.5)
    direct = await client.post(
        "/api/v1/labels",
        json={"footprint_id": direct_fp, **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert direct.status_code == 201 and "evidence" not in direct.json()["record"]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a\u202eb.pdf"])
async def test_evidence_names_are_plain(client: httpx.AsyncClient, orgs: Orgs, bad: str) -> None:
    review = await open_review(client, orgs)
    reply = await client.post(
        f"/api/v1/reviews/{review['id']}/evidence",
        params={"name": bad},
        content=PDF,
        headers=bearer(orgs.enterprise),
    )
    if bad.startswith(".."):
        assert reply.status_code == 201 and reply.json()["name"] == "passwd"
    else:
        assert reply.status_code == 422 and error(reply)["field"] == "name"


async def test_the_evidence_member_is_only_added_when_there_is_evidence(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    """build_record without evidence gives the very bytes it gave before the member existed."""
    from datetime import UTC, date, datetime

    from sqlmodel import Session

    from registry.crud.labels import build_record
    from registry.models.footprints import Footprint
    from registry.models.labels import LabelCreate
    from registry.models.orgs import Organisation
    from verifier.protocol.canonical import canonicalize

    footprint_id = await submit(client, orgs.enterprise)
    with Session(app.state.engine) as session:
        fp = session.get(Footprint, footprint_id)
        enterprise = session.get(Organisation, orgs.enterprise_id)
        certifier = session.get(Organisation, orgs.certifier_id)
        assert fp is not None and enterprise is not None and certifier is not None
        body = LabelCreate(
            footprint_id=footprint_id, valid_from=date(2026, 1, 1), valid_until=date(2027, 1, 1)
        )
        common: dict[str, Any] = {
            "label_id": "x",
            "certificate_number": "CQ-CFL-2026-000001",
            "footprint": fp,
            "enterprise": enterprise,
            "certifier": certifier,
            "body": body,
            "grade": {"grade": "A"},
            "supersedes": None,
            "issued_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        before = canonicalize(build_record(**common))
        assert canonicalize(build_record(**common, evidence=None)) == before
        assert canonicalize(build_record(**common, evidence=[])) == before
        item = {"sha256": "0" * 64, "mediaType": "application/pdf", "name": "a.pdf"}
        with_evidence = build_record(**common, evidence=[item])
        assert with_evidence["evidence"] == [item]
        assert canonicalize({k: v for k, v in with_evidence.items() if k != "evidence"}) == before


async def test_two_approvals_at_once_issue_one_label(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    """A double click (or a retry racing the first try) cannot issue two labels."""
    import asyncio

    from sqlmodel import Session, func, select

    from registry.models.labels import Label

    review = await open_review(client, orgs)
    rid = review["id"]
    await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))
    replies = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/reviews/{rid}/approve", json=VALIDITY, headers=bearer(orgs.certifier)
            )
            for _ in range(3)
        )
    )
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) == 1, [r.text for r in replies]
    assert all(s in (201, 409, 503) for s in statuses), [r.text for r in replies]
    with Session(app.state.engine) as session:
        labels = session.exec(
            select(func.count())
            .select_from(Label)
            .where(Label.footprint_id == review["footprint_id"])
        ).one()
    assert labels == 1


async def test_revoking_a_reviewed_label_through_the_labels_api_closes_its_review(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    review = await open_review(client, orgs)
    rid = review["id"]
    await client.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(orgs.certifier))
    label = await client.post(
        f"/api/v1/reviews/{rid}/approve", json=VALIDITY, headers=bearer(orgs.certifier)
    )
    assert label.status_code == 201, label.text
    revoked = await client.post(
        f"/api/v1/labels/{label.json()['id']}/revoke",
        json={"reason_code": 2, "note": "meter readings were estimated"},
        headers=bearer(orgs.certifier),
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    detail = (await client.get(f"/api/v1/reviews/{rid}", headers=bearer(orgs.certifier))).json()
    assert detail["state"] == "revoked"
    assert detail["events"][-1]["kind"] == "revoked"


async def test_a_footprint_under_review_is_labelled_only_by_its_review(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    review = await open_review(client, orgs)
    direct = await client.post(
        "/api/v1/labels",
        json={"footprint_id": review["footprint_id"], **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert direct.status_code == 409, direct.text
    assert error(direct)["code"] == "under_review"
    assert error(direct)["details"] == [{"review_id": review["id"], "state": "submitted"}]
    await client.post(f"/api/v1/reviews/{review['id']}/claim", headers=bearer(orgs.certifier))
    label = await client.post(
        f"/api/v1/reviews/{review['id']}/approve", json=VALIDITY, headers=bearer(orgs.certifier)
    )
    assert label.status_code == 201, label.text
