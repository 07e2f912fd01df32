"""The city administrator's console and API through the real app and database (SQLite and
PostgreSQL): aggregates counted on seeded rows (chart table, API JSON and both CSVs), prefix and
publisher confirmations audited with the person who made them, refusals for everyone else, CSRF,
bad input shown with its code and field, and the anchoring-health page.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from registry.api.routes.console import SESSION_COOKIE
from registry.audit import AuditEntry
from registry.city.stats import aggregate
from registry.crud.orgs import create_org, set_district
from registry.crud.users import create_user, set_password, sign_in
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import OrgRole
from registry.models.users import UserRole
from tests.registry.factories import Orgs, bearer

PASSWORD = "correct horse battery"


@dataclass
class Person:
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}


def person(app: FastAPI, org_id: str, email: str, role: UserRole = UserRole.OWNER) -> Person:
    """A signed-in console user of ``org_id`` (the console's own functions)."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        _, token = create_user(session, org_id=org_id, email=email, role=role)
        set_password(session, token=token, password=PASSWORD)
        signed, cookie = sign_in(session, email=email, password=PASSWORD)
        return Person(cookie=cookie, csrf=signed.session.csrf_token)


async def post(
    client: httpx.AsyncClient, who: Person, path: str, data: dict[str, str], *, csrf: bool = True
) -> httpx.Response:
    form = {**data, **({"csrf_token": who.csrf} if csrf else {})}
    return await client.post(path, data=form, headers=who.headers())


def shown_error(response: httpx.Response) -> tuple[str, str | None]:
    code = re.search(r'<code id="error-code">([^<]+)</code>', response.text)
    field = re.search(r'<code id="error-field">([^<]+)</code>', response.text)
    assert code is not None, response.text[:2000]
    return code[1], field[1] if field else None


async def org_id_of(client: httpx.AsyncClient, key: str) -> str:
    return str((await client.get("/api/v1/orgs/me", headers=bearer(key))).json()["id"])


def audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with Session(app.state.engine) as session:
        return list(
            session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
            ).all()
        )


# -- aggregates ---------------------------------------------------------------------------------


def at(month: str, day: int = 15) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, day, 12, tzinfo=UTC)


#: (organisation, category, month, grade or None: a footprint without a label)
SEED: list[tuple[str, str, str, str | None]] = [
    ("yz", "laptop", "2026-01", "A"),
    ("yz", "laptop", "2026-01", "B"),
    ("yz", "cement", "2026-01", None),
    ("yz", "laptop", "2026-03", "A"),
    ("jb", "cement", "2026-03", "C"),
    ("jb", "cement", "2026-03", None),
    ("none", "laptop", "2026-03", "A+"),
    ("none", "laptop", "2025-12", "A"),  # outside the range asked
    ("jb", "laptop", "2026-04", "D"),  # outside the range asked
]


