"""``tanji verify`` is the verifier's own argparse parser and entry point, built into ``tanji``.

``registry/cli.py`` adds the ``verify`` subcommand with ``verifier.cli.add_arguments`` and runs
``verifier.cli.run``: no hand scanning of ``sys.argv``. So ``tanji verify`` and ``python -m
verifier`` show the same help, parse the same options, print the same lines and exit with the
same codes (0 valid, 1 invalid, 2 error), which is what these tests compare.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import build_parser
from registry.cli import main as tanji
from tests.verifier.onchain import make_deployment
from verifier import cli as verifier_cli

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    env.pop("TANJI_TRUST_FILE", None)
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )


def test_tanji_verify_help_is_the_verifiers_help() -> None:
    tanji_help = _run("-m", "registry.cli", "verify", "--help")
    verifier_help = _run("-m", "verifier", "--help")
    assert tanji_help.returncode == verifier_help.returncode == 0, tanji_help.stderr
    assert tanji_help.stdout == verifier_help.stdout
    assert tanji_help.stdout.startswith("usage: tanji verify ")
    for option in ("--rpc-url", "--trust", "--json", "--lang", "--offline", "--timeout"):
        assert option in tanji_help.stdout


def test_the_verify_subcommand_is_parsed_by_argparse() -> None:
    args = build_parser().parse_args(
        ["verify", "a.json", "https://x.example/l/1", "--offline", "--json", "--timeout", "3"]
    )
    assert args.command == "verify" and args.run is verifier_cli.run
    assert args.bundles == ["a.json", "https://x.example/l/1"]
    assert (args.offline, args.json, args.timeout, args.rpc_url) == (True, True, 3.0, None)
    # tanji's own options before the subcommand are argparse's business too.
    args = build_parser().parse_args(["--data-dir", "d", "verify", "a.json"])
    assert args.bundles == ["a.json"] and args.verbose is False


@pytest.mark.hardhat
def test_tanji_verify_behaves_exactly_as_the_verifier(
    hardhat_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("TANJI_TRUST_FILE", raising=False)
    deployment = make_deployment(hardhat_url)
    good = deployment.anchor("label").bundles[0]
    bad = copy.deepcopy(good)
    bad["record"]["grade"] = "B"
    for name, doc in {"good": good, "bad": bad, "trust": deployment.trust_json()}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    g, b, t = (str(tmp_path / f"{n}.json") for n in ("good", "bad", "trust"))
    cases: list[tuple[list[str], int]] = [
        ([g, "--trust", t], 0),
        ([g, "--trust", t, "--json", "--verbose"], 0),
        ([b, "--trust", t, "--lang", "zh"], 1),
        ([g, b, "--trust", t], 1),
        ([g], 2),  # no trust file: 950
        ([str(tmp_path / "missing.json"), "--offline"], 2),  # unreadable: 952
        ([g, "--offline"], 0),
        (["--no-such-option", g], 2),  # argparse: usage and exit 2
        ([], 2),  # argparse: a bundle is required
    ]
    for argv, expected in cases:
        outcomes = []
        for entry in (lambda a: tanji(["verify", *a]), verifier_cli.main):
            try:
                code = entry(argv)
            except SystemExit as exc:  # argparse refusing the arguments
                code = int(exc.code or 0)
            outcomes.append((code, *capsys.readouterr()))
        assert outcomes[0] == outcomes[1], argv
        assert outcomes[0][0] == expected, (argv, outcomes[0])
    # And as a command: the `tanji` process exits with the verifier's code and prints its lines.
    done = _run("-m", "registry.cli", "verify", g, "--trust", t)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {g} (label ") and "issuer" in done.stdout
    done = _run("-m", "registry.cli", "verify", b, "--trust", t, "--json")
    assert done.returncode == 1 and json.loads(done.stdout)["status"] == "INVALID"
