"""docs/WALKTHROUGH.md is honest: every command it shows is in scripts/walkthrough.sh word for
word, and that script runs through against a fresh registry (a real `tanji serve`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nodes import free_port, require_tool
from tests.registry.server import FAST_ANCHORING

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "WALKTHROUGH.md"
SCRIPT = ROOT / "scripts" / "walkthrough.sh"
_SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def test_every_command_in_the_walkthrough_is_in_the_tested_script() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    blocks = _SH_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 9
    for block in blocks:
        assert block in script, f"not in scripts/walkthrough.sh:\n{block}"


@pytest.mark.slow
def test_the_walkthrough_script_runs_through(tmp_path: Path) -> None:
    for tool in ("bash", "curl", "jq", "openssl", "node"):
        require_tool(tool)
    if not (ROOT / "node_modules" / "ethers").exists():
        require_tool("npx")  # `npm ci` is needed
    bin_dir = str(Path(sys.executable).parent)
    assert shutil.which("tanji", path=bin_dir), "tanji is not installed beside this Python"
    env = {
        **os.environ,
        **FAST_ANCHORING,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PORT": str(free_port()),
        "TANJI_DATA_DIR": str(tmp_path / "data"),
        "OUT": str(tmp_path / "out"),
    }
    env.pop("TANJI_SIGNER_KEY", None)
    run = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    out = run.stdout
    assert "unknown product category 'laptops'" in out
    assert out.count("\nOK: ") >= 2, out  # the shopper's check and the Singapore certifier's
    assert "recognitions[0].recognition" in out and "Singapore Carbon Certification Body" in out
