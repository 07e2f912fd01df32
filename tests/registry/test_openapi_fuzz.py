"""Schemathesis over the registry's whole OpenAPI, through a real ``tanji serve``.

One run with the API key of an organisation of each role, then one anonymous run (its random
keys are failed authentications, so it goes last and the server's failed-authentication limit is
raised: ``tests/registry/test_hostile_input.py`` attacks that limit itself). Each run generates
requests from ``/openapi.json`` (schemathesis's coverage, fuzzing and stateful phases) with a
fixed seed. Any 5xx, a status or content type the OpenAPI does not document for the operation,
or a body that breaks its documented schema fails the test. The runs together must make at
least :data:`MIN_REQUESTS` requests; the count is printed.

It runs on SQLite and on PostgreSQL, which refuses some values SQLite stores (integers past
``int4`` in an ``INTEGER`` column, NUL in text). The server runs its embedded chain, as ``tanji
serve`` does by default: without anchoring,
``/rpc`` and the signed-statement routes (attestations, recognitions) would answer 404 or 503
before reaching the code that parses what they are sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.registry.server import create_org, serve

pytestmark = pytest.mark.slow

ROLES = ("enterprise", "certification_body", "partner_certifier", "publisher", "admin")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
MIN_REQUESTS = 2000
#: Test cases per operation in the fuzzing phase; the coverage phase (boundary values, missing
#: and malformed parameters) makes most of the 2,000-odd requests of a run.
MAX_EXAMPLES = 5
SEED = 14
RUN_TIMEOUT_SECONDS = 900
#: So the anonymous run's thousand failed authentications are not answered 429 throughout.
SERVER_ENV = {"TANJI_AUTH_FAILURE_BURST": "10000"}
SCHEMATHESIS = Path(sys.executable).with_name("st")


def schemathesis_run(
    url: str, name: str, key: str | None, out: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run ``st run`` against ``url``; return its JSON report and the requests it made (HAR)."""
    report, har = out / f"{name}.json", out / f"{name}.har"
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: with two, a run once stopped on an internal error of Hypothesis (an AST
        # recursion-depth mismatch while two threads described strategies at once).
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "json,har",
        "--report-json-path",
        str(report),
        "--report-har-path",
        str(har),
        "--output-truncate",
        "true",
    ]
    if key is not None:
        command += ["--header", f"Authorization: Bearer {key}"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, cwd=out
    )
    (out / f"{name}.txt").write_text(done.stdout + done.stderr)
    assert report.exists(), done.stdout + done.stderr
    entries = json.loads(har.read_text())["log"]["entries"]
    return json.loads(report.read_text()), entries


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_schemathesis_finds_no_server_error_or_schema_break(
    database: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # For `tanji org create` and `tanji serve` alike.
    monkeypatch.delenv("TANJI_DATABASE_URL", raising=False)
    if database == "postgresql":
        monkeypatch.setenv("TANJI_DATABASE_URL", request.getfixturevalue("registry_database_url"))
    data, log = tmp_path / "data", tmp_path / "serve.log"
    keys: dict[str, str | None] = {
        role: create_org(data, role=role, name=f"Fuzz {role}") for role in ROLES
    }
    keys["anonymous"] = None
    total = 0
    broken: dict[str, str] = {}
    with serve(data, log, env=SERVER_ENV) as (_, url):
        for name, key in keys.items():
            report, requests = schemathesis_run(url, name, key, tmp_path)
            statuses = Counter(entry["response"]["status"] for entry in requests)
            total += len(requests)
            print(
                f"{name}: {len(requests)} requests, "
                f"{report['test_cases']['generated']} test cases, statuses {dict(statuses)}"
            )
            if report["failures"] or report["errors"]:
                broken[name] = (tmp_path / f"{name}.txt").read_text()[-20_000:]
    print(f"schemathesis made {total} requests in all")
    assert not broken, "\n\n".join(f"== {name}\n{text}" for name, text in broken.items())
    assert total >= MIN_REQUESTS
