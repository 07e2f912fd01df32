"""The dependency rule (docs/ARCHITECTURE.md): ``verifier`` imports nothing of ours, ``anchoring``
does not import ``registry``, and nothing imports ``registry``.

Read from the source with ``ast`` (every ``import`` and ``from ... import`` anywhere in a module,
also inside functions, and ``importlib.import_module("...")`` / ``__import__("...")`` with a literal
name), so an import that only runs on some path is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"verifier": {"registry", "anchoring"}, "anchoring": {"registry"}}


def imported_modules(source: str, package: str) -> set[str]:
    """Absolute names of the modules ``source`` (a module of ``package``) imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the package it is written in
                names.add(f"{package}.{node.module}" if node.module else package)
            elif node.module:
                names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            names.add(node.args[0].value)
    return names


def violations(package: str) -> list[str]:
    """``path: module`` for every import of a package that ``package`` must not import."""
    found = []
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    for path in files:
        for module in imported_modules(path.read_text("utf-8"), package):
            if module.split(".")[0] in FORBIDDEN[package]:
                found.append(f"{path.relative_to(ROOT)}: {module}")
    return sorted(found)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_rule_allows(package: str) -> None:
    assert violations(package) == []


def test_the_check_sees_every_form_of_import() -> None:
    source = """
import registry
import registry.app as app
from anchoring.client import AnchorClient
from . import checks
from .chain import ChainReader
import importlib

def late():
    from registry.config import Settings
    importlib.import_module("anchoring.tree")
    __import__("registry.db")
"""
    assert imported_modules(source, "verifier") == {
        "registry",
        "registry.app",
        "anchoring.client",
        "verifier",
        "verifier.chain",
        "importlib",
        "registry.config",
        "anchoring.tree",
        "registry.db",
    }
