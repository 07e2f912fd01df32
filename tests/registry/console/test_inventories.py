"""The console's inventories through the real app and database: upload, edit line by line,
calculate, submit; bad uploads and edits; who may do what; the drafts API the pages mirror."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from registry.accounting.drafts import MAX_UPLOAD_BYTES
from registry.api.routes.console import CSRF_FIELD, SESSION_COOKIE
from registry.crud.orgs import create_org
from registry.crud.users import create_user, set_password, sign_in
from registry.models.inventory_drafts import InventoryDraft
from registry.models.orgs import Organisation, OrgRole
from registry.models.users import UserRole
from tests.registry.calculations_data import DETAILS, example, publish_starter_datasets
from tests.registry.factories import Orgs, bearer

pytestmark = pytest.mark.slow  # every test signs people in (Argon2) and calculates

PASSWORD = "correct horse battery"
CEMENT = "cement.json"
#: The cement's line 4 (metered grinding electricity, kWh of the south-west grid).
GRINDING = "grinding-electricity"
GRID = "cn-grid@1:cn-grid-southwest-2023"
DRAFTS_API = "/api/v1/inventories/drafts"


@dataclass
class Person:
    """A signed-in console user: the cookie header and the session's CSRF token."""

    headers: dict[str, str]
    csrf: str


def person(app: FastAPI, org_id: str, email: str, role: UserRole) -> Person:
    """A user of ``org_id`` with ``role``, signed in (crud, as the sign-in form does)."""
    with Session(app.state.engine) as session:
        _, token = create_user(session, org_id=org_id, email=email, role=role)
        set_password(session, token=token, password=PASSWORD)
        session.commit()
        signed, cookie = sign_in(session, email=email, password=PASSWORD)
        session.commit()
        return Person({"Cookie": f"{SESSION_COOKIE}={cookie}"}, signed.session.csrf_token)


class People(dict[str, Person]):
    """People of the enterprise (owner, editor, viewer), of the other enterprise (other) and
    of a certification body (certifier), each made and signed in when first asked for."""

    def __init__(self, app: FastAPI, orgs: Orgs) -> None:
        super().__init__()
        self.who = {
            "owner": (orgs.enterprise_id, UserRole.OWNER),
            "editor": (orgs.enterprise_id, UserRole.EDITOR),
            "viewer": (orgs.enterprise_id, UserRole.VIEWER),
            "other": (orgs.other_enterprise_id, UserRole.OWNER),
            "certifier": (orgs.certifier_id, UserRole.REVIEWER),
        }
        self.app = app

    def __missing__(self, key: str) -> Person:
        org_id, role = self.who[key]
        made = self[key] = person(self.app, org_id, f"{key}@console.test", role)
        return made


@pytest.fixture
def people(app: FastAPI, orgs: Orgs) -> dict[str, Person]:
    """The starter factor datasets published, and :class:`People`."""
    publish_starter_datasets(app.state.engine)
    return People(app, orgs)


def cement_bytes(**changes: Any) -> bytes:
    document = example(CEMENT)
    document.update(changes)
    return json.dumps(document).encode()


async def upload(
    client: httpx.AsyncClient, who: Person, data: bytes, *, csrf: str | None = None
) -> httpx.Response:
    return await client.post(
        "/console/inventories?lang=en",
        data={CSRF_FIELD: who.csrf if csrf is None else csrf},
        files={"inventory": ("inventory.json", data, "application/json")},
        headers=who.headers,
    )


async def new_draft(client: httpx.AsyncClient, who: Person, data: bytes | None = None) -> str:
    r = await upload(client, who, data or cement_bytes())
    assert r.status_code == 303, r.text
    match = re.match(r"/console/inventories/(draft-[0-9a-z]+)\?lang=en$", r.headers["location"])
    assert match, r.headers["location"]
    return match.group(1)


def revision(page: httpx.Response) -> str:
    return page.text.split('name="revision" value="', 1)[1].split('"', 1)[0]


