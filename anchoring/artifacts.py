"""The compiled TanjiAnchorRegistry contract shipped inside the package.

Read through :mod:`importlib.resources` so it works from a source tree, a wheel or a zip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

ARTIFACT_NAME = "TanjiAnchorRegistry.json"


@dataclass(frozen=True)
class ContractArtifact:
    """ABI and bytecode of a compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


@cache
def load_anchor_artifact() -> ContractArtifact:
    """Load (once) the registry contract's ABI and bytecode from ``anchoring/artifacts/``."""
    text = resources.files("anchoring").joinpath("artifacts", ARTIFACT_NAME).read_text("utf-8")
    data = json.loads(text)
    return ContractArtifact(
        name=data.get("contractName", "TanjiAnchorRegistry"),
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
    )
