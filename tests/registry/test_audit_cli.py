"""``tanji audit verify`` on a data dir whose audit log a real ``tanji serve`` anchored.

A clean log verifies (exit 0) against the embedded chain and, while the server runs, through its
``/rpc``. Each attack edits a copy of the stopped server's SQLite database the way someone with
database access would, and the CLI (a subprocess) must name the first bad entry (exit 1): an
edited entry, the same edit with every later digest, link, head and ledger leaf recomputed (only
the anchored root gives it away), a deleted entry, the newest entries cut off, two entries
swapped. A node that does not answer is exit 2, not a verdict.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from anchoring.ledger import AnchorRecord, leaf_hash_hex
from registry.audit import RECORD_TYPE, AuditEntry, AuditHead, leaf_of, record_of
from registry.config import load_settings
from registry.db import make_engine
from tests.nodes import free_port
from tests.registry.factories import bearer, numbered
from tests.registry.server import TANJI, WAIT_SECONDS, create_org, serve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sqlite_only(reason="the attacks copy the data dir and edit its SQLite file"),
]
VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}


def tanji_audit(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TANJI, "audit", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


def wait_until_idle(url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        anchoring = httpx.get(f"{url}/healthz", timeout=10).json()["anchoring"]
        if not (anchoring["pending"] or anchoring["open_batches"] or anchoring["open_revocations"]):
            return
        assert time.monotonic() < deadline, anchoring
        time.sleep(0.1)


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stopped server's data dir: orgs, footprints, a label issued and revoked, all anchored."""
    base = tmp_path_factory.mktemp("audit")
    data, log = base / "data", base / "serve.log"
    enterprise = create_org(data)
    certifier = create_org(data, role="certification_body", name="CB")
    with serve(data, log) as (proc, url):
        ids = []
        for i in range(6):
            r = httpx.post(
                f"{url}/api/v1/footprints",
                json=numbered(i),
                headers=bearer(enterprise),
                timeout=30,
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        r = httpx.post(
            f"{url}/api/v1/labels",
            json={"footprint_id": ids[0], **VALIDITY},
            headers=bearer(certifier),
            timeout=30,
        )
        assert r.status_code == 201, r.text
        r = httpx.post(
            f"{url}/api/v1/labels/{r.json()['id']}/revoke",
            json={"reason_code": 2},
            headers=bearer(certifier),
            timeout=30,
        )
        assert r.status_code == 200, r.text
        wait_until_idle(url)
        # While the server holds the embedded chain, its /rpc is the way to the roots.
        live = tanji_audit(data, "verify", "--rpc-url", f"{url}/rpc")
        assert live.returncode == 0, live.stdout + live.stderr
        locked = tanji_audit(data, "verify")
        assert locked.returncode == 2, locked.stdout + locked.stderr
        assert "ERROR:" in locked.stdout and "--rpc-url" in locked.stdout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT_SECONDS) in (0, -signal.SIGTERM)
    return data


def attacked(anchored: Path, tmp_path: Path, *statements: str) -> Path:
    """A copy of the data dir with ``statements`` run on its database."""
    data = tmp_path / "data"
    shutil.copytree(anchored, data)
    conn = sqlite3.connect(data / "registry.sqlite3")
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    return data


def failed_at(result: subprocess.CompletedProcess[str], entry: int, codes: Sequence[str]) -> None:
    """Exit 1 and the first bad entry named, with one of ``codes``."""
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("FAIL:"))
    assert line.startswith(f"FAIL: first bad entry {entry}: "), result.stdout
    assert line.split(": ")[2] in codes, result.stdout


def entry_count(data: Path) -> int:
    conn = sqlite3.connect(data / "registry.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM audit_entry").fetchone()[0])
    finally:
        conn.close()


