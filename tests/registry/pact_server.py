"""A real ``tanji serve`` over HTTPS for the PACT tests: throwaway TLS, orgs, PACT credentials.

:func:`tls` makes a private CA and a certificate for 127.0.0.1 with ``trustme``;
:func:`serve_https` runs ``tanji serve --ssl-certfile --ssl-keyfile`` on a free loopback port
and yields its ``https://`` URL; :func:`credentials` runs ``tanji pact credentials create``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import trustme

from tests.nodes import free_port
from tests.registry.server import FAST_ANCHORING, TANJI, WAIT_SECONDS


@dataclass(frozen=True)
class Tls:
    """PEM files: the server's certificate chain and key, and the CA that signed it."""

    cert: Path
    key: Path
    ca: Path


def tls(directory: Path) -> Tls:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    out = Tls(directory / "server.pem", directory / "server.key", directory / "ca.pem")
    server.private_key_pem.write_to_path(str(out.key))
    with open(out.cert, "wb") as f:
        for blob in server.cert_chain_pems:
            f.write(blob.bytes())
    ca.cert_pem.write_to_path(str(out.ca))
    return out


@contextmanager
def serve_https(
    data_dir: Path, log: Path, certs: Tls, env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run ``tanji serve`` over HTTPS on ``data_dir``; yield (process, https URL)."""
    port = free_port()
    environ = {**os.environ, **FAST_ANCHORING, "TANJI_PACT_CA_FILE": str(certs.ca), **(env or {})}
    command = [
        *TANJI,
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--ssl-certfile",
        str(certs.cert),
        "--ssl-keyfile",
        str(certs.key),
    ]
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environ)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2, verify=str(certs.ca)).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "tanji serve did not come up"
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT_SECONDS)


def cli(data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``tanji ARGS --data-dir DATA_DIR``; return its standard output."""
    out = subprocess.run(
        [*TANJI, *args, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return out.stdout


def credentials(data_dir: Path, org_id: str) -> tuple[str, str]:
    """``tanji pact credentials create --org ORG_ID``: (client_id, client_secret)."""
    lines = cli(data_dir, "pact", "credentials", "create", "--org", org_id).splitlines()
    values = dict(line.split("=", 1) for line in lines)
    assert list(values) == ["client_id", "client_secret"], lines
    return values["client_id"], values["client_secret"]
