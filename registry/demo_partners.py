"""``tanji demo``'s partner bodies: Singapore and Hong Kong recognise Chongqing labels.

Each partner (``registry/data/demo_mission.json``, ``partners``) is a ``partner_certifier``
organisation with a generated signing key (:mod:`registry.demo_keys`) registered through
``/api/v1/recognitions/keys``. It signs an EIP-712 ``Recognition`` and posts it: Singapore
recognises one label (its leaf), Hong Kong the registry's scheme for a category (every label of
it). Once anchored, the demo writes for each recognition the partner's **proof file** (the label's
bundle, which nests the recognition: docs/PROTOCOL.md, section 15) and the partner's **trust
profile** (section 7), so ``tanji verify proofs/<partner>-<label>.json --trust
proofs/<partner>-trust.json`` is the partner's own check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Final

from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.demo_client import DemoError, auth, check, org_key
from registry.demo_keys import demo_key
from registry.demo_supply_chain import register_key
from registry.models.orgs import OrgRole
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import recognition_typed_data, scheme_subject
from verifier.protocol.scheme import certificate_scheme

__all__ = ["PARTNER_KEY_PREFIX", "Recognised", "certification_body", "recognise", "write_proof"]

#: Demo key names of the partner bodies: ``partner-<key>`` (registry.demo_keys).
PARTNER_KEY_PREFIX: Final = "partner-"


@dataclass(frozen=True, slots=True)
class Recognised:
    """One partner's recognition, as the demo posted it."""

    partner: str  # the partner's key in the mission data ("sg", "hk")
    name: str
    region: str
    address: str
    scheme: str
    category: str
    subject_type: str
    label_key: str  # the demo product whose label the proof file carries
    recognition_id: str


def _timestamp(day: str) -> int:
    return int(datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC).timestamp())


def recognise(
    client: TestClient,
    app: Any,
    partner: dict[str, Any],
    label: dict[str, Any],
    *,
    data_dir: Path,
) -> Recognised:
    """``partner`` signs and posts its recognition (of ``label``, or of its scheme): what it did.

    The message is the same on a re-run (the nonce and validity come from the label), so the
    registry answers with the stored recognition.
    """
    with Session(app.state.engine) as session:
        key = org_key(session, name=partner["name"], role=OrgRole.PARTNER_CERTIFIER)
    headers = auth(key)
    account = demo_key(data_dir, PARTNER_KEY_PREFIX + partner["key"])
    register_key(client, headers, account, base="/api/v1/recognitions/keys")
    chain = app.state.chain
    extra: dict[str, str] = {}
    if partner["subject"] == "label":
        bundle = check(client.get(f"/api/v1/labels/{label['id']}/bundle"), "reading a bundle")
        subject = "0x" + leaf_hash(LEAF_ENCODING, bundle["leafValue"]).hex()
        valid_until = _timestamp(label["valid_until"])
    else:
        scheme_id = certificate_scheme(label["certificate_number"])
        if scheme_id is None:
            raise DemoError(f"label {label['id']} has no scheme id")
        subject = scheme_subject(scheme_id, partner["category"])
        extra["schemeId"] = scheme_id
        valid_until = 0
    message = {
        "recognizer": account.address,
        "scheme": partner["scheme"],
        "subjectType": partner["subject"],
        "subject": subject,
        "category": partner["category"],
        "scope": f"Carbon footprint labels recognised under {partner['scheme']} (demo)",
        "validFrom": _timestamp(label["valid_from"]),
        "validUntil": valid_until,
        "nonce": "0x" + keccak(f"tanji/demo/recognition/{partner['key']}/{subject}".encode()).hex(),
    }
    typed = recognition_typed_data(message, chain_id=int(chain.chain_id), contract=chain.address)
    signature = account.sign_typed_data(full_message=typed).signature
    body = {"typedData": typed, "signature": "0x" + bytes(signature).hex(), **extra}
    posted = check(
        client.post("/api/v1/recognitions", json=body, headers=headers),
        f"posting the {partner['region']} recognition",
    )
    return Recognised(
        partner=partner["key"],
        name=partner["name"],
        region=partner["region"],
        address=str(account.address),
        scheme=partner["scheme"],
        category=partner["category"],
        subject_type=partner["subject"],
        label_key=partner["label"],
        recognition_id=str(posted["id"]),
    )


def certification_body(recognised: Recognised) -> dict[str, Any]:
    """The trust file's ``certificationBodies`` entry accepting ``recognised``'s body."""
    return {
        "address": recognised.address,
        "name": recognised.name,
        "schemes": [recognised.scheme],
        "categories": [recognised.category],
    }


def write_proof(
    out_dir: Path,
    recognised: Recognised,
    bundle: dict[str, Any],
    trust: dict[str, Any],
    *,
    write_json: Any,
) -> tuple[str, str]:
    """Write the partner's proof file and trust profile under ``out_dir/proofs``: their paths.

    The profile is the deployment's ``trust`` with this partner as its one certification body.
    """
    label_id = bundle["record"]["id"]
    proof = f"proofs/{recognised.partner}-{label_id}.json"
    profile = f"proofs/{recognised.partner}-trust.json"
    write_json(out_dir / proof, bundle)
    write_json(
        out_dir / profile,
        {
            **trust,
            "name": f"{recognised.region} partner profile (demo): {recognised.name}",
            "certificationBodies": [certification_body(recognised)],
            "acceptedSchemes": [recognised.scheme],
        },
    )
    return proof, profile
