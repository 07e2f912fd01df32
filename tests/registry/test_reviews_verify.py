"""An approved review's label anchors its evidence digests: ``tanji verify --evidence`` checks a
document against them, through a real ``tanji serve`` on its embedded chain."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from pathlib import Path

import httpx
import pytest

from tests.registry.factories import bearer, footprint
from tests.registry.server import create_org, serve, wait_anchored
from tests.registry.test_reviews import PDF, PNG, VALIDITY
from verifier import cli as verifier_cli

pytestmark = pytest.mark.slow

TRUST_PATH = "/.well-known/tanji-trust.json"


def verify(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = verifier_cli.main(list(argv), out=out)
    return code, out.getvalue()


def test_the_evidence_digests_are_anchored_and_checked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    enterprise = create_org(data)
    certifier = create_org(data, role="certification_body", name="CQ certifier")
    with serve(data, tmp_path / "serve.log") as (_, url):
        with httpx.Client(base_url=url, timeout=30) as c:
            fp = c.post("/api/v1/footprints", json=footprint(), headers=bearer(enterprise))
            assert fp.status_code == 201, fp.text
            review = c.post(
                "/api/v1/reviews",
                json={"footprint_id": fp.json()["id"]},
                headers=bearer(enterprise),
            ).json()
            rid = review["id"]
            assert c.post(f"/api/v1/reviews/{rid}/claim", headers=bearer(certifier)).is_success
            uploaded = c.post(
                f"/api/v1/reviews/{rid}/evidence",
                params={"name": "meter-readings.pdf"},
                content=PDF,
                headers=bearer(enterprise),
            )
            assert uploaded.status_code == 201, uploaded.text
            label = c.post(
                f"/api/v1/reviews/{rid}/approve", json=VALIDITY, headers=bearer(certifier)
            )
            assert label.status_code == 201, label.text
            label_id = label.json()["id"]
            wait_anchored(url, f"/api/v1/labels/{label_id}", {})
            bundle = c.get(f"/api/v1/labels/{label_id}/bundle").json()
        assert bundle["record"]["evidence"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
        bundle_file, pdf, png = tmp_path / "label.json", tmp_path / "m.pdf", tmp_path / "site.png"
        bundle_file.write_text(json.dumps(bundle))
        pdf.write_bytes(PDF)
        png.write_bytes(PNG)
        online = ["--trust", f"{url}{TRUST_PATH}", "--rpc-url", f"{url}/rpc"]

        code, out = verify(str(bundle_file), *online, "--evidence", str(pdf))
        assert code == 0, out
        assert f"MATCH: evidence {pdf}: SHA-256 {hashlib.sha256(PDF).hexdigest()}" in out
        assert "meter-readings.pdf (application/pdf)" in out

        code, out = verify(str(bundle_file), *online, "--evidence", str(png), "--json")
        assert code == 1, out
        report = json.loads(out)
        assert report["status"] == "VALID"  # the label is genuine; the document is not its
        assert report["evidence"][0]["status"] == "MISMATCH"

        # A bundle whose evidence digest was swapped for another document's no longer verifies.
        tampered = copy.deepcopy(bundle)
        tampered["record"]["evidence"][0]["sha256"] = hashlib.sha256(PNG).hexdigest()
        tampered_file = tmp_path / "tampered.json"
        tampered_file.write_text(json.dumps(tampered))
        code, out = verify(str(tampered_file), *online, "--evidence", str(png), "--json")
        assert code == 1, out
        report = json.loads(out)
        assert report["status"] == "INVALID"
        assert {c["name"]: c["status"] for c in report["checks"]}["integrity"] == "INVALID"