def test_a_clean_log_verifies_on_the_embedded_chain(anchored: Path) -> None:
    result = tanji_audit(anchored, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    count = entry_count(anchored)
    assert count >= 13  # orgs and keys (CLI), 6 footprints, issue, certify, revoke
    assert f"audit log: {count} entries, {count} anchored" in result.stdout
    assert "0 pending; roots checked on chain" in result.stdout and "OK:" in result.stdout
    report = json.loads(tanji_audit(anchored, "verify", "--json").stdout)
    assert report["status"] == "valid" and report["firstBadEntry"] is None
    listed = tanji_audit(anchored, "list", "--limit", "3")
    assert listed.returncode == 0
    assert "label.revoke" in listed.stdout and "anchored" in listed.stdout


def test_an_edited_entry_is_found(anchored: Path, tmp_path: Path) -> None:
    data = attacked(
        anchored, tmp_path, "UPDATE audit_entry SET org_id = 'org-someone-else' WHERE id = 5"
    )
    failed_at(tanji_audit(data, "verify"), 5, ["digest_mismatch"])


def test_an_edit_with_the_whole_chain_recomputed_is_found_by_the_anchor(
    anchored: Path, tmp_path: Path
) -> None:
    data = attacked(anchored, tmp_path)
    engine = make_engine(load_settings(data_dir=data))
    with Session(engine) as session:
        log = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all())
        log[6].subject_id = "fp-somethingelse"
        prev = log[5].digest
        for entry in log[6:]:
            entry.prev_digest = prev
            entry.digest = prev = leaf_of(record_of(entry), entry.master_salt)[2]
            row = session.exec(
                select(AnchorRecord).where(
                    AnchorRecord.record_type == RECORD_TYPE,
                    AnchorRecord.record_id == str(entry.id),
                )
            ).one()
            row.leaf_value = [RECORD_TYPE, str(entry.id), entry.digest]
            row.leaf_hash = leaf_hash_hex(row.leaf_value)
            session.add_all([entry, row])
        head = session.get(AuditHead, 1)
        assert head is not None
        head.last_digest = prev
        session.add(head)
        session.commit()
    engine.dispose()
    failed_at(tanji_audit(data, "verify"), 7, ["proof_invalid"])


def test_a_deleted_entry_is_found(anchored: Path, tmp_path: Path) -> None:
    data = attacked(anchored, tmp_path, "DELETE FROM audit_entry WHERE id = 4")
    result = tanji_audit(data, "verify")
    failed_at(result, 4, ["missing_entry"])
    assert "entry 5: chain_broken" in result.stdout


def test_entries_cut_off_the_end_are_found(anchored: Path, tmp_path: Path) -> None:
    last = entry_count(anchored)
    data = attacked(
        anchored,
        tmp_path,
        f"DELETE FROM audit_entry WHERE id >= {last - 1}",
        # Even with the head moved back, the deleted entries' leaves are still in the ledger.
        f"UPDATE audit_head SET last_id = {last - 2}, last_digest = "
        f"(SELECT digest FROM audit_entry WHERE id = {last - 2})",
    )
    failed_at(tanji_audit(data, "verify"), last - 1, ["missing_entry"])


def test_swapped_entries_are_found(anchored: Path, tmp_path: Path) -> None:
    columns = (
        "at, org_id, key_id, via, action, subject_type, subject_id, before_digest, "
        "after_digest, prev_digest, digest, master_salt"
    )
    data = attacked(
        anchored,
        tmp_path,
        f"CREATE TABLE swap AS SELECT id, {columns} FROM audit_entry WHERE id IN (8, 9)",
        *(
            f"UPDATE audit_entry SET ({columns}) = "
            f"(SELECT {columns} FROM swap WHERE swap.id = {other}) WHERE id = {mine}"
            for mine, other in ((8, 9), (9, 8))
        ),
        "DROP TABLE swap",
    )
    failed_at(tanji_audit(data, "verify"), 8, ["digest_mismatch", "chain_broken"])


def test_an_unreachable_node_is_an_error_not_a_verdict(anchored: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/rpc"
    result = tanji_audit(anchored, "verify", "--rpc-url", url)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ERROR: the roots could not be checked on chain: chain_" in result.stdout
    assert "FAIL" not in result.stdout
