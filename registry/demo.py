"""``tanji demo``: seed realistic Chongqing products through the real API, anchor, export.

Every step goes through the same code paths a deployment uses: the app from
:func:`registry.app.create_app` with its lifespan (migrations, chain, anchoring loop), driven over
HTTP by ``fastapi.testclient.TestClient``; enterprises submit footprints with their API keys, the
certification body issues labels, the anchoring loop anchors them. Then each label's bundle, QR
code and artwork are fetched from the API and written to the output directory with the
deployment's trust file.

The products (``registry/data/demo_products.json``) are fictional companies with illustrative
values; each company with a GTIN claims the GS1 company prefix of its GTIN (``gs1_prefix``) and
the certification body confirms it. The rest of the mission (``registry/data/demo_mission.json``)
is seeded the same way: a supply chain two hops deep (:mod:`registry.demo_supply_chain`), partner
bodies in Singapore and Hong Kong with their recognitions and proof files
(:mod:`registry.demo_partners`), and a revoked, a superseded and a pending label
(:mod:`registry.demo_issue`); suppliers and partners sign with generated keys
(:mod:`registry.demo_keys`). :mod:`registry.demo_index` writes the index page and prints the
summary table. Running the demo again on the same data directory reuses what is already there.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.app import create_app
from registry.city.demo import register_demo_districts
from registry.config import Settings
from registry.demo_client import DemoError, auth, check, org_key, wait_until
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
from registry.demo_index import INDEX_FILE, write_index
from registry.demo_invitations import seed_invitation
from registry.demo_issue import issue, label, revoke, supersede
from registry.demo_partners import Recognised, certification_body, recognise, write_proof
from registry.demo_review import seed_review
from registry.demo_supply_chain import seed_supply_chain
from registry.demo_users import USERS_FILE, DemoUser, seed_users, write_users_file
from registry.i18n import localized
from registry.models.orgs import OrgRole

__all__ = [
    "DEMO_MISSION_FILE",
    "DEMO_PRODUCTS_FILE",
    "DemoError",
    "DemoLabel",
    "DemoProof",
    "DemoSummary",
    "run_demo",
]

DEMO_PRODUCTS_FILE = Path(__file__).resolve().parent / "data" / "demo_products.json"
#: The rest of the mission: supply chain, partner bodies, revoked, superseded and pending labels.
DEMO_MISSION_FILE = Path(__file__).resolve().parent / "data" / "demo_mission.json"
#: A label's ``state`` in the summary: what ``tanji verify`` and the label page say of it.
VALID, REVOKED, SUPERSEDED, PENDING = "valid", "revoked", "superseded", "pending"


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
    #: The QR code and artwork (``None`` if the registry refuses them for a label no longer valid).
    qr_file: str | None
    artwork_file: str | None
    #: The anchoring transaction's block and hash (``None`` while the label is pending).
    block_number: int | None
    tx_hash: str | None
    #: A footprint computed from an example inventory: the inventory written beside the bundle.
    computed: bool = False
    inventory_file: str | None = None
    #: ``valid``, ``revoked``, ``superseded`` or ``pending``, when the demo wrote the bundle.
    state: str = VALID
    #: The label that replaced this one, and the one this one replaced.
    superseded_by: str | None = None
    supersedes: str | None = None
    revocation_reason: int | None = None
    #: Hops of signed supplier attestations below the label in its bundle (0: none).
    supply_chain_depth: int = 0
    #: Partner bodies' recognitions nested in its bundle.
    recognitions: int = 0
    #: The bundle with the suppliers' confidential fields hidden, when the demo writes one.
    redacted_file: str | None = None


@dataclass(frozen=True, slots=True)
class DemoProof:
    """A partner body's recognition and the proof file written for it."""

    partner: str
    region: str
    body: str
    body_address: str
    scheme: str
    subject_type: str
    recognition_id: str
    label_id: str
    proof_file: str  # the label's bundle nesting the recognition, relative to the output dir
    trust_file: str  # the partner's trust profile


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
    proofs: tuple[DemoProof, ...] = ()
    index_file: Path | None = None
    #: The console's people (one per role) with their passwords, and the list written for them.
    users: tuple[DemoUser, ...] = ()
    users_file: Path | None = None
    console_url: str = ""


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _load_products() -> dict[str, Any]:
    return _load(DEMO_PRODUCTS_FILE)


