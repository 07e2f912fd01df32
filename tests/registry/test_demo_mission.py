"""``tanji demo`` shows the whole mission, checked with the real CLIs and a real ``tanji serve``.

One demo run (``registry.cli.main``, ``--base-url`` on a port that is not 8000, ``--open`` with a
browser that does nothing), then ``tanji serve --port PORT`` as a subprocess on the demo's data
dir, then ``tanji verify`` as a subprocess with the demo's own trust file and the partners'
profiles: the supply chain verifies two hops deep (also redacted), each recognition's proof file
verifies for its partner, the revoked label is revoked, the superseded one is not valid and names
its replacement once the verifier reports supersession, the pending one is pending.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from registry.cli import main
from registry.demo import DemoSummary
from registry.demo_index import open_index
from tests.nodes import free_port
from tests.registry.server import FAST_ANCHORING, TANJI, WAIT_SECONDS

pytestmark = pytest.mark.slow


@dataclass(frozen=True, slots=True)
class Mission:
    """What the demo wrote and printed, and the URL of the ``tanji serve`` serving it."""

    out: Path
    lines: list[str]
    summary: dict[str, Any]
    url: str

    def label(self, key: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            label for label in self.summary["labels"] if label["key"] == key
        ]
        assert len(found) == 1, key
        return found[0]

    def verify(self, path: str, trust: str = "trust.json") -> tuple[int, dict[str, Any]]:
        """``tanji verify FILE|URL --trust TRUST --json`` as a subprocess: exit code and report
        (``path`` is relative to the output directory unless it is a URL)."""
        source = path if path.startswith("http") else str(self.out / path)
        done = subprocess.run(
            [*TANJI, "verify", source, "--trust", str(self.out / trust), "--json"],
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            env={**os.environ, "NO_COLOR": "1"},
        )
        report: dict[str, Any] = json.loads(done.stdout)
        return done.returncode, report


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in report["checks"]}


@contextlib.contextmanager
def _serve(data_dir: Path, port: int, log: Path) -> Iterator[str]:
    """``tanji serve --port PORT`` on ``data_dir`` as a real process, until it answers."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [*TANJI, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAST_ANCHORING},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "tanji serve did not come up"
            time.sleep(0.1)
        yield url
    finally:
        proc.kill()
        proc.wait(WAIT_SECONDS)


