"""``tanji demo``'s labels: submit a product's footprint, certify it; revoke and supersede labels.

Each call is what an enterprise or the certification body does over the API, and each finds what
a previous run of the demo already did on the same data dir (the 409 of a duplicate footprint or
an already labelled, revoked or superseded label) and goes on from there.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from fastapi.testclient import TestClient

from registry.demo_client import auth, check, conflict_id

__all__ = ["STANDARDS", "VALIDITY_YEARS", "issue", "label", "revoke", "supersede"]

STANDARDS: Final = ["ISO 14067:2018", "GB/T 24067-2024"]
VALIDITY_YEARS: Final = 3


def _footprint_body(product: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        "declared_amount": 1,
        "reference_period": {
            "start": date(today.year - 1, 1, 1).isoformat(),
            "end": date(today.year - 1, 12, 31).isoformat(),
        },
        "standards": STANDARDS,
        "company_name": product["company"],
        "notes": f"Demo data (fictional company). Value: {product['basis']}.",
        **product["footprint"],
    }


def _submit(
    client: TestClient, product: dict[str, Any], headers: dict[str, str], today: date
) -> str:
    """Submit ``product``'s footprint (the existing one on a re-run): its id."""
    reply = client.post("/api/v1/footprints", json=_footprint_body(product, today), headers=headers)
    return conflict_id(reply, "duplicate_footprint", "id") or str(
        check(reply, f"submitting the {product['key']} footprint")["id"]
    )


def issue(
    client: TestClient,
    product: dict[str, Any],
    *,
    company_key: str,
    certifier_key: str,
    today: date,
) -> dict[str, Any]:
    """Submit one product's footprint and label it (reusing both on a re-run); the label."""
    headers = auth(company_key)
    if product.get("gs1_prefix"):
        _hold_prefix(client, headers, auth(certifier_key), product["gs1_prefix"])
        _register_product(client, headers, product)
    footprint_id = _submit(client, product, headers, today)
    return label(client, footprint_id, key=product["key"], certifier_key=certifier_key, today=today)


def _register_product(client: TestClient, headers: dict[str, str], product: dict[str, Any]) -> None:
    """The enterprise lists the product under its confirmed prefix (the console's products page);
    a re-run finds it listed (409 ``product_exists``)."""
    footprint = product["footprint"]
    body = {
        "gtin": footprint["gtin"],
        "name": footprint["product_name"],
        "category": footprint["category"],
    }
    reply = client.post("/api/v1/products", json=body, headers=headers)
    if conflict_id(reply, "product_exists", "gtin") is None:
        check(reply, f"listing the {product['key']} product")


def _validity(today: date) -> dict[str, str]:
    valid_until = _years_later(today, VALIDITY_YEARS) - timedelta(days=1)
    return {"valid_from": today.isoformat(), "valid_until": valid_until.isoformat()}


def label(
    client: TestClient, footprint_id: str, *, key: str, certifier_key: str, today: date
) -> dict[str, Any]:
    """The certification body's label of ``footprint_id`` (the existing one on a re-run)."""
    reply = client.post(
        "/api/v1/labels",
        json={"footprint_id": footprint_id, **_validity(today)},
        headers=auth(certifier_key),
    )
    # A re-run: the footprint's label exists, or was revoked or superseded by an earlier run.
    label_id = conflict_id(reply, "already_labelled", "label_id") or conflict_id(
        reply, "footprint_label_revoked", "label_id"
    )
    if label_id is not None:
        return check(client.get(f"/api/v1/labels/{label_id}"), "reading a label")
    return check(reply, f"issuing the {key} label")


def revoke(
    client: TestClient, old: dict[str, Any], *, certifier_key: str, reason_code: int, note: str
) -> dict[str, Any]:
    """Revoke ``old`` (unless a previous run did): the label."""
    if old["status"] != "active":
        return old
    return check(
        client.post(
            f"/api/v1/labels/{old['id']}/revoke",
            json={"reason_code": reason_code, "note": note},
            headers=auth(certifier_key),
        ),
        f"revoking label {old['id']}",
    )


def supersede(
    client: TestClient,
    old: dict[str, Any],
    corrected: dict[str, Any],
    *,
    company_key: str,
    certifier_key: str,
    today: date,
) -> dict[str, Any]:
    """The enterprise submits the ``corrected`` product's footprint; the certification body
    supersedes ``old`` with its label (unless a previous run did): the new label."""
    if old.get("superseded_by"):
        return check(client.get(f"/api/v1/labels/{old['superseded_by']}"), "reading a label")
    footprint_id = _submit(client, corrected, auth(company_key), today)
    return check(
        client.post(
            f"/api/v1/labels/{old['id']}/supersede",
            json={"footprint_id": footprint_id, **_validity(today)},
            headers=auth(certifier_key),
        ),
        f"superseding label {old['id']}",
    )


def _hold_prefix(
    client: TestClient, enterprise: dict[str, str], certifier: dict[str, str], prefix: str
) -> None:
    """The enterprise claims its GS1 company prefix; the certification body confirms it."""
    claim = check(
        client.post(
            "/api/v1/orgs/me/id-prefixes",
            json={"prefix": prefix, "evidence": "demo: GS1 restricted-circulation number"},
            headers=enterprise,
        ),
        f"claiming the GS1 company prefix {prefix}",
    )
    if claim["status"] != "confirmed":
        check(
            client.post(
                f"/api/v1/orgs/{claim['org_id']}/id-prefixes/{prefix}/confirm", headers=certifier
            ),
            f"confirming the GS1 company prefix {prefix}",
        )


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