def _org_keys(app: Any, products: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """API keys of the certification body and of each company (by name)."""
    with Session(app.state.engine) as session:
        certifier = products["certifier"]
        certifier_key = org_key(
            session,
            name=certifier["name"],
            role=OrgRole.CERTIFICATION_BODY,
            address=certifier["address"],
        )
        company_keys = {
            p["company"]: org_key(session, name=p["company"], role=OrgRole.ENTERPRISE)
            for p in products["products"]
        }
    return certifier_key, company_keys


def _anchored(body: dict[str, Any]) -> bool:
    """Anchored, and so is its revocation if it has one."""
    return body["anchor_status"] == "anchored" and body.get("revocation_status") in (
        None,
        "anchored",
    )


def _wait_anchored(
    client: TestClient, app: Any, labels: list[dict[str, Any]], recognitions: Sequence[str] = ()
) -> None:
    """Wake the anchoring loop and wait until every label and recognition is anchored (and
    every revocation among them), or time runs out."""
    paths = [f"/api/v1/labels/{label['id']}" for label in labels]
    paths += [f"/api/v1/recognitions/{rid}" for rid in recognitions]
    wait_until(client, app, paths, _anchored, what="anchored")


def _state(label: dict[str, Any]) -> str:
    if label["status"] == "superseded" or label.get("superseded_by"):
        return SUPERSEDED
    if label["status"] != "active":
        return REVOKED
    return VALID if label["anchor_status"] == "anchored" else PENDING


def _depth(bundle: dict[str, Any]) -> int:
    """How many hops of attestations the bundle nests below its record."""
    return max((1 + _depth(hop) for hop in bundle.get("attestations") or ()), default=0)


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _export(
    client: TestClient,
    out_dir: Path,
    product: dict[str, Any],
    label: dict[str, Any],
    *,
    base_url: str,
) -> DemoLabel:
    """Write a label's bundle, QR code and artwork under ``out_dir`` (a redacted bundle too
    when the product names fields to hide)."""
    label_id = label["id"]
    label = check(client.get(f"/api/v1/labels/{label_id}"), "reading a label")
    bundle = check(client.get(f"/api/v1/labels/{label_id}/bundle"), "fetching a bundle")
    state = _state(label)
    files: dict[str, str | None] = {
        "bundle": f"bundles/{label_id}.json",
        "qr": f"qr/{label_id}.png",
        "artwork": f"artwork/{label_id}.svg",
    }
    _write_json(out_dir / f"bundles/{label_id}.json", bundle)
    for name, path in (("qr", "qr.png"), ("artwork", "artwork.svg")):
        reply = client.get(f"/api/v1/labels/{label_id}/{path}")
        if state != VALID and 400 <= reply.status_code < 500:
            files[name] = None  # refused for a label no longer valid (or not yet anchored)
            continue
        _check_media(reply, f"fetching the {path} of {label_id}")
        (out_dir / str(files[name])).write_bytes(reply.content)
    redacted_file = None
    if product.get("redact"):
        redacted_file = f"redacted/{label_id}.json"
        hidden = check(
            client.get(
                f"/api/v1/labels/{label_id}/bundle", params={"hide": ",".join(product["redact"])}
            ),
            "fetching a redacted bundle",
        )
        _write_json(out_dir / redacted_file, hidden)
    inventory_file = None
    if "inventory" in product:
        inventory_file = f"inventories/{label_id}.json"
        path, headers = product["inventory_bundle"]
        inventory = check(client.get(path, headers=headers), "fetching an inventory bundle")
        (out_dir / inventory_file).write_text(
            json.dumps(inventory, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    footprint = product["footprint"]
    anchor = bundle.get("anchor")
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
        bundle_file=f"bundles/{label_id}.json",
        qr_file=files["qr"],
        artwork_file=files["artwork"],
        block_number=int(anchor["blockNumber"]) if anchor else None,
        tx_hash=str(anchor["txHash"]) if anchor else None,
        computed=inventory_file is not None,
        inventory_file=inventory_file,
        state=state,
        superseded_by=label.get("superseded_by"),
        supersedes=label.get("supersedes"),
        revocation_reason=label.get("revocation_reason"),
        supply_chain_depth=_depth(bundle),
        recognitions=len(bundle.get("recognitions") or ()),
        redacted_file=redacted_file,
    )


def run_demo(
    *,
    settings: Settings,
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Seed the demo into the data dir, anchor its labels, export them to ``out_dir``.

    Seeds the demo products, the computed footprints, a supply chain two hops deep, partner bodies
    in Singapore and Hong Kong with their recognitions, and one revoked, one superseded and one
    pending label (issued after the last batch). Writes ``bundles/<label-id>.json``,
    ``qr/<label-id>.png``, ``artwork/<label-id>.svg``, ``redacted/<label-id>.json`` (suppliers'
    fields hidden), ``proofs/<partner>-<label-id>.json`` and ``proofs/<partner>-trust.json``
    (each recognition's proof file and its partner's trust profile), ``trust.json``
    (``tanji-trust/1`` for this deployment, its node ``<base-url>/rpc`` as ``tanji serve`` serves
    it), ``summary.json``, ``index.html`` and ``console-users.txt`` (one console user per role
    with a fresh random password, readable by its owner only: :mod:`registry.demo_users`).
    Raises :class:`DemoError` when a step fails or anchoring does not finish in time.
    """
    say = progress or (lambda _message: None)
    if not settings.anchoring:
        raise DemoError("the demo anchors its labels: settings.anchoring must be true")
    # Anchor as soon as labels are queued instead of waiting for a fuller batch.
    settings = settings.model_copy(
        update={"batch_max_wait_seconds": 0.0, "poll_interval_seconds": 0.05}
    )
    products = _load_products()
    mission = _load(DEMO_MISSION_FILE)
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

        def labelled(product: dict[str, Any]) -> dict[str, Any]:
            if product["company"] not in company_keys:
                with Session(app.state.engine) as session:
                    company_keys[product["company"]] = org_key(
                        session, name=product["company"], role=OrgRole.ENTERPRISE
                    )
            return issue(
                client,
                product,
                company_key=company_keys[product["company"]],
                certifier_key=certifier_key,
                today=today,
            )

        issued: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for product in products["products"]:
            issued.append((product, labelled(product)))
            name = localized(product["footprint"]["product_name"], "en")
            say(f"label {issued[-1][1]['id']}: {name}")
        issued += _issue_computed(client, app, settings, certifier_key=certifier_key, today=today)
        say(f"computed {sum('inventory' in product for product, _ in issued)} footprints")

        chained = seed_supply_chain(
            client, app, mission["supply_chain"], data_dir=settings.data_dir
        )
        issued.append((chained, labelled(chained)))
        say(f"suppliers signed a supply chain for label {issued[-1][1]['id']}")
        issued += _revoked_and_superseded(client, mission, labelled, certifier_key, today)
        review_id = seed_review(
            client, chained, company_key=company_keys[chained["company"]], today=today
        )
        say(f"a revised footprint waits in the certification review queue: {review_id}")
        by_key = {product["key"]: label for product, label in issued}
        recognised = [
            recognise(client, app, partner, by_key[partner["label"]], data_dir=settings.data_dir)
            for partner in mission["partners"]
        ]
        say(f"recognised by {', '.join(r.region for r in recognised)}")

        say(f"anchoring {len(issued)} labels")
        _wait_anchored(
            client, app, [label for _, label in issued], [r.recognition_id for r in recognised]
        )
        # The pending label comes after the last batch: it waits for `tanji serve`'s first one.
        if app.state.loop is not None:
            app.state.loop.stop()
        pending = mission["pending"]["product"]
        issued.append((pending, labelled(pending)))
        demo_labels = [
            _export(client, out_dir, product, label, base_url=settings.base_url)
            for product, label in issued
        ]
        register_demo_districts(app.state.engine)  # where the city's charts count them
        asked, component = seed_invitation(app.state.engine, mission)
        say(f"an open request waits for {asked}: an attestation of {component}")
        users = seed_users(app.state.engine, products=products, mission=mission)
        console_url = f"{settings.base_url}/console"
        users_file = write_users_file(out_dir / USERS_FILE, users, console_url)
        say(f"{len(users)} console users, one per role: {users_file}")

        rpc_url = settings.rpc_url or f"{settings.base_url}/rpc"
        trust = chain.trust_document(rpc_url=rpc_url, name="Tanji demo deployment")
        trust["certificationBodies"] = [certification_body(r) for r in recognised]
        trust["acceptedSchemes"] = sorted({r.scheme for r in recognised})
        trust_file = out_dir / "trust.json"
        _write_json(trust_file, trust)
        proofs = tuple(_proof(out_dir, r, by_key[r.label_key]["id"], trust) for r in recognised)
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
            proofs=proofs,
            index_file=out_dir / INDEX_FILE,
            users=tuple(users),
            users_file=users_file,
            console_url=console_url,
        )
    _write_summary(summary, products["note"] + " " + mission["note"])
    write_index(summary)
    say(f"wrote {len(demo_labels)} bundles, QR codes and artworks to {out_dir}")
    return summary


def _revoked_and_superseded(
    client: TestClient,
    mission: dict[str, Any],
    labelled: Callable[[dict[str, Any]], dict[str, Any]],
    certifier_key: str,
    today: date,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Issue the revoked label and revoke it; issue the superseded one and supersede it."""
    spec = mission["revoked"]
    revoked = revoke(
        client,
        labelled(spec["product"]),
        certifier_key=certifier_key,
        reason_code=spec["reason_code"],
        note=spec["note"],
    )
    spec = mission["superseded"]
    old_product = spec["product"]
    old = labelled(old_product)
    corrected = copy.deepcopy(old_product)
    corrected["key"] = f"{old_product['key']}_corrected"
    corrected["footprint"].update(spec["corrected"])
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        company_key = org_key(session, name=old_product["company"], role=OrgRole.ENTERPRISE)
    new = supersede(
        client,
        old,
        corrected,
        company_key=company_key,
        certifier_key=certifier_key,
        today=today,
    )
    return [(spec["product"], old), (corrected, new), (mission["revoked"]["product"], revoked)]


def _proof(
    out_dir: Path, recognised: Recognised, label_id: str, trust: dict[str, Any]
) -> DemoProof:
    """Write ``recognised``'s proof file (the exported bundle) and its partner's profile."""
    bundle = _load(out_dir / f"bundles/{label_id}.json")
    proof, profile = write_proof(out_dir, recognised, bundle, trust, write_json=_write_json)
    return DemoProof(
        partner=recognised.partner,
        region=recognised.region,
        body=recognised.name,
        body_address=recognised.address,
        scheme=recognised.scheme,
        subject_type=recognised.subject_type,
        recognition_id=recognised.recognition_id,
        label_id=label_id,
        proof_file=proof,
        trust_file=profile,
    )


def _issue_computed(
    client: TestClient, app: Any, settings: Settings, *, certifier_key: str, today: date
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Publish the starter datasets, compute each example inventory and label it."""
    publish_demo_factors(app, base_url=settings.base_url)
    with Session(app.state.engine) as session:
        headers = auth(org_key(session, name=COMPUTED_COMPANY, role=OrgRole.ENTERPRISE))
        supplier = auth(org_key(session, name=DISPLAY_SUPPLIER, role=OrgRole.ENTERPRISE))
    display = push_display_attestation(client, supplier, data_dir=settings.data_dir)
    issued = []
    for name in EXAMPLE_INVENTORIES:
        inventory = with_attestation(load_example(name), display)
        footprint = computed_footprint(client, inventory, headers=headers, today=today, check=check)
        data = footprint["data"]
        product = {
            "key": inventory["id"],
            "company": COMPUTED_COMPANY,
            "inventory": inventory,
            # Written beside the label: the inventory's bundle with its factor-dataset versions.
            "inventory_bundle": (f"/api/v1/footprints/{footprint['id']}/inventory/bundle", headers),
            "footprint": {k: data[k] for k in ("category", "kg_co2e_per_unit", "declared_unit")},
        }
        issued.append(
            (
                product,
                label(
                    client,
                    footprint["id"],
                    key=product["key"],
                    certifier_key=certifier_key,
                    today=today,
                ),
            )
        )
    return issued


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
        "verify_proof": (
            "tanji verify proofs/<partner>-<label-id>.json --trust proofs/<partner>-trust.json"
        ),
        "index": summary.index_file.name if summary.index_file is not None else None,
        "labels": [asdict(label) for label in summary.labels],
        "proofs": [asdict(proof) for proof in summary.proofs],
    }
    summary.summary_file.write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