def line_form(line: dict[str, Any], **changes: str) -> dict[str, str]:
    """The line editor's fields for ``line`` (a document line), with ``changes``."""
    factor = line.get("factor")
    fields = {
        "line_id": line["id"],
        "id": line["id"],
        "name": line.get("name", ""),
        "kind": line["kind"],
        "stage": line["stage"],
        "amount": line["amount"],
        "unit": line["unit"],
        "factor": f"{factor['dataset']}@{factor['version']}:{factor['id']}" if factor else "",
        "gas": line.get("gas", ""),
    }
    fields.update(changes)
    return fields


async def post_line(
    client: httpx.AsyncClient, who: Person, draft: str, fields: dict[str, str]
) -> httpx.Response:
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=who.headers)
    data = {CSRF_FIELD: who.csrf, "revision": revision(page), **fields}
    return await client.post(
        f"/console/inventories/{draft}/lines?lang=en", data=data, headers=who.headers
    )


def stored(app: FastAPI, draft: str) -> InventoryDraft:
    with Session(app.state.engine) as session:
        row = session.get(InventoryDraft, draft)
        assert row is not None
        return row


def grinding(document: dict[str, Any]) -> dict[str, Any]:
    return next(line for line in document["lines"] if line["id"] == GRINDING)


# -- the enterprise's main path ------------------------------------------------------------------


async def test_upload_edit_calculate_and_submit(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs, people: dict[str, Person]
) -> None:
    editor = people["editor"]
    draft = await new_draft(client, editor)
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=editor.headers)
    assert page.status_code == 200
    assert f'id="line-{GRINDING}"' in page.text and GRID in page.text
    assert "cn-grid@1" in page.text  # dataset@version offered in the factor list

    # Edit one line (38 → 40 kWh): the draft is stored with the change, a new revision.
    line = grinding(example(CEMENT))
    r = await post_line(client, editor, draft, line_form(line, amount="40"))
    assert r.status_code == 303, r.text
    row = stored(app, draft)
    assert grinding(row.document)["amount"] == "40" and row.revision == 2
    assert grinding(row.document)["uncertainty"] == line["uncertainty"]  # kept

    # Calculate: the same engine and answer as POST /api/v1/calculations on that document.
    page = await client.post(
        f"/console/inventories/{draft}/calculate?lang=en",
        data={CSRF_FIELD: editor.csrf},
        headers=editor.headers,
    )
    assert page.status_code == 200, page.text
    api = await client.post(
        "/api/v1/calculations", json={"inventory": row.document}, headers=bearer(orgs.enterprise)
    )
    result = api.json()
    assert f'<strong id="per-unit">{result["kg_co2e_per_unit"]}</strong>' in page.text
    interval = result["interval"]
    assert f"{interval['low']} – {interval['high']} kg CO2e" in page.text
    assert 'id="stage-chart"' in page.text and "<rect" in page.text
    for ref in result["factor_datasets"]:
        assert f"<code>{ref['dataset']}@{ref['version']}</code>" in page.text
    for line_result in result["lines"]:
        assert line_result["kg_co2e"] in page.text

    # Submit: a footprint with its calculation attached, through the calculation's crud.
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=editor.headers)
    form = {
        CSRF_FIELD: editor.csrf,
        "revision": revision(page),
        "period_start": DETAILS["reference_period"]["start"],
        "period_end": DETAILS["reference_period"]["end"],
        "country": "CN",
        "subdivision": "CN-CQ",
    }
    r = await client.post(
        f"/console/inventories/{draft}/submit?lang=en", data=form, headers=editor.headers
    )
    assert r.status_code == 303, r.text
    footprint_id = r.headers["location"].split("submitted=", 1)[1]
    assert stored(app, draft).footprint_id == footprint_id
    fp = (
        await client.get(f"/api/v1/footprints/{footprint_id}", headers=bearer(orgs.enterprise))
    ).json()
    calculation = fp["data"]["calculation"]
    assert calculation["kg_co2e_per_unit"] == result["kg_co2e_per_unit"]
    assert calculation["inventory_record"].startswith("inv-")
    assert Decimal(calculation["line_values"][GRINDING]) == Decimal(
        next(x["kg_co2e"] for x in result["lines"] if x["id"] == GRINDING)
    )
    page = await client.get(r.headers["location"], headers=editor.headers)
    assert f"Submitted as footprint {footprint_id}" in page.text

    # Submitting the same result again is the footprint crud's duplicate.
    form["revision"] = revision(page)
    again = await client.post(
        f"/console/inventories/{draft}/submit?lang=en", data=form, headers=editor.headers
    )
    assert again.status_code == 409 and "duplicate_footprint" in again.text