def seed(app: FastAPI) -> dict[str, str]:
    """Three enterprises (Yuzhong, Jiangbei, none) and their footprints and labels on the
    months of :data:`SEED` (rows written directly: the aggregates read stored rows)."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        ids = {}
        for key, district in (("yz", "yuzhong"), ("jb", "jiangbei"), ("none", None)):
            org, _ = create_org(session, name=f"Stats {key}", role=OrgRole.ENTERPRISE)
            if district:
                set_district(session, org_id=org.id, district=district)
            ids[key] = org.id
        _, _ = create_org(session, name="Stats CB", role=OrgRole.CERTIFICATION_BODY)
        cb = session.exec(select(col(Label.certifier_org_id))).first()
        certifier = cb or create_org(session, name="CB2", role=OrgRole.CERTIFICATION_BODY)[0].id
        for i, (who, category, month, grade) in enumerate(SEED):
            fp = Footprint(
                id=f"fp-stats-{i}",
                org_id=ids[who],
                status="certified" if grade else "submitted",
                content_hash=f"stats-{i}",
                category=category,
                data={},
                record={},
                master_salt="0x00",
                created_at=at(month),
            )
            session.add(fp)
            session.flush()
            if grade:
                session.add(
                    Label(
                        id=f"lb-stats-{i}",
                        footprint_id=fp.id,
                        enterprise_org_id=ids[who],
                        certifier_org_id=certifier,
                        certificate_number=f"STATS-{i}",
                        valid_from=date(2026, 1, 1),
                        valid_until=date(2027, 1, 1),
                        grade=grade,
                        record={},
                        master_salt="0x00",
                        created_at=at(month, 20),
                    )
                )
        session.commit()
    return ids


RANGE = {"from": "2026-01", "to": "2026-03"}


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_aggregates_are_counted_the_same_in_chart_table_api_and_csv(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    seed(app)
    admin_id = await org_id_of(client, orgs.admin)
    admin = person(app, admin_id, "city@cq.example")

    # The aggregate itself: labels by category, district and grade; footprints by district.
    with Session(app.state.engine) as session:
        by_category = aggregate(
            session, measure="labels", by="category", start="2026-01", end="2026-03"
        )
        by_district = aggregate(
            session, measure="labels", by="district", start="2026-01", end="2026-03"
        )
        by_grade = aggregate(session, measure="labels", by="grade", start="2026-01", end="2026-03")
        footprints = aggregate(
            session, measure="footprints", by="district", start="2026-01", end="2026-03"
        )
        laptops_yz = aggregate(
            session,
            measure="labels",
            by="grade",
            start="2026-01",
            end="2026-03",
            category="laptop",
            district="yuzhong",
        )
    assert by_category.months == ["2026-01", "2026-02", "2026-03"]
    assert by_category.keys == ["laptop", "cement"]  # the catalogue's order
    assert by_category.counts == {
        ("2026-01", "laptop"): 2,
        ("2026-03", "laptop"): 2,
        ("2026-03", "cement"): 1,
    }
    assert by_district.keys == ["yuzhong", "jiangbei", "unassigned"]
    assert by_district.counts == {
        ("2026-01", "yuzhong"): 2,
        ("2026-03", "yuzhong"): 1,
        ("2026-03", "jiangbei"): 1,
        ("2026-03", "unassigned"): 1,
    }
    assert by_grade.keys == ["A+", "A", "B", "C"]
    assert by_grade.key_total("A") == 2 and by_grade.total == 5
    assert footprints.counts == {
        ("2026-01", "yuzhong"): 3,
        ("2026-03", "yuzhong"): 1,
        ("2026-03", "jiangbei"): 2,
        ("2026-03", "unassigned"): 1,
    }
    assert laptops_yz.counts == {("2026-01", "A"): 1, ("2026-01", "B"): 1, ("2026-03", "A"): 1}

    # The API's JSON and CSV.
    query = {"measure": "labels", "by": "district", **RANGE}
    answer = await client.get("/api/v1/stats", params=query, headers=bearer(orgs.admin))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["keys"] == ["yuzhong", "jiangbei", "unassigned"] and body["total"] == 5
    assert body["data"][2] == {
        "month": "2026-03",
        "counts": {"yuzhong": 1, "jiangbei": 1, "unassigned": 1},
        "total": 3,
    }
    api_csv = await client.get(
        "/api/v1/stats", params={**query, "format": "csv"}, headers=bearer(orgs.admin)
    )
    assert api_csv.headers["content-type"].startswith("text/csv")
    expected = [
        ["month", "yuzhong", "jiangbei", "unassigned", "total"],
        ["2026-01", "2", "0", "0", "2"],
        ["2026-02", "0", "0", "0", "0"],
        ["2026-03", "1", "1", "1", "3"],
        ["total", "3", "1", "1", "5"],
    ]
    assert csv_rows(api_csv.text) == expected

    # The console: the chart, its table and its CSV hold the same numbers.
    page = await client.get(
        "/console/city/stats", params={**query, "lang": "zh-Hans"}, headers=admin.headers()
    )
    assert page.status_code == 200, page.text[:1000]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="city-chart" role="img"' in page.text
    assert '<title id="chart-title">' in page.text and '<desc id="chart-desc">' in page.text
    assert "渝中区" in page.text and "江北区" in page.text and "未登记区县" in page.text
    assert '<td id="grand-total">5</td>' in page.text
    table = re.search(r'<table id="chart-table"[^>]*>.*?</table>', page.text, re.S)
    assert table is not None
    cells = [
        re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table[0], re.S)
    ]
    assert [row[1:] for row in cells[1:]] == [row[1:] for row in expected[1:]]
    link = re.search(r'id="csv-link" href="([^"]+)"', page.text)
    assert link is not None
    console_csv = await client.get(link[1].replace("&amp;", "&"), headers=admin.headers())
    assert console_csv.status_code == 200 and console_csv.text == api_csv.text
    assert "attachment" in console_csv.headers["content-disposition"]
    # Each of the presets renders.
    for measure, by in (("labels", "grade"), ("footprints", "category")):
        shown = await client.get(
            "/console/city/stats",
            params={"measure": measure, "by": by, **RANGE, "lang": "en"},
            headers=admin.headers(),
        )
        assert shown.status_code == 200 and 'id="chart-table"' in shown.text


async def test_bad_aggregate_requests_are_refused_with_code_and_field(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    admin = person(app, await org_id_of(client, orgs.admin), "city@cq.example")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"measure": "footprints", "by": "grade"}, "bad_by", "by"),
        (
            {"measure": "labels", "by": "category", "from": "2020-01", "to": "2026-01"},
            "range_too_long",
            "from",
        ),
        (
            {"measure": "labels", "by": "category", "from": "2026-05", "to": "2026-01"},
            "bad_range",
            "from",
        ),
    ]
    for params, code, field in cases:
        api = await client.get("/api/v1/stats", params=params, headers=bearer(orgs.admin))
        assert api.status_code == 422, api.text
        assert (api.json()["error"]["code"], api.json()["error"]["field"]) == (code, field)
        page = await client.get("/console/city/stats", params=params, headers=admin.headers())
        assert page.status_code == 422 and shown_error(page) == (code, field)
    bad_month = await client.get(
        "/console/city/stats", params={"from": "2026-13"}, headers=admin.headers()
    )
    assert bad_month.status_code == 422 and shown_error(bad_month) == ("bad_month", "from")


# -- confirmations ------------------------------------------------------------------------------


async def test_the_admin_confirms_and_refuses_prefixes_in_the_console(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    admin_id = await org_id_of(client, orgs.admin)
    admin = person(app, admin_id, "city@cq.example")
    for prefix in ("6901111", "6902222"):
        claimed = await client.post(
            "/api/v1/orgs/me/id-prefixes",
            json={"prefix": prefix, "evidence": "GS1 China certificate"},
            headers=bearer(orgs.enterprise),
        )
        assert claimed.status_code == 201, claimed.text
    page = await client.get("/console/city/prefixes?lang=en", headers=admin.headers())
    assert page.status_code == 200
    assert 'href="/console/city/prefixes?lang=en" aria-current="page"' in page.text
    assert f'id="confirm-{orgs.enterprise_id}-6901111"' in page.text
    assert "GS1 China certificate" in page.text

    form = {"org_id": orgs.enterprise_id, "prefix": "6901111"}
    no_csrf = await post(client, admin, "/console/city/prefixes/confirm", form, csrf=False)
    assert no_csrf.status_code == 403
    done = await post(client, admin, "/console/city/prefixes/confirm?lang=en", form)
    assert done.status_code == 303 and "done=prefix_confirmed" in done.headers["location"]

    no_reason = await post(
        client,
        admin,
        "/console/city/prefixes/refuse?lang=en",
        {"org_id": orgs.enterprise_id, "prefix": "6902222", "reason": " "},
    )
    assert no_reason.status_code == 422
    assert shown_error(no_reason) == ("reason_required", "reason")
    refused = await post(
        client,
        admin,
        "/console/city/prefixes/refuse?lang=en",
        {"org_id": orgs.enterprise_id, "prefix": "6902222", "reason": "no certificate on file"},
    )
    assert refused.status_code == 303
    confirmed_refused = await post(
        client, admin, "/console/city/prefixes/refuse", {**form, "reason": "changed my mind"}
    )
    assert confirmed_refused.status_code == 409
    assert shown_error(confirmed_refused) == ("prefix_confirmed", "prefix")

    # The API sees the same state; the audit log names the person who did it.
    mine = (await client.get("/api/v1/orgs/me/id-prefixes", headers=bearer(orgs.enterprise))).json()
    states = {row["prefix"]: row["status"] for row in mine["data"]}
    assert states["6901111"] == "confirmed" and states["6902222"] == "refused"
    (confirm,) = [e for e in audit(app, "id_prefix.confirm") if "6901111" in e.subject_id]
    (refuse,) = audit(app, "id_prefix.refuse")
    for entry in (confirm, refuse):
        assert entry.org_id == admin_id and entry.via == "console"
    waiting = await client.get("/console/city/prefixes?status=refused", headers=admin.headers())
    assert "6902222" in waiting.text and "6901111" not in waiting.text

    # The API's refusal route, and claiming again reopens a refused claim.
    again = await client.post(
        "/api/v1/orgs/me/id-prefixes", json={"prefix": "6902222"}, headers=bearer(orgs.enterprise)
    )
    assert again.status_code == 201 and again.json()["status"] == "claimed"
    by_api = await client.post(
        f"/api/v1/orgs/{orgs.enterprise_id}/id-prefixes/6902222/refuse",
        json={"reason": "still no certificate"},
        headers=bearer(orgs.certifier),
    )
    assert by_api.status_code == 200 and by_api.json()["status"] == "refused"


async def test_the_admin_confirms_and_withdraws_publishers(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    admin_id = await org_id_of(client, orgs.admin)
    admin = person(app, admin_id, "city@cq.example")
    with Session(app.state.engine, expire_on_commit=False) as session:
        publisher, _ = create_org(session, name="Chongqing Data Centre", role=OrgRole.PUBLISHER)
    listed = (await client.get("/api/v1/publishers", headers=bearer(orgs.admin))).json()
    assert [(p["org_id"], p["status"]) for p in listed["data"]] == [(publisher.id, "unconfirmed")]

    page = await client.get("/console/city/publishers?lang=zh-Hant", headers=admin.headers())
    assert page.status_code == 200 and "Chongqing Data Centre" in page.text
    done = await post(client, admin, "/console/city/publishers/confirm", {"org_id": publisher.id})
    assert done.status_code == 303
    shown = await client.get("/console/city/publishers?lang=en", headers=admin.headers())
    assert f'id="withdraw-{publisher.id}"' in shown.text

    no_reason = await client.post(
        f"/api/v1/publishers/{publisher.id}/withdraw", json={}, headers=bearer(orgs.admin)
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["code"] in {"reason_required", "missing_field"}
    withdrawn = await client.post(
        f"/api/v1/publishers/{publisher.id}/withdraw",
        json={"reason": "the data centre closed"},
        headers=bearer(orgs.admin),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    not_publisher = await client.post(
        f"/api/v1/publishers/{orgs.enterprise_id}/confirm", headers=bearer(orgs.admin)
    )
    assert not_publisher.status_code == 422
    assert not_publisher.json()["error"]["code"] == "not_a_publisher"

    (confirm,) = audit(app, "publisher.confirm")
    (withdraw,) = audit(app, "publisher.withdraw")
    assert (confirm.org_id, confirm.via) == (admin_id, "console")
    assert withdraw.org_id == admin_id and withdraw.via != "console"


async def test_only_the_city_may(client: httpx.AsyncClient, app: FastAPI, orgs: Orgs) -> None:
    enterprise_owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    certifier = person(app, orgs.certifier_id, "reviewer@cb.example", UserRole.REVIEWER)
    admin_viewer = person(
        app, await org_id_of(client, orgs.admin), "viewer@cq.example", UserRole.VIEWER
    )
    for path in (
        "/console/city/stats",
        "/console/city/stats.csv",
        "/console/city/health",
        "/console/city/publishers",
        "/console/city/prefixes",
    ):
        refused = await client.get(path, headers=enterprise_owner.headers())
        assert refused.status_code == 403, path
    # A certification body confirms prefixes (the API's rule) but reads no city statistics.
    assert (
        await client.get("/console/city/prefixes", headers=certifier.headers())
    ).status_code == 200
    assert (await client.get("/console/city/stats", headers=certifier.headers())).status_code == 403
    # An admin's viewer reads the statistics but decides nothing.
    assert (
        await client.get("/console/city/stats", headers=admin_viewer.headers())
    ).status_code == 200
    refused = await post(
        client, admin_viewer, "/console/city/publishers/confirm", {"org_id": orgs.enterprise_id}
    )
    assert refused.status_code == 403
    # The API: the same rules for keys.
    for key, path in (
        (orgs.enterprise, "/api/v1/stats?measure=labels&by=grade"),
        (orgs.certifier, "/api/v1/publishers"),
    ):
        answer = await client.get(path, headers=bearer(key))
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden_role"
    answer = await client.post(
        f"/api/v1/orgs/{orgs.enterprise_id}/id-prefixes/690123456/refuse",
        json={"reason": "x"},
        headers=bearer(orgs.other_enterprise),
    )
    assert answer.status_code == 403


async def test_the_anchoring_health_page(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    admin = person(app, await org_id_of(client, orgs.admin), "city@cq.example")
    page = await client.get("/console/city/health?lang=en", headers=admin.headers())
    assert page.status_code == 200, page.text[:1000]
    health = (await client.get("/healthz")).json()
    assert f'<dd id="pending">{health["anchoring"]["pending"]}</dd>' in page.text
    assert "Anchoring is off in this process" in page.text  # these tests anchor nothing
    assert 'id="no-batch"' in page.text


@pytest.mark.parametrize("district", ["yuzhong", None])
async def test_an_organisation_gets_a_district(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs, district: str | None
) -> None:
    made = await client.post(
        "/api/v1/orgs",
        json={"name": "Yuzhong Foods", "role": "enterprise", "district": district},
        headers=bearer(orgs.admin),
    )
    assert made.status_code == 201, made.text
    assert made.json()["district"] == district
    org_id = made.json()["id"]
    moved = await client.put(
        f"/api/v1/orgs/{org_id}/district",
        json={"district": "liangjiang"},
        headers=bearer(orgs.admin),
    )
    assert moved.status_code == 200 and moved.json()["district"] == "liangjiang"
    unknown = await client.put(
        f"/api/v1/orgs/{org_id}/district",
        json={"district": "atlantis"},
        headers=bearer(orgs.admin),
    )
    assert unknown.status_code == 422
    assert (unknown.json()["error"]["code"], unknown.json()["error"]["field"]) == (
        "unknown_district",
        "district",
    )
    districts = (await client.get("/api/v1/districts")).json()["data"]
    assert {
        "id": "liangjiang",
        "code": None,
        "kind": "new_area",
        "names": {"zh-Hans": "两江新区", "zh-Hant": "兩江新區", "en": "Liangjiang New Area"},
    } in districts


async def test_the_admin_places_an_organisation_in_a_district(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    admin_id = await org_id_of(client, orgs.admin)
    admin = person(app, admin_id, "city@cq.example")
    page = await client.get("/console/city/districts?lang=zh-Hans", headers=admin.headers())
    assert page.status_code == 200 and f'id="set-{orgs.enterprise_id}"' in page.text
    assert "两江新区" in page.text
    done = await post(
        client,
        admin,
        "/console/city/districts",
        {"org_id": orgs.enterprise_id, "district": "bishan"},
    )
    assert done.status_code == 303
    me = (await client.get("/api/v1/orgs/me", headers=bearer(orgs.enterprise))).json()
    assert me["district"] == "bishan"
    unknown = await post(
        client, admin, "/console/city/districts", {"org_id": orgs.enterprise_id, "district": "x"}
    )
    assert unknown.status_code == 422 and shown_error(unknown) == ("unknown_district", "district")
    cleared = await post(
        client, admin, "/console/city/districts", {"org_id": orgs.enterprise_id, "district": ""}
    )
    assert cleared.status_code == 303
    entries = audit(app, "org.district")
    assert [e.org_id for e in entries] == [admin_id, admin_id]
    assert all(e.via == "console" for e in entries)
    viewer = person(app, admin_id, "viewer@cq.example", UserRole.VIEWER)
    refused = await post(
        client, viewer, "/console/city/districts", {"org_id": orgs.enterprise_id, "district": ""}
    )
    assert refused.status_code == 403
    by_key = await client.put(
        f"/api/v1/orgs/{orgs.enterprise_id}/district",
        json={"district": "yubei"},
        headers=bearer(orgs.certifier),
    )
    assert by_key.status_code == 403
