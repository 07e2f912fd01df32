"""The OpenAPI document: bearer scheme, every error status with its body, bounded integers.

Requests here run in-process on SQLite and on PostgreSQL (``client`` fixture); the same
operations are attacked through a real ``tanji serve`` by ``test_openapi_fuzz.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from registry.api.deps import DB_INT_MAX, MAX_OFFSET, SERIAL_ID_MAX
from registry.api.errors import ErrorBody
from registry.api.openapi import ERROR_DESCRIPTIONS
from registry.app import create_app
from registry.config import load_settings
from registry.pact.errors import OAUTH_ERROR_STATUS, PACT_ERROR_STATUS
from tests.registry.factories import Orgs, bearer

#: Integers just past what SQLite and PostgreSQL ``bigint`` hold, and far past it.
HUGE = (2**63, 2**64, 10**30)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("openapi"), anchoring=False, base_url="https://t.test"
    )
    return create_app(settings).openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def integer_schemas(
    node: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()
) -> Iterator[dict[str, Any]]:
    """Every integer schema reachable from ``node`` (following ``$ref`` once per component)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                yield from integer_schemas(components[name], components, seen | {name})
            return
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            yield node
        for value in node.values():
            yield from integer_schemas(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            yield from integer_schemas(value, components, seen)


def test_the_bearer_scheme_is_declared_and_required_where_a_key_is(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    secured = {(m, p) for m, p, op in operations(document) if op.get("security")}
    assert ("GET", "/api/v1/orgs/me") in secured
    assert ("POST", "/api/v1/footprints") in secured
    assert ("GET", "/api/v1/disclosures") not in secured
    assert ("GET", "/api/v1/labels/{label_id}") not in secured
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if operation.get("security"):
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert {"401", "403"} <= responses.keys(), (method, path)
        elif not _pact_own(path):  # PACT's routes check PACT's own tokens (registry/pact/auth.py)
            assert "401" not in responses, (method, path)


def _pact_own(path: str) -> bool:
    """A route that answers with PACT's own error bodies (the PACT v3 spec's, not ours)."""
    return path == "/auth/token" or path.startswith(("/3/", "/pact/footprints/"))


def _pact_error_ref(path: str, status: int) -> dict[str, str] | None:
    """The body a PACT route documents for ``status``: PACT's or OAuth's error, else ours."""
    if not _pact_own(path):
        return None
    if path == "/auth/token":
        statuses, schema = set(OAUTH_ERROR_STATUS.values()), "OAuthErrorBody"
    else:
        statuses, schema = set(PACT_ERROR_STATUS.values()), "PactErrorBody"
    return {"$ref": f"#/components/schemas/{schema}"} if status in statuses else None


def test_every_operation_documents_its_error_statuses_with_the_error_body(
    document: dict[str, Any],
) -> None:
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["error"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert {"422", "429", "503"} <= responses.keys(), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if operation.get("requestBody"):
            assert "413" in responses, (method, path)
        if method == "POST" and path != "/rpc":
            assert "409" in responses, (method, path)
        for status, response in responses.items():
            if int(status) < 400 or path == "/healthz":
                continue
            content = response["content"]
            expected = _pact_error_ref(path, int(status)) or error_ref
            assert content["application/json"]["schema"] == expected, (method, path, status)
            assert response["description"], (method, path, status)
    assert set(ERROR_DESCRIPTIONS) == {401, 403, 404, 409, 413, 422, 429, 503}


def test_pages_document_their_404_page(document: dict[str, Any]) -> None:
    for path in ("/l/{label_id}", "/01/{gtin}", "/01/{gtin}/10/{lot}/21/{serial}"):
        content = document["paths"][path]["get"]["responses"]["404"]["content"]
        assert {"text/html", "application/json"} <= content.keys(), path
    assert "307" in document["paths"]["/01/{gtin}"]["get"]["responses"]


def test_every_integer_a_request_carries_is_bounded(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    checked = 0
    for method, path, operation in operations(document):
        inputs = [p["schema"] for p in operation.get("parameters", [])]
        inputs += [
            c["schema"] for c in operation.get("requestBody", {}).get("content", {}).values()
        ]
        for schema in inputs:
            for integer in integer_schemas(schema, components):
                checked += 1
                assert integer.get("maximum", DB_INT_MAX + 1) <= DB_INT_MAX, (method, path)
                assert "minimum" in integer, (method, path, integer)
    assert checked > 10
    lists = [
        (method, path)
        for method, path, op in operations(document)
        if any(p["name"] == "offset" for p in op.get("parameters", []))
    ]
    assert ("GET", "/api/v1/disclosures") in lists and len(lists) >= 6
    for method, path in lists:
        (offset,) = (
            p
            for p in document["paths"][path][method.lower()]["parameters"]
            if p["name"] == "offset"
        )
        assert offset["schema"]["maximum"] == MAX_OFFSET, path
        assert f"{MAX_OFFSET:,}" in offset["description"], path


def bad_field(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error = ErrorBody.model_validate(response.json()).error
    assert error.field == field, response.text
    return response.json()["error"]


LIST_ROUTES = (
    "/api/v1/disclosures",
    "/api/v1/recognitions",
    "/api/v1/footprints",
    "/api/v1/labels",
    "/api/v1/batches",
    "/api/v1/orgs",
)


@pytest.mark.parametrize("value", [*HUGE, MAX_OFFSET + 1, -1])
async def test_an_offset_past_its_bound_is_refused_on_every_list(
    client: httpx.AsyncClient, orgs: Orgs, value: int
) -> None:
    for path in LIST_ROUTES:
        response = await client.get(f"{path}?offset={value}", headers=bearer(orgs.admin))
        bad_field(response, "query.offset")
    ok = await client.get(f"/api/v1/disclosures?offset={MAX_OFFSET}")
    assert ok.status_code == 200 and ok.json()["data"] == []


async def test_a_batch_id_past_its_column_is_refused_and_one_within_is_not_found(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    for value in (*HUGE, SERIAL_ID_MAX + 1):
        response = await client.get(f"/api/v1/batches/{value}", headers=bearer(orgs.admin))
        bad_field(response, "path.batch_id")
    missing = await client.get(f"/api/v1/batches/{SERIAL_ID_MAX}", headers=bearer(orgs.admin))
    assert missing.status_code == 404, missing.text
    assert missing.json()["error"]["code"] == "not_found"


async def test_a_body_that_is_not_json_gets_invalid_json(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    headers = {**bearer(orgs.enterprise), "Content-Type": "application/json"}
    for body in (b"{bad", b"\xff\xfe\x00", b"\xc3("):
        response = await client.post("/api/v1/footprints", content=body, headers=headers)
        error = bad_field(response, "body")
        assert error["code"] == "invalid_json", response.text


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/labels/%00", "path"),
        ("/l/a%00b", "path"),
        ("/01/%00/21/1", "path"),
        ("/api/v1/footprints/%00", "path"),
        ("/api/v1/disclosures?company=a%00b", "query.company"),
        ("/api/v1/recognitions?label_id=%00", "query.label_id"),
        ("/api/v1/orgs/me?x%00=1", "query.x"),
    ],
)
async def test_a_nul_in_the_url_is_refused_before_any_lookup(
    client: httpx.AsyncClient, orgs: Orgs, url: str, field: str
) -> None:
    # PostgreSQL refuses NUL in text: each of these was a 500 there.
    response = await client.get(url, headers=bearer(orgs.enterprise))
    assert bad_field(response, field)["code"] == "nul_character"
    posted = await client.post("/api/v1/labels/%00/revoke", json={"reason_code": 3})
    assert bad_field(posted, "path")["code"] == "nul_character"


def test_a_label_documents_its_anchor_finality(document: dict[str, Any]) -> None:
    """``GET /api/v1/labels/{id}``: ``anchor_status`` names ``mined`` (in a block, not final)
    and ``finality`` has the bundle's members."""
    schemas = document["components"]["schemas"]
    label = schemas["LabelPublic"]["properties"]
    assert "mined" in label["anchor_status"]["description"]
    assert {"$ref": "#/components/schemas/AnchorFinality"} in label["finality"]["anyOf"]
    assert set(schemas["AnchorFinality"]["required"]) == {"final", "confirmations", "required"}