@pytest.fixture(scope="module")
def mission(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mission]:
    tmp = tmp_path_factory.mktemp("demo-mission")
    port = free_port()
    out, data = tmp / "out", tmp / "data"
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("TANJI_RPC_URL", "TANJI_ANCHOR_ADDRESS", "TANJI_DATA_DIR", "TANJI_BASE_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("BROWSER", "true")  # --open runs `true <url>`: no window, nothing blocks
        with contextlib.redirect_stdout(stdout):
            code = main(
                [
                    "demo",
                    "--out",
                    str(out),
                    "--data-dir",
                    str(data),
                    "--base-url",
                    f"http://127.0.0.1:{port}",
                    "--open",
                ]
            )
        assert code == 0, stdout.getvalue()
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        with _serve(data, port, tmp / "serve.log") as url:
            yield Mission(out, stdout.getvalue().splitlines(), summary, url)


def test_the_demo_seeds_every_state_and_prints_the_table(mission: Mission) -> None:
    labels = mission.summary["labels"]
    states = [label["state"] for label in labels]
    assert states.count("revoked") == states.count("pending") == 1
    assert states.count("superseded") == 1
    assert max(label["supply_chain_depth"] for label in labels) >= 2
    assert sum(label["recognitions"] > 0 for label in labels) >= 2
    # The printed table: its header, then every label with its state and URL.
    header = next(i for i, line in enumerate(mission.lines) if line.startswith("label id"))
    for word in ("product", "footprint", "grade", "state", "depth", "recognitions", "URL"):
        assert word in mission.lines[header]
    rows = mission.lines[header + 1 : header + 1 + len(labels)]
    for row, label in zip(rows, labels, strict=True):
        assert row.startswith(label["label_id"]) and row.endswith(label["url"])
        assert label["state"] in row
    port = mission.url.rsplit(":", 1)[1]
    assert f"serve the labels: tanji serve --data-dir {mission.out.parent / 'data'}" in "\n".join(
        mission.lines
    )
    assert any(line.endswith(f"--port {port}") for line in mission.lines)


def test_every_url_and_qr_code_uses_the_base_url(mission: Mission) -> None:
    base = mission.summary["base_url"]
    assert base == mission.url and not base.endswith(":8000")
    trust = json.loads((mission.out / "trust.json").read_text("utf-8"))
    assert trust["chains"][0]["rpcUrl"] == f"{base}/rpc"
    for label in mission.summary["labels"]:
        assert label["url"].startswith(f"{base}/") and label["page_url"].startswith(f"{base}/")
        if label["qr_file"] is not None:
            png = Image.open(mission.out / label["qr_file"])
            assert [r.text for r in zxingcpp.read_barcodes(png)] == [label["url"]]
    # The index page: every label with its QR code inline, nothing fetched from elsewhere.
    index = (mission.out / "index.html").read_text("utf-8")
    assert mission.summary["index"] == "index.html"
    assert index.count("<svg") == len(mission.summary["labels"])
    assert "<script" not in index and "<link" not in index
    for label in mission.summary["labels"]:
        assert label["label_id"] in index and label["page_url"] in index


def test_every_valid_label_verifies_against_tanji_serve_on_another_port(mission: Mission) -> None:
    labels = mission.summary["labels"]
    valid = [
        str(mission.out / label["bundle_file"]) for label in labels if label["state"] == "valid"
    ]
    done = subprocess.run(
        [*TANJI, "verify", *valid, "--trust", str(mission.out / "trust.json")],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_supply_chain_verifies_two_hops_deep_also_redacted(mission: Mission) -> None:
    label = mission.label("home_storage_pack")
    assert label["supply_chain_depth"] == 2
    for path in (label["bundle_file"], label["redacted_file"]):
        code, report = mission.verify(path)
        assert (code, report["status"], report["mode"]) == (0, "VALID", "online"), report
        checks = _checks(report)
        for hop in ("attestations[0]", "attestations[0].attestations[0]"):
            assert checks[f"{hop}.attestation_signature"]["status"] == "VALID", (path, hop)
            for name in ("inclusion", "anchored", "not_revoked", "issuer"):
                assert checks[f"{hop}.{name}"]["status"] == "VALID", (path, hop, name)
    redacted = (mission.out / label["redacted_file"]).read_text("utf-8")
    full = json.loads((mission.out / label["bundle_file"]).read_text("utf-8"))
    module = full["attestations"][0]
    names = [hop["record"]["supplierName"] for hop in (module, module["attestations"][0])]
    assert len(names) == 2 and all(name and name not in redacted for name in names)


def test_each_recognition_proof_file_verifies_for_its_partner(mission: Mission) -> None:
    proofs = mission.summary["proofs"]
    assert sorted(p["region"] for p in proofs) == ["Hong Kong", "Singapore"]
    for proof in proofs:
        code, report = mission.verify(proof["proof_file"], proof["trust_file"])
        assert (code, report["status"]) == (0, "VALID"), report
        accepted = [
            check
            for name, check in _checks(report).items()
            if name.endswith(".recognition") and check["status"] == "VALID"
        ]
        assert [c["data"]["recognizer"] for c in accepted] == [proof["body_address"]], report


def test_the_revoked_label_is_revoked(mission: Mission) -> None:
    label = mission.label("revoked_phone")
    code, report = mission.verify(label["bundle_file"])
    assert (code, report["status"]) == (1, "INVALID"), report
    not_revoked = _checks(report)["not_revoked"]
    assert not_revoked["status"] == "INVALID" and not_revoked["code"] == 501, not_revoked


def test_the_superseded_label_is_not_valid_and_names_its_replacement(mission: Mission) -> None:
    old, new = mission.label("superseded_tyre"), mission.label("superseded_tyre_corrected")
    assert old["superseded_by"] == new["label_id"] and new["supersedes"] == old["label_id"]
    # Not valid and never an error, from its file or its page; the verifier's SUPERSEDED outcome
    # (exit 3) names the replacement when it reads the label from the registry that served it.
    for source in (old["bundle_file"], old["page_url"]):
        code, report = mission.verify(source)
        assert (code, report["status"]) in ((1, "INVALID"), (3, "SUPERSEDED")), report
    if report["status"] == "SUPERSEDED":
        assert report["supersededBy"]["id"] == new["label_id"], report
    assert mission.verify(new["bundle_file"])[0] == 0


def test_the_pending_label_is_pending(mission: Mission) -> None:
    label = mission.label("pending_pv_module")
    assert label["block_number"] is None and label["tx_hash"] is None
    code, report = mission.verify(label["bundle_file"])
    assert (code, report["status"]) == (1, "PENDING"), report


def test_open_starts_no_console_browser_without_a_display(
    mission: Mission, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = DemoSummary(
        out_dir=mission.out,
        base_url=mission.summary["base_url"],
        chain_id=mission.summary["chain_id"],
        contract=mission.summary["contract"],
        rpc_url=mission.summary["rpc_url"],
        issuer=mission.summary["issuer"],
        trust_file=mission.out / "trust.json",
        summary_file=mission.out / "summary.json",
        labels=(),
        index_file=mission.out / "index.html",
    )
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    note = open_index(summary)
    assert note is not None and (mission.out / "index.html").resolve().as_uri() in note
    monkeypatch.setenv("BROWSER", "true")  # a browser that opens nothing
    assert open_index(summary) is None
