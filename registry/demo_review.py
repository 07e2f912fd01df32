"""The demo's certification review: one footprint waiting in the review queue.

So that the demo's reviewer finds work at ``/console/reviews`` (and the enterprise a review at
``/console/my-reviews``): a revised footprint of one demo product, put in the queue with a
message, through the same API a client uses. A re-run finds the footprint and its review again.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from fastapi.testclient import TestClient

from registry.demo_client import auth, check, conflict_id
from registry.demo_issue import _footprint_body

__all__ = ["seed_review"]

#: How much the revised figure differs from the labelled one (kg CO2e per declared unit).
REVISION: Final = 1.5
MESSAGE: Final = (
    "Revised figures after our 2025 supplier survey (fossil emissions of assembly): please review."
)


def seed_review(
    client: TestClient, product: dict[str, Any], *, company_key: str, today: date
) -> str | None:
    """Submit a revised footprint of ``product`` and put it in the review queue; its review's id
    (``None`` on a re-run whose review moved on, e.g. a reviewer approved it)."""
    body = _footprint_body(product, today)
    body["kg_co2e_per_unit"] = round(body["kg_co2e_per_unit"] + REVISION, 6)
    if body.get("fossil_kg_co2e") is not None:
        body["fossil_kg_co2e"] = round(body["fossil_kg_co2e"] + REVISION, 6)
    headers = auth(company_key)
    reply = client.post("/api/v1/footprints", json=body, headers=headers)
    footprint_id = conflict_id(reply, "duplicate_footprint", "id") or str(
        check(reply, "submitting the footprint for review")["id"]
    )
    reply = client.post(
        "/api/v1/reviews", json={"footprint_id": footprint_id, "message": MESSAGE}, headers=headers
    )
    existing = conflict_id(reply, "footprint_in_review", "review_id")
    if existing is not None:
        return existing
    if reply.status_code == 409:
        return None
    return str(check(reply, "opening the review")["id"])