async def test_add_and_delete_a_line(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    owner = people["owner"]
    draft = await new_draft(client, owner)
    fields = {
        "line_id": "",
        "id": "office-power",
        "kind": "energy",
        "stage": "production",
        "amount": "2.5",
        "unit": "kWh",
        "factor": GRID,
    }
    r = await post_line(client, owner, draft, fields)
    assert r.status_code == 303, r.text
    lines = stored(app, draft).document["lines"]
    assert lines[-1]["id"] == "office-power" and lines[-1]["factor"]["id"] == GRID.split(":")[1]
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=owner.headers)
    r = await client.post(
        f"/console/inventories/{draft}/lines/office-power/delete?lang=en",
        data={CSRF_FIELD: owner.csrf, "revision": revision(page)},
        headers=owner.headers,
    )
    assert r.status_code == 303
    assert [line["id"] for line in stored(app, draft).document["lines"]] == [
        line["id"] for line in example(CEMENT)["lines"]
    ]
    # A process line: the gas it emits, no factor.
    gas = {**fields, "id": "leak", "kind": "process", "unit": "kg", "factor": "", "gas": "CO2"}
    assert (await post_line(client, owner, draft, gas)).status_code == 303
    assert stored(app, draft).document["lines"][-1]["gas"] == "CO2"


