"""The verifier's public API: what ``import verifier`` exports, and the documented example.

The package exports its API itself (docs/PROTOCOL.md, appendix A); the names are imported on first
use, after the recursion guard, so ``import verifier`` (which ``anchoring`` and ``registry`` do
first) stays light.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import verifier
from tests.verifier.onchain import make_deployment

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "PROTOCOL.md").read_text("utf-8")


def test_import_in_a_fresh_process_is_light_guarded_and_exports_the_api() -> None:
    code = """
import sys
import verifier
from verifier._internal.runtime import SAFE_RECURSION_LIMIT
assert "web3" not in sys.modules, "import is light"
assert "verifier._internal.verifier" not in sys.modules, "import is light"
verifier.Verifier  # imports eth-account and py_ecc: the limit the guard set must stay
assert sys.getrecursionlimit() <= SAFE_RECURSION_LIMIT, sys.getrecursionlimit()
from verifier import Code, Status, Trust, TrustConfig, parse_bundle, verify_offline
assert Trust is TrustConfig and Code.OK == 0 and Status.VALID == "VALID"
import anchoring
import anchoring.tree
import registry
import registry.cli
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


@pytest.mark.parametrize("name", verifier.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(verifier, name)
    assert value is not None and name in dir(verifier)
    # Exported from a module of the package, never from a third party.
    assert getattr(value, "__module__", "verifier").startswith("verifier")


def test_errors_share_one_root() -> None:
    errors = [getattr(verifier, n) for n in verifier.__all__ if n.endswith("Error")]
    assert len(errors) == 8 and all(issubclass(e, verifier.VerifierError) for e in errors)


def test_other_names_are_not_attributes_and_submodules_still_import() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = verifier.nothing_here
    from verifier.protocol import wire  # a submodule, not an export

    assert wire.__name__ == "verifier.protocol.wire"


@pytest.mark.hardhat
def test_the_documented_example_runs_and_prints_what_the_doc_says(
    hardhat_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = re.search(r"<!-- library example -->\n```python\n(.*?)```", DOC, re.S)
    output = re.search(r"<!-- library example output -->\n```\n(.*?)```", DOC, re.S)
    assert example is not None and output is not None
    deployment = make_deployment(hardhat_url)
    label = deployment.anchor("label").bundles[0]
    (tmp_path / "label.json").write_text(json.dumps(label, ensure_ascii=False), "utf-8")
    (tmp_path / "trust.json").write_text(json.dumps(deployment.trust_json()), "utf-8")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example[1], "PROTOCOL.md appendix A", "exec"), {})
    assert printed.getvalue() == output[1]
