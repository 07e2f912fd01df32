"""The protocol's facts are defined once, in ``verifier/protocol``: no other source restates them.

A scan of the code (not its comments or docstrings) of ``anchoring/``, ``registry/`` and the rest
of ``verifier/``: Python, page templates and the in-browser verifier's JavaScript (except the
generated ``tanji-protocol.js`` and vendored libraries). It looks for

- the format strings (``tanji-bundle/1``, ``tanji-trust/1``) in a string of code;
- a reason constant bound to a bare number (``REASON_SUPERSEDED = 1``);
- a result code written out with its number in JavaScript (``FORMAT_NOT_JSON: 100``): the code
  table is generated;
- an EIP-712 struct restated: a member definition (``{name: "nonce", type: "bytes32"}``, in
  Python a ``{"name": ..., "type": ...}`` dict) or a type string (``Attestation(address supplier``)
  in code. The structs and the domain are ``verifier/protocol``'s, generated into the browser's
  ``STATEMENT_KINDS``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TypeGuard

import pytest

from tests.nodes import ROOT
from verifier.protocol.attestation import ATTESTATION
from verifier.protocol.codes import Code
from verifier.protocol.recognition import RECOGNITION, WITHDRAWAL
from verifier.protocol.records import BUNDLE_FORMAT, TRUST_FORMAT

FORMATS = (BUNDLE_FORMAT, TRUST_FORMAT)
PROTOCOL = ROOT / "verifier" / "protocol"
STATIC = ROOT / "registry" / "static"
GENERATED = {STATIC / "verify" / "tanji-protocol.js"}
REASON_NAME = re.compile(r"(^|_)REASONS?(_|$)")
JS_REASON = re.compile(r"\b\w*REASON\w*\s*=\s*\d")
JS_CODE = re.compile(rf"\b({'|'.join(code.name for code in Code)})\s*:\s*\d+")
STRUCTS = ("EIP712Domain", *(kind.primary_type for kind in (ATTESTATION, RECOGNITION, WITHDRAWAL)))
ENCODE_TYPE = re.compile(rf"\b({'|'.join(STRUCTS)})\(\s*(address|string|bool|bytes\d*|u?int\d*)\b")
JS_STRUCT_MEMBER = re.compile(
    r"""\{\s*["']?name["']?\s*:\s*["'`][^"'`]*["'`]\s*,\s*["']?type["']?\s*:\s*["'`]"""
)
JS_COMMENT = re.compile(r"^\s*(//|/\*|\*)")
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def _python_files() -> Iterator[Path]:
    for top in ("anchoring", "registry", "verifier"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if PROTOCOL not in path.parents:
                yield path


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _struct_member(node: ast.AST) -> TypeGuard[ast.Dict]:
    """``{"name": ..., "type": ...}``: an EIP-712 struct member written out."""
    if not isinstance(node, ast.Dict):
        return False
    keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
    return sorted(map(str, keys)) == ["name", "type"]


def python_findings(path: Path) -> list[str]:
    """Restated facts in one Python file's code (strings other than docstrings; assignments)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    findings: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            if any(fmt in node.value for fmt in FORMATS):
                findings.append(f"{path}:{node.lineno}: format string {node.value!r}")
            if ENCODE_TYPE.search(node.value):
                findings.append(f"{path}:{node.lineno}: EIP-712 type string {node.value!r}")
        if _struct_member(node):
            findings.append(f"{path}:{node.lineno}: EIP-712 struct member")
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        for target in targets:
            if (
                isinstance(target, ast.Name)
                and REASON_NAME.search(target.id)
                and isinstance(value, ast.Constant)
                and type(value.value) is int
            ):
                findings.append(f"{path}:{node.lineno}: {target.id} = {value.value}")
    return sorted(findings, key=lambda f: int(f.split(":")[1]))


def _code_lines(path: Path) -> Iterator[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = JINJA_COMMENT.sub(lambda m: "\n" * m[0].count("\n"), text)
    for number, line in enumerate(text.splitlines(), 1):
        if path.suffix == ".js" and JS_COMMENT.match(line):
            continue
        yield number, line


def text_findings(path: Path) -> list[str]:
    """Restated facts in a template's or a script's code lines (comments left out)."""
    findings: list[str] = []
    for number, line in _code_lines(path):
        if any(fmt in line for fmt in FORMATS):
            findings.append(f"{path}:{number}: format string in {line.strip()!r}")
        if ENCODE_TYPE.search(line):
            findings.append(f"{path}:{number}: EIP-712 type string in {line.strip()!r}")
        if path.suffix == ".js":
            for pattern in (JS_REASON, JS_CODE, JS_STRUCT_MEMBER):
                match = pattern.search(line)
                if match:
                    findings.append(f"{path}:{number}: {match[0]!r}")
    return findings


def _text_files() -> Iterator[Path]:
    yield from sorted((ROOT / "registry" / "templates").rglob("*.html"))
    for path in sorted(STATIC.rglob("*.js")):
        if path not in GENERATED and (STATIC / "vendor") not in path.parents:
            yield path


def test_the_scan_sees_the_sources() -> None:
    python = list(_python_files())
    assert len(python) > 50 and not any(PROTOCOL in p.parents for p in python)
    text = list(_text_files())
    assert STATIC / "verify" / "tanji-verify.js" in text and not GENERATED & set(text)


@pytest.mark.parametrize("path", list(_python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_python_restates_no_protocol_fact(path: Path) -> None:
    assert python_findings(path) == []


@pytest.mark.parametrize("path", list(_text_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_and_scripts_restate_no_protocol_fact(path: Path) -> None:
    assert text_findings(path) == []


def test_the_scan_catches_a_restatement(tmp_path: Path) -> None:
    source = tmp_path / "restated.py"
    source.write_text(
        '"""Docs may name tanji-bundle/1."""\n'
        "# so may comments: tanji-trust/1\n"
        'FORMAT = "tanji-bundle/1"\n'
        "REASON_SUPERSEDED = 1\n"
        "REASON_WITHDRAWN: int = 2\n"
        "MAX_REASONABLE = 3\n"
        'TYPE = "Withdrawal(address recognizer,bytes32 recognition)"\n'
        'STRUCT = [{"name": "nonce", "type": "bytes32"}]\n'
        'PERSON = {"name": "Ann", "age": 3}\n',
        encoding="utf-8",
    )
    assert [f.split(": ", 1)[1] for f in python_findings(source)] == [
        "format string 'tanji-bundle/1'",
        "REASON_SUPERSEDED = 1",
        "REASON_WITHDRAWN = 2",
        "EIP-712 type string 'Withdrawal(address recognizer,bytes32 recognition)'",
        "EIP-712 struct member",
    ]
    script = tmp_path / "restated.js"
    script.write_text(
        "// checks a tanji-bundle/1\n"
        " * a tanji-trust/1 document\n"
        'const FORMAT = "tanji-bundle/1";\n'
        "const REASON_KEY = 6;\n"
        "const Code = { FORMAT_NOT_JSON: 100 };\n"
        "// Attestation(address supplier, ...) in a comment is fine\n"
        "const STRUCT = [\n"
        '  { name: "supplier", type: "address" },\n'
        "  { \"name\": 'nonce', \"type\": 'bytes32' },\n"
        "];\n"
        'const TYPE = "Recognition(address recognizer,string scheme)";\n'
        "throw new AttestationError(message);\n"
        "const field = { name: key, type: kind };\n",
        encoding="utf-8",
    )
    assert len(text_findings(script)) == 6
