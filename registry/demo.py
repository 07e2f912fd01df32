"""``tanji demo``: seed realistic Chongqing products through the real API, anchor, export.

Every step goes through the same code paths a deployment uses: the app from
:func:`registry.app.create_app` with its lifespan (migrations, chain, anchoring loop), driven over
HTTP by ``fastapi.testclient.TestClient``; enterprises submit footprints with their API keys, the
certification body issues labels, the anchoring loop anchors them. Then each label's bundle, QR
code and artwork are fetched from the API and written to the output directory with the
deployment's trust file.

The products (``registry/data/demo_products.json``) are fictional companies with illustrative
values; each company with a GTIN claims the GS1 company prefix of its GTIN (``gs1_prefix``) and
the certification body confirms it. Running the demo again on the same data directory reuses
what is already there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from registry.app import create_app
from registry.config import Settings
from registry.crud.orgs import add_api_key, create_org
from registry.demo_computed import (
    COMPUTED_COMPANY,
    DISPLAY_SUPPLIER,
    EXAMPLE_INVENTORIES,
    computed_footprint,
    load_example,
    publish_demo_factors,
    push_display_attestation,
    with_attestation,
)
from registry.errors import RegistryError
from registry.i18n import localized
from registry.models.orgs import Organisation, OrgRole

__all__ = ["DEMO_PRODUCTS_FILE", "DemoError", "DemoLabel", "DemoSummary", "run_demo"]

DEMO_PRODUCTS_FILE = Path(__file__).resolve().parent / "data" / "demo_products.json"
STANDARDS = ["ISO 14067:2018", "GB/T 24067-2024"]
VALIDITY_YEARS = 3
ANCHOR_TIMEOUT_SECONDS = 300.0


class DemoError(RegistryError):
    """The demo could not complete (the message says which step and why)."""

    code = "demo_failed"
    status_code = 500


@dataclass(frozen=True, slots=True)
class DemoLabel:
    """One seeded product's label and the files written for it."""

    label_id: str
    key: str
    category: str
    #: The product's name by language tag, as the label record holds it.
    product_name: dict[str, str]
    company: str
    kg_co2e_per_unit: float
    declared_unit: str
    grade: str
    certificate_number: str
    url: str  # what the QR code encodes
    page_url: str
    bundle_file: str  # relative to the output directory
    qr_file: str
    artwork_file: str
    block_number: int
    tx_hash: str
    #: A footprint computed from an example inventory: the inventory written beside the bundle.
    computed: bool = False
    inventory_file: str | None = None


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``run_demo`` did and wrote."""

    out_dir: Path
    base_url: str
    chain_id: int
    contract: str
    rpc_url: str
    issuer: str
    trust_file: Path
    summary_file: Path
    labels: tuple[DemoLabel, ...]


def _load_products() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_PRODUCTS_FILE.read_text(encoding="utf-8"))
    return data


def _org_key(session: Session, *, name: str, role: OrgRole, address: str | None = None) -> str:
    """An API key of the organisation ``name`` (created on the first run, reused later)."""
    existing = session.exec(
        select(Organisation)
        .where(Organisation.name == name, Organisation.role == role)
        .order_by(col(Organisation.created_at))
    ).first()
    if existing is not None:
        return add_api_key(session, org_id=existing.id)
    _, key = create_org(session, name=name, role=role, address=address)
    return key


def _check(reply: Any, step: str) -> dict[str, Any]:
    if reply.status_code >= 400:
        try:
            error = reply.json()["error"]
            detail = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            detail = reply.text[:300]
        raise DemoError(f"{step} failed with HTTP {reply.status_code} ({detail})")
    body: dict[str, Any] = reply.json()
    return body


def _conflict_id(reply: Any, code: str, member: str) -> str | None:
    """The existing record's id when ``reply`` is the 409 ``code`` of a re-run."""
    if reply.status_code != 409:
        return None
    error = reply.json().get("error", {})
    if error.get("code") != code or not error.get("details"):
        return None
    value = error["details"][0].get(member)
    return str(value) if value else None


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _org_keys(app: Any, products: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """API keys of the certification body and of each company (by name)."""
    with Session(app.state.engine) as session:
        certifier = products["certifier"]
        certifier_key = _org_key(
            session,
            name=certifier["name"],
            role=OrgRole.CERTIFICATION_BODY,
            address=certifier["address"],
        )
        company_keys = {
            p["company"]: _org_key(session, name=p["company"], role=OrgRole.ENTERPRISE)
            for p in products["products"]
        }
    return certifier_key, company_keys


def _issue(
    client: TestClient,
    product: dict[str, Any],
    *,
    company_key: str,
    certifier_key: str,
    today: date,
) -> dict[str, Any]:
    """Submit one product's footprint and label it (reusing both on a re-run); the label."""
    body = {
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
    headers = _auth(company_key)
    if product.get("gs1_prefix"):
        _hold_prefix(client, headers, _auth(certifier_key), product["gs1_prefix"])
    reply = client.post("/api/v1/footprints", json=body, headers=headers)
    footprint_id = _conflict_id(reply, "duplicate_footprint", "id") or str(
        _check(reply, f"submitting the {product['key']} footprint")["id"]
    )
    return _label(
        client, footprint_id, key=product["key"], certifier_key=certifier_key, today=today
    )


def _label(
    client: TestClient, footprint_id: str, *, key: str, certifier_key: str, today: date
) -> dict[str, Any]:
    """The certification body's label of ``footprint_id`` (the existing one on a re-run)."""
    valid_until = _years_later(today, VALIDITY_YEARS) - timedelta(days=1)
    reply = client.post(
        "/api/v1/labels",
        json={
            "footprint_id": footprint_id,
            "valid_from": today.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
        headers=_auth(certifier_key),
    )
    label_id = _conflict_id(reply, "already_labelled", "label_id")
    if label_id is not None:
        return _check(client.get(f"/api/v1/labels/{label_id}"), "reading a label")
    return _check(reply, f"issuing the {key} label")


def _wait_anchored(client: TestClient, app: Any, labels: list[dict[str, Any]]) -> None:
    """Wake the anchoring loop and wait until every label is anchored (or time runs out)."""
    deadline = time.monotonic() + ANCHOR_TIMEOUT_SECONDS
    if app.state.loop is not None:
        app.state.loop.wake()
    for label in labels:
        while label["anchor_status"] != "anchored":
            if time.monotonic() > deadline:
                raise DemoError(
                    f"label {label['id']} was not anchored within {ANCHOR_TIMEOUT_SECONDS:.0f}"
                    f" s (anchoring loop: {getattr(app.state.loop, 'last_error', None)})"
                )
            time.sleep(0.05)
            label = _check(client.get(f"/api/v1/labels/{label['id']}"), "reading a label")


def _export(
    client: TestClient,
    out_dir: Path,
    product: dict[str, Any],
    label: dict[str, Any],
    *,
    base_url: str,
) -> DemoLabel:
    """Write an anchored label's bundle, QR code and artwork under ``out_dir``."""
    label_id = label["id"]
    bundle = _check(client.get(f"/api/v1/labels/{label_id}/bundle"), "fetching a bundle")
    files = {
        "bundle": f"bundles/{label_id}.json",
        "qr": f"qr/{label_id}.png",
        "artwork": f"artwork/{label_id}.svg",
    }
    (out_dir / files["bundle"]).write_text(
        json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    for name, path in (("qr", "qr.png"), ("artwork", "artwork.svg")):
        reply = client.get(f"/api/v1/labels/{label_id}/{path}")
        _check_media(reply, f"fetching the {path} of {label_id}")
        (out_dir / files[name]).write_bytes(reply.content)
    inventory_file = None
    if "inventory" in product:
        inventory_file = f"inventories/{label_id}.json"
        (out_dir / inventory_file).write_text(
            json.dumps(product["inventory"], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    footprint = product["footprint"]
    return DemoLabel(
        label_id=label_id,
        key=product["key"],
        category=footprint["category"],
        product_name=dict(label["record"]["product"]["name"]),
        company=product["company"],
        kg_co2e_per_unit=float(footprint["kg_co2e_per_unit"]),
        declared_unit=footprint["declared_unit"],
        grade=label["grade"],
        certificate_number=label["certificate_number"],
        url=label["url"],
        page_url=f"{base_url}/l/{label_id}",
        bundle_file=files["bundle"],
        qr_file=files["qr"],
        artwork_file=files["artwork"],
        block_number=int(bundle["anchor"]["blockNumber"]),
        tx_hash=str(bundle["anchor"]["txHash"]),
        computed=inventory_file is not None,
        inventory_file=inventory_file,
    )


def run_demo(
    *,
    settings: Settings,
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Seed the demo products into the data dir, anchor their labels, export them to ``out_dir``.

    Writes ``bundles/<label-id>.json``, ``qr/<label-id>.png``, ``artwork/<label-id>.svg``,
    ``trust.json`` (``tanji-trust/1`` for this deployment) and ``summary.json``. Raises
    :class:`DemoError` when a step fails or anchoring does not finish in time.
    """
    say = progress or (lambda _message: None)
    if not settings.anchoring:
        raise DemoError("the demo anchors its labels: settings.anchoring must be true")
    # Anchor as soon as labels are queued instead of waiting for a fuller batch.
    settings = settings.model_copy(
        update={"batch_max_wait_seconds": 0.0, "poll_interval_seconds": 0.05}
    )
    products = _load_products()
    out_dir = Path(out_dir)
    for sub in ("bundles", "qr", "artwork", "inventories"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)

    app = create_app(settings)
    with TestClient(app, base_url=settings.base_url) as client:
        chain = app.state.chain
        if chain is None:  # the server would wait for the node; the demo cannot
            raise DemoError(
                "the chain node cannot be reached; start it (or drop --rpc-url) and run again",
                code="chain_unavailable",
            )
        say(f"chain {chain.chain_id}, contract {chain.address}")
        certifier_key, company_keys = _org_keys(app, products)
        today = datetime.now(UTC).date()
        issued: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for product in products["products"]:
            label = _issue(
                client,
                product,
                company_key=company_keys[product["company"]],
                certifier_key=certifier_key,
                today=today,
            )
            issued.append((product, label))
            say(f"label {label['id']}: {localized(product['footprint']['product_name'], 'en')}")
        issued += _issue_computed(client, app, settings, certifier_key=certifier_key, today=today)
        say(f"computed {sum('inventory' in product for product, _ in issued)} footprints")

        say(f"anchoring {len(issued)} labels")
        _wait_anchored(client, app, [label for _, label in issued])
        demo_labels = [
            _export(client, out_dir, product, label, base_url=settings.base_url)
            for product, label in issued
        ]

        rpc_url = settings.rpc_url or f"{settings.base_url}/rpc"
        trust = chain.trust_document(rpc_url=rpc_url, name="Tanji demo deployment")
        trust_file = out_dir / "trust.json"
        trust_file.write_text(json.dumps(trust, indent=2) + "\n", encoding="utf-8")
        summary = DemoSummary(
            out_dir=out_dir,
            base_url=settings.base_url,
            chain_id=int(chain.chain_id),
            contract=str(chain.address),
            rpc_url=rpc_url,
            issuer=str(chain.account.address),
            trust_file=trust_file,
            summary_file=out_dir / "summary.json",
            labels=tuple(demo_labels),
        )
    _write_summary(summary, products["note"])
    say(f"wrote {len(demo_labels)} bundles, QR codes and artworks to {out_dir}")
    return summary


def _issue_computed(
    client: TestClient, app: Any, settings: Settings, *, certifier_key: str, today: date
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Publish the starter datasets, compute each example inventory and label it."""
    publish_demo_factors(app, base_url=settings.base_url)
    with Session(app.state.engine) as session:
        headers = _auth(_org_key(session, name=COMPUTED_COMPANY, role=OrgRole.ENTERPRISE))
        supplier = _auth(_org_key(session, name=DISPLAY_SUPPLIER, role=OrgRole.ENTERPRISE))
    display = push_display_attestation(client, supplier, _check)
    issued = []
    for name in EXAMPLE_INVENTORIES:
        inventory = with_attestation(load_example(name), display)
        footprint = computed_footprint(
            client, inventory, headers=headers, today=today, check=_check
        )
        data = footprint["data"]
        product = {
            "key": inventory["id"],
            "company": COMPUTED_COMPANY,
            "inventory": inventory,
            "footprint": {k: data[k] for k in ("category", "kg_co2e_per_unit", "declared_unit")},
        }
        label = _label(
            client, footprint["id"], key=product["key"], certifier_key=certifier_key, today=today
        )
        issued.append((product, label))
    return issued


def _hold_prefix(
    client: TestClient, enterprise: dict[str, str], certifier: dict[str, str], prefix: str
) -> None:
    """The enterprise claims its GS1 company prefix; the certification body confirms it."""
    claim = _check(
        client.post(
            "/api/v1/orgs/me/id-prefixes",
            json={"prefix": prefix, "evidence": "demo: GS1 restricted-circulation number"},
            headers=enterprise,
        ),
        f"claiming the GS1 company prefix {prefix}",
    )
    if claim["status"] != "confirmed":
        _check(
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


def _check_media(reply: Any, step: str) -> None:
    if reply.status_code != 200:
        raise DemoError(f"{step} failed with HTTP {reply.status_code}")


def _write_summary(summary: DemoSummary, note: str) -> None:
    document = {
        "format": "tanji-demo-summary/1",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "base_url": summary.base_url,
        "chain_id": summary.chain_id,
        "contract": summary.contract,
        "rpc_url": summary.rpc_url,
        "issuer": summary.issuer,
        "trust_file": summary.trust_file.name,
        "verify": "tanji verify bundles/<label-id>.json --trust trust.json",
        "verify_inventory": (
            "tanji verify bundles/<label-id>.json --trust trust.json"
            " --inventory inventories/<label-id>.json"
        ),
        "labels": [asdict(label) for label in summary.labels],
    }
    summary.summary_file.write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
