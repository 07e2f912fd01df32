"""Two Tanji deployments exchange footprints over PACT v3.0, each a real ``tanji serve`` over
HTTPS: a request (RequestCreated) answered by a fulfilment (RequestFulfilled, the conformance
tool's case 13) and, for a product the owner does not have, a rejection (RequestRejected, case
14.B); then a published update (Published). The receiving side verifies the Tanji extension's
proof with ``tanji verify`` against the owner's deployment.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.factories import bearer, footprint
from tests.registry.pact_server import cli, credentials, serve_https, tls
from tests.registry.server import TANJI, WAIT_SECONDS, create_org

pytestmark = pytest.mark.slow


def inbox(data: Path, org: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in cli(data, "pact", "inbox", "--org", org).splitlines()]


def wait_inbox(data: Path, org: str, kind: str, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = [e for e in inbox(data, org) if kind in e["type"]]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, inbox(data, org)
        time.sleep(0.3)


@pytest.mark.sqlite_only(reason="two deployments need two databases; a PostgreSQL pass gives one")
def test_two_deployments_request_fulfil_reject_and_publish(tmp_path: Path) -> None:
    certs = tls(tmp_path / "tls")
    owner_data, buyer_data = tmp_path / "owner", tmp_path / "buyer"
    owner_key = create_org(owner_data, name="Owner")
    buyer_at_owner_key = create_org(owner_data, name="Buyer (at owner)", gs1_prefix=None)
    buyer_key = create_org(buyer_data, name="Buyer")
    owner_at_buyer_key = create_org(buyer_data, name="Owner (at buyer)", gs1_prefix=None)

    with (
        serve_https(owner_data, tmp_path / "owner.log", certs) as (_, owner_url),
        serve_https(buyer_data, tmp_path / "buyer.log", certs) as (_, buyer_url),
    ):
        verify = str(certs.ca)

        def org_id(url: str, key: str) -> str:
            return str(
                httpx.get(f"{url}/api/v1/orgs/me", headers=bearer(key), verify=verify).json()["id"]
            )

        owner, buyer_at_owner = org_id(owner_url, owner_key), org_id(owner_url, buyer_at_owner_key)
        buyer, owner_at_buyer = org_id(buyer_url, buyer_key), org_id(buyer_url, owner_at_buyer_key)

        # The owner's footprint, anchored, shared with the buyer's organisation at the owner.
        r = httpx.post(
            f"{owner_url}/api/v1/footprints",
            json=footprint(),
            headers=bearer(owner_key),
            verify=verify,
        )
        assert r.status_code == 201, r.text
        fp = r.json()["id"]
        cli(owner_data, "pact", "grant", "--owner", owner, "--to", buyer_at_owner)

        # Each side gives the other credentials; each stores the other's as a peer.
        to_owner = credentials(owner_data, buyer_at_owner)
        to_buyer = credentials(buyer_data, owner_at_buyer)
        cli(
            buyer_data,
            "pact",
            "peer",
            "add",
            "--org",
            buyer,
            "--url",
            owner_url,
            "--client-id",
            to_owner[0],
            "--client-secret-env",
            "PEER_SECRET",
            env={"PEER_SECRET": to_owner[1]},
        )
        cli(
            owner_data,
            "pact",
            "peer",
            "add",
            "--org",
            owner,
            "--url",
            buyer_url,
            "--client-id",
            to_buyer[0],
            "--client-secret-env",
            "PEER_SECRET",
            env={"PEER_SECRET": to_buyer[1]},
        )
        wait_anchored_footprint(owner_url, fp, owner_key, verify)

        # A request for the owner's GTIN is fulfilled with the footprint and its proof.
        request_id = cli(
            buyer_data,
            "pact",
            "request",
            "--org",
            buyer,
            "--to",
            owner_url,
            "--product-id",
            "urn:gtin:06901234567892",
            "--comment",
            "current PCF please",
        ).strip()
        (fulfilled,) = wait_inbox(buyer_data, owner_at_buyer, "RequestFulfilled")
        assert fulfilled["data"]["requestEventId"] == request_id
        assert fulfilled["source"] == owner_url
        (doc,) = fulfilled["data"]["pfs"]
        assert "urn:gtin:06901234567892" in doc["productIds"]

        # The buyer verifies the carried proof against the owner's deployment.
        bundle_file = tmp_path / "received.json"
        bundle_file.write_text(json.dumps(doc["extensions"][0]["data"]["bundle"]))
        env = {**os.environ, "SSL_CERT_FILE": verify, "REQUESTS_CA_BUNDLE": verify}
        checked = subprocess.run(
            [
                *TANJI,
                "verify",
                str(bundle_file),
                "--trust",
                f"{owner_url}/.well-known/tanji-trust.json",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=WAIT_SECONDS,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.startswith("OK"), checked.stdout

        # A request for a product the owner does not have is rejected with a PACT error.
        rejected_id = cli(
            buyer_data,
            "pact",
            "request",
            "--org",
            buyer,
            "--to",
            owner_url,
            "--product-id",
            "urn:null",
        ).strip()
        (rejected,) = wait_inbox(buyer_data, owner_at_buyer, "RequestRejected")
        assert rejected["data"]["requestEventId"] == rejected_id
        assert rejected["data"]["error"]["code"] == "NotFound"

        # The owner publishes an update; the buyer is notified and fetches it over PACT.
        event_id = cli(owner_data, "pact", "publish", "--org", owner, "--to", buyer_url, fp).strip()
        (published,) = wait_inbox(buyer_data, owner_at_buyer, "Published")
        assert published["id"] == event_id and published["data"]["pfIds"] == [doc["id"]]
        raw = base64.b64encode(f"{to_owner[0]}:{to_owner[1]}".encode()).decode()
        token = httpx.post(
            f"{owner_url}/auth/token",
            content="grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {raw}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            verify=verify,
        ).json()["access_token"]
        r = httpx.get(
            f"{owner_url}/3/footprints/{published['data']['pfIds'][0]}",
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
        )
        assert r.status_code == 200 and r.json()["data"]["id"] == doc["id"]


def wait_anchored_footprint(url: str, fp: str, key: str, verify: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body = httpx.get(f"{url}/api/v1/footprints/{fp}", headers=bearer(key), verify=verify).json()
        if body.get("anchor_status") == "anchored":
            return
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