async def test_the_line_editor_opens_on_the_line(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    owner = people["owner"]
    draft = await new_draft(client, owner)
    page = await client.get(
        f"/console/inventories/{draft}?lang=en&edit={GRINDING}", headers=owner.headers
    )
    assert page.status_code == 200
    assert f"Change line {GRINDING}" in page.text
    assert f'<option value="{GRID}" selected>' in page.text
    assert 'name="amount" type="text" inputmode="decimal" required maxlength="64" value="38"' in (
        page.text
    )
    narrowed = await client.get(
        f"/console/inventories/{draft}?lang=en&q=southwest", headers=owner.headers
    )
    assert GRID in narrowed.text and "cn-grid@1:cn-grid-national" not in narrowed.text


# -- refusals shown where they are ---------------------------------------------------------------


async def test_bad_uploads_are_refused_with_each_fault_beside_its_line(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    owner = people["owner"]
    r = await upload(client, owner, b"{not json")
    assert r.status_code == 422 and 'id="upload-error"' in r.text and "not_json" in r.text

    document = example(CEMENT)
    document["lines"][1]["unit"] = "furlong"
    document["lines"][3]["amount"] = "-2"
    r = await upload(client, owner, json.dumps(document).encode())
    assert r.status_code == 422
    row1 = r.text.split('id="upload-line-1"', 1)[1].split("</tr>", 1)[0]
    assert "bad_unit" in row1 and "inventory.lines[1].unit" in row1
    row3 = r.text.split('id="upload-line-3"', 1)[1].split("</tr>", 1)[0]
    assert "bad_number" in row3 and "inventory.lines[3].amount" in row3
    assert "bad_unit" not in r.text.split('id="upload-line-2"', 1)[1].split("</tr>", 1)[0]

    r = await upload(client, owner, cement_bytes(format="tanji-factors/1"))
    assert r.status_code == 422 and "wrong_format" in r.text

    r = await upload(client, owner, b" " * (MAX_UPLOAD_BYTES + 1))
    assert r.status_code == 422 and "too_large" in r.text

    r = await upload(client, owner, b" " * (MAX_UPLOAD_BYTES + 128 * 1024))
    assert r.status_code == 413 and "too_large" in r.text

    r = await upload(client, owner, cement_bytes(), csrf="wrong")
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"

    r = await client.post(
        "/console/inventories?lang=en", data={CSRF_FIELD: owner.csrf}, headers=owner.headers
    )
    assert r.status_code in (400, 422)
    with Session(app.state.engine) as session:
        assert session.exec(select(InventoryDraft)).all() == []  # nothing stored


async def test_bad_edits_are_refused_beside_the_field(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    owner = people["owner"]
    draft = await new_draft(client, owner)
    line = grinding(example(CEMENT))

    r = await post_line(client, owner, draft, line_form(line, amount="forty"))
    assert r.status_code == 422
    assert 'id="error-amount"' in r.text and "bad_number" in r.text
    assert 'aria-invalid="true" aria-describedby="error-amount"' in r.text
    assert 'value="forty"' in r.text  # what was typed is shown again

    r = await post_line(client, owner, draft, line_form(line, factor="cn-grid@1:no-such-factor"))
    assert r.status_code == 404 and 'id="error-factor"' in r.text and "unknown_factor" in r.text

    r = await post_line(client, owner, draft, line_form(line, factor="nope@9:x"))
    assert r.status_code == 404 and "unknown_factor_dataset" in r.text

    r = await post_line(client, owner, draft, line_form(line, id="gypsum"))  # taken
    assert r.status_code == 422 and "duplicate_id" in r.text

    r = await post_line(client, owner, draft, line_form(line, line_id="nope"))
    assert r.status_code == 404 and "unknown_line" in r.text
    assert stored(app, draft).revision == 1  # nothing changed

    # An edit made from an older revision of the page is refused.
    data = {CSRF_FIELD: owner.csrf, "revision": "7", **line_form(line, amount="41")}
    r = await client.post(
        f"/console/inventories/{draft}/lines?lang=en", data=data, headers=owner.headers
    )
    assert r.status_code == 409 and "draft_changed" in r.text


async def test_a_refused_calculation_names_the_line(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    owner = people["owner"]
    draft = await new_draft(client, owner)
    line = grinding(example(CEMENT))
    assert (await post_line(client, owner, draft, line_form(line, unit="kg"))).status_code == 303
    page = await client.post(
        f"/console/inventories/{draft}/calculate?lang=en",
        data={CSRF_FIELD: owner.csrf},
        headers=owner.headers,
    )
    assert page.status_code == 422
    row = page.text.split(f'id="line-{GRINDING}"', 1)[1].split("</tr>", 1)[0]
    assert "unit_mismatch" in row and "inventory.lines[4].unit" in row


# -- who may do what -----------------------------------------------------------------------------


async def test_viewers_see_but_cannot_change(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    draft = await new_draft(client, people["owner"])
    viewer = people["viewer"]
    listed = await client.get("/console/inventories?lang=en", headers=viewer.headers)
    assert listed.status_code == 200 and draft in listed.text
    assert 'id="upload-form"' not in listed.text and 'id="read-only"' in listed.text
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=viewer.headers)
    assert page.status_code == 200
    assert 'id="line-form"' not in page.text and 'id="submit-form"' not in page.text
    calculated = await client.post(
        f"/console/inventories/{draft}/calculate?lang=en",
        data={CSRF_FIELD: viewer.csrf},
        headers=viewer.headers,
    )
    assert calculated.status_code == 200 and 'id="per-unit"' in calculated.text

    line = line_form(grinding(example(CEMENT)), amount="1")
    refused = [
        await upload(client, viewer, cement_bytes()),
        await client.post(
            f"/console/inventories/{draft}/lines?lang=en",
            data={CSRF_FIELD: viewer.csrf, **line},
            headers=viewer.headers,
        ),
        await client.post(
            f"/console/inventories/{draft}/lines/{GRINDING}/delete?lang=en",
            data={CSRF_FIELD: viewer.csrf},
            headers=viewer.headers,
        ),
        await client.post(
            f"/console/inventories/{draft}/submit?lang=en",
            data={CSRF_FIELD: viewer.csrf},
            headers=viewer.headers,
        ),
        await client.post(
            f"/console/inventories/{draft}/delete?lang=en",
            data={CSRF_FIELD: viewer.csrf},
            headers=viewer.headers,
        ),
    ]
    for r in refused:
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden_user_role"


async def test_other_organisations_cannot_reach_a_draft(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    draft = await new_draft(client, people["owner"])
    other = people["other"]
    r = await client.get(f"/console/inventories/{draft}?lang=en", headers=other.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_draft"
    listed = await client.get("/console/inventories?lang=en", headers=other.headers)
    assert draft not in listed.text
    certifier = people["certifier"]
    r = await client.get("/console/inventories?lang=en", headers=certifier.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    home = await client.get("/console?lang=en", headers=certifier.headers)
    assert "/console/inventories" not in home.text  # no link to a page it may not see
    r = await client.get("/console/inventories", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("zh-Hans", "碳足迹清单"), ("zh-Hant", "碳足跡清單"), ("en", "Inventories")],
)
async def test_pages_speak_the_three_languages(
    client: httpx.AsyncClient, people: dict[str, Person], lang: str, heading: str
) -> None:
    owner = people["owner"]
    draft = await new_draft(client, owner)
    listed = await client.get(f"/console/inventories?lang={lang}", headers=owner.headers)
    assert f"<h1>{heading}</h1>" in listed.text and f'<html lang="{lang}">' in listed.text
    page = await client.get(f"/console/inventories/{draft}?lang={lang}", headers=owner.headers)
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text


# -- the API the pages mirror --------------------------------------------------------------------


async def test_the_drafts_api_does_what_the_pages_do(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs, people: dict[str, Person]
) -> None:
    key = bearer(orgs.enterprise)
    r = await client.post(DRAFTS_API, json={"inventory": example(CEMENT)}, headers=key)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["revision"] == 1 and draft["line_count"] == len(example(CEMENT)["lines"])
    url = f"{DRAFTS_API}/{draft['id']}"

    line = {k: v for k, v in grinding(example(CEMENT)).items() if k != "uncertainty"}
    line["amount"] = "40"
    r = await client.put(f"{url}/lines/{GRINDING}", json=line, headers=key, params={"revision": 1})
    assert r.status_code == 200 and r.json()["revision"] == 2
    r = await client.put(f"{url}/lines/{GRINDING}", json=line, headers=key, params={"revision": 1})
    assert r.status_code == 409 and r.json()["error"]["code"] == "draft_changed"
    bad = {**line, "unit": "furlong"}
    r = await client.put(f"{url}/lines/{GRINDING}", json=bad, headers=key)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "inventory.lines[4].unit"

    r = await client.post(f"{url}/calculation", json={}, headers=key)
    assert r.status_code == 200, r.text
    doc = (await client.get(url, headers=key)).json()["inventory"]
    direct = await client.post("/api/v1/calculations", json={"inventory": doc}, headers=key)
    assert r.json() == direct.json()

    r = await client.post(
        f"{url}/calculation", json={"footprint": DETAILS}, params={"submit": "true"}, headers=key
    )
    assert r.status_code == 201, r.text
    assert (
        r.json()["footprint"]["data"]["calculation"]["kg_co2e_per_unit"]
        == (direct.json()["kg_co2e_per_unit"])
    )
    listed = (await client.get(DRAFTS_API, headers=key)).json()
    assert listed["count"] == 1 and listed["data"][0]["footprint_id"] == r.json()["footprint"]["id"]

    # Another enterprise's key finds nothing; a certification body may not read drafts.
    r = await client.get(url, headers=bearer(orgs.other_enterprise))
    assert r.status_code == 404
    r = await client.get(DRAFTS_API, headers=bearer(orgs.certifier))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    assert (await client.delete(url, headers=key)).status_code == 204
    assert (await client.get(url, headers=key)).status_code == 404


async def test_the_drafts_api_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"post", "get"} <= set(paths[DRAFTS_API])
    assert {"put", "delete"} <= set(paths[DRAFTS_API + "/{draft_id}/lines/{line_id}"])
    assert "post" in paths[DRAFTS_API + "/{draft_id}/calculation"]
    assert not any(path.startswith("/console") for path in paths)


def test_an_organisation_keeps_a_bounded_number_of_drafts(app: FastAPI) -> None:
    from registry.accounting import drafts

    with Session(app.state.engine) as session:
        org, _ = create_org(session, name="Small Co", role=OrgRole.ENTERPRISE)
        for _ in range(drafts.MAX_DRAFTS):
            session.add(
                InventoryDraft(id=drafts.new_record_id("draft"), org_id=org.id, document={})
            )
        session.commit()
        with pytest.raises(drafts.ConflictError):
            drafts.create_draft(session, org=org, document=example(CEMENT))


def test_two_edits_of_one_revision_do_not_both_win(app: FastAPI, orgs: Orgs) -> None:
    """Two people change the draft from the same revision: the second change is refused, so
    neither silently undoes the other."""
    from registry.accounting import drafts

    publish_starter_datasets(app.state.engine)
    with Session(app.state.engine) as session:
        org = session.get(Organisation, orgs.enterprise_id)
        assert org is not None
        draft_id = drafts.create_draft(session, org=org, document=example(CEMENT)).id
        session.commit()
    line = {k: v for k, v in grinding(example(CEMENT)).items() if k != "uncertainty"}
    with Session(app.state.engine) as first, Session(app.state.engine) as second:
        org = first.get(Organisation, orgs.enterprise_id)
        assert org is not None
        a = drafts.get_draft(first, org=org, draft_id=draft_id)
        b = drafts.get_draft(second, org=org, draft_id=draft_id)
        drafts.put_line(first, a, drafts.LineInput(**{**line, "amount": "40"}), line_id=GRINDING)
        first.commit()
        with pytest.raises(drafts.ConflictError) as refused:
            drafts.put_line(
                second, b, drafts.LineInput(**{**line, "amount": "50"}), line_id=GRINDING
            )
        assert refused.value.code == "draft_changed"
    assert grinding(stored(app, draft_id).document)["amount"] == "40"


async def test_the_factor_list_is_the_api_search_by_version(
    client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """The editor lists a version's factors as ``GET /api/v1/factors?dataset=&version=`` does."""
    one = (await client.get("/api/v1/factors?dataset=cn-grid&version=1&limit=100")).json()
    none = (await client.get("/api/v1/factors?dataset=cn-grid&version=2")).json()
    assert one["count"] > 0 and none["count"] == 0
    owner = people["owner"]
    draft = await new_draft(client, owner)
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=owner.headers)
    group = page.text.split('<optgroup label="cn-grid@1">', 1)[1].split("</optgroup>", 1)[0]
    assert group.count("<option ") == one["count"]


async def test_the_drafts_api_reads_the_inventory_as_the_verifier_does(
    client: httpx.AsyncClient, orgs: Orgs, people: dict[str, Person]
) -> None:
    body = json.dumps({"inventory": example(CEMENT)})
    twice = body.replace('"gwp": "AR6-100"', '"gwp": "AR6-100", "gwp": "AR5-100"', 1)
    headers = {**bearer(orgs.enterprise), "Content-Type": "application/json"}
    r = await client.post(DRAFTS_API, content=twice, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "duplicate_key"
    number = json.loads(body)
    number["inventory"]["lines"][1]["amount"] = 50.5
    r = await client.post(DRAFTS_API, json=number, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "inventory.lines[1].amount"


async def test_a_refused_submission_says_which_field(
    app: FastAPI, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    owner = people["owner"]
    draft = await new_draft(client, owner)
    page = await client.get(f"/console/inventories/{draft}?lang=en", headers=owner.headers)
    form = {
        CSRF_FIELD: owner.csrf,
        "revision": revision(page),
        "period_start": "2025-12-31",
        "period_end": "2025-01-01",
        "country": "CN",
    }
    r = await client.post(
        f"/console/inventories/{draft}/submit?lang=en", data=form, headers=owner.headers
    )
    assert r.status_code == 422
    faults = r.text.split('id="submit-faults"', 1)[1].split("</ul>", 1)[0]
    assert "invalid_period" in faults and "footprint.reference_period" in faults
    assert stored(app, draft).footprint_id is None
