"""`tanji` commands, called through ``registry.cli.main`` as a user would run them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_utils import is_checksum_address
from sqlmodel import Session, select

from registry.audit import AuditEntry
from registry.cli import main
from registry.config import load_settings
from registry.crud.footprints import add_footprint
from registry.crud.orgs import org_for_key
from registry.db import make_engine
from registry.errors import AuthenticationError
from registry.models.footprints import FootprintCreate
from registry.models.prefixes import IdPrefix
from tests.nodes import HARDHAT_KEY_0
from tests.registry.factories import ENTERPRISE_PREFIX, footprint


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.strip().splitlines(), err


def test_org_create_prints_a_working_key_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    code, lines, _ = run(
        capsys,
        "org",
        "create",
        "--name",
        "Bishan Computing",
        "--role",
        "enterprise",
        "--data-dir",
        data,
    )
    assert code == 0
    key = lines[-1]
    assert key.startswith("tnj_")
    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    with Session(engine) as session:
        assert org_for_key(session, plaintext=key).name == "Bishan Computing"
    code, lines, _ = run(capsys, "org", "list", "--data-dir", data)
    assert code == 0 and lines[0].endswith("enterprise\tBishan Computing")
    assert key not in "\n".join(lines)
    org_id = lines[0].split("\t")[0]
    code, lines, _ = run(capsys, "org", "revoke-keys", org_id, "--data-dir", data)
    assert code == 0 and lines[-1] == f"revoked 1 API key(s) of {org_id}"
    with Session(engine) as session, pytest.raises(AuthenticationError):
        org_for_key(session, plaintext=key)


def test_errors_are_one_line_with_a_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "org", "key", "org-nope", "--data-dir", str(tmp_path))
    assert code == 1
    assert err.strip() == "error: not_found: organisation org-nope does not exist (field org_id)"
    code, _, err = run(capsys, "--verbose", "org", "key", "org-nope", "--data-dir", str(tmp_path))
    assert code == 1 and "Traceback" in err and err.strip().endswith("(field org_id)")


def test_verify_is_delegated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.json"
    code = main(["verify", str(missing), "--offline"])
    assert code == 2  # the verifier's "could not verify"
    assert str(missing) in capsys.readouterr().out


def test_anchor_command_and_chain_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    code, lines, _ = run(
        capsys, "org", "create", "--name", "E", "--role", "enterprise", "--gs1-prefix",
        ENTERPRISE_PREFIX, "--data-dir", str(data),
    )  # fmt: skip
    assert f"GS1 company prefix {ENTERPRISE_PREFIX} confirmed" in lines
    engine = make_engine(load_settings(data_dir=data))
    with Session(engine) as session:
        org = org_for_key(session, plaintext=lines[-1])
        add_footprint(session, org=org, item=FootprintCreate.model_validate(footprint()))
        session.commit()
    code, lines, _ = run(capsys, "anchor", "--data-dir", str(data))
    # The footprint, and the audit entries of the organisation, its key and its prefix.
    assert code == 0 and lines[-1].startswith("anchored 6 record(s) on chain ")
    assert lines[-1].endswith("; 0 pending")
    # While another holder has the embedded chain open, the command fails with one clear line.
    from anchoring.embedded import EmbeddedChain

    with EmbeddedChain.open(data):
        code, _, err = run(capsys, "anchor", "--data-dir", str(data))
    assert code == 1 and err.strip().splitlines()[-1].startswith("error: chain_locked: ")


def test_org_prefix_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    ids = []
    for name in ("A", "B"):
        code, lines, _ = run(
            capsys, "org", "create", "--name", name, "--role", "enterprise", "--data-dir", data
        )
        ids.append(lines[0].split()[2])
    a, b = ids
    code, lines, _ = run(
        capsys, "org", "prefix", "add", "--org", a, "--prefix", "690123", "--data-dir", data
    )
    assert code == 0 and lines[-1].startswith("690123\tclaimed\t" + a)
    code, lines, _ = run(
        capsys, "org", "prefix", "add", "--org", a, "--prefix", "690123", "--confirm",
        "--data-dir", data,
    )  # fmt: skip
    assert code == 0 and lines[-1].startswith("690123\tconfirmed\t" + a)
    # An overlapping prefix for another organisation: one error line with its code.
    code, _, err = run(
        capsys, "org", "prefix", "add", "--org", b, "--prefix", "69012345", "--data-dir", data
    )
    assert code == 1 and err.strip().startswith("error: prefix_taken: ")
    code, _, err = run(
        capsys, "org", "prefix", "add", "--org", b, "--prefix", "69x", "--data-dir", data
    )
    assert code == 1 and err.strip().startswith("error: invalid_prefix: ")
    code, lines, _ = run(capsys, "org", "prefix", "list", "--data-dir", data)
    assert lines == [f"690123\tconfirmed\t{a}"]
    # Who confirmed is on record: the operator, through the CLI.
    engine = make_engine(load_settings(data_dir=Path(data)))
    with Session(engine) as session:
        row = session.exec(select(IdPrefix)).one()
        assert (row.confirmed_via, row.confirmed_by_org_id) == ("cli", None)
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.subject_type == "id_prefix")
        ).all()
        assert [(e.action, e.via) for e in entries] == [
            ("id_prefix.claim", "cli"),
            ("id_prefix.confirm", "cli"),
        ]
    engine.dispose()


def test_keystore_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANJI_KEYSTORE_PASSWORD", "correct horse battery staple")
    path = tmp_path / "k.json"
    code, lines, _ = run(
        capsys, "keystore", "create", "--out", str(path), "--data-dir", str(tmp_path)
    )
    assert code == 0 and is_checksum_address(lines[-1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["address"].lower() == lines[-1][2:].lower()
    code, _, err = run(
        capsys, "keystore", "create", "--out", str(path), "--data-dir", str(tmp_path)
    )
    assert code == 1 and err.startswith("error: signer_error: ")


@pytest.mark.hardhat
def test_deploy_prints_the_address_last(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    hardhat_url: str,
) -> None:
    monkeypatch.setenv("TANJI_SIGNER_KEY", HARDHAT_KEY_0)
    code, lines, err = run(capsys, "deploy", "--rpc-url", hardhat_url, "--data-dir", str(tmp_path))
    assert code == 0, err
    assert is_checksum_address(lines[-1])
    assert HARDHAT_KEY_0[2:] not in "\n".join(lines) + err
    remembered = json.loads((tmp_path / "deployments.json").read_text())
    assert remembered["31337"]["address"] == lines[-1]


def test_deploy_without_signer_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANJI_SIGNER_KEY", raising=False)
    code, _, err = run(
        capsys, "deploy", "--rpc-url", "http://127.0.0.1:9", "--data-dir", str(tmp_path)
    )
    assert code == 1 and err.startswith("error: signer_error: no signer configured")


def test_serve_refuses_dev_password_on_a_public_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANJI_KEYSTORE_PASSWORD", raising=False)
    monkeypatch.delenv("TANJI_SIGNER_KEY", raising=False)
    code, _, err = run(capsys, "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path))
    assert code == 1 and err.startswith("error: unsafe_settings: refusing to serve")
