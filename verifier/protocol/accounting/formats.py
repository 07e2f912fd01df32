"""The facts of the accounting documents (docs/ACCOUNTING.md), defined once.

Format names, the engine version, the vocabularies (stages, line kinds, allocation methods,
distributions, pedigree dimensions) and the size limits a document must stay within.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "ALLOCATION_METHODS",
    "BOUNDARY_STAGES",
    "DATASET_PATTERN",
    "DISTRIBUTIONS",
    "ENGINE_VERSION",
    "FACTORS_FORMAT",
    "ID_PATTERN",
    "INVENTORY_FORMAT",
    "LIMITS",
    "LINE_KINDS",
    "PRIMARY",
    "QUALITY_DIMENSIONS",
    "SECONDARY",
    "SOURCES",
    "STAGES",
    "SYSTEM_BOUNDARIES",
    "VERSION_PATTERN",
]

#: ``format`` of a factor dataset version.
FACTORS_FORMAT: Final = "tanji-factors/1"
#: ``format`` of an inventory (and of each sub-inventory).
INVENTORY_FORMAT: Final = "tanji-inventory/1"
#: The calculation's version: a footprint records it; a change of any rule of PROTOCOL.md
#: "Footprint calculation" is a new engine version.
ENGINE_VERSION: Final = "tanji-calc/1"

#: Life-cycle stages, in the order breakdowns list them.
STAGES: Final = ("raw_materials", "production", "distribution", "use", "end_of_life")
#: Kinds of inventory line.
LINE_KINDS: Final = ("material", "energy", "transport", "process", "waste")
#: Co-product allocation methods (``none`` has share 1).
ALLOCATION_METHODS: Final = ("none", "mass", "economic", "physical")
#: System boundaries and the stages each lets lines have.
BOUNDARY_STAGES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "cradle-to-gate": ("raw_materials", "production"),
        "gate-to-gate": ("production",),
        "cradle-to-grave": STAGES,
    }
)
SYSTEM_BOUNDARIES: Final = tuple(BOUNDARY_STAGES)
#: Data sources of a line's value: attested or measured (primary), database factors (secondary).
PRIMARY: Final = "primary"
SECONDARY: Final = "secondary"
SOURCES: Final = (PRIMARY, SECONDARY)
#: Uncertainty distributions (Brightway's ``stats_arrays``) and the parameters each needs.
DISTRIBUTIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "none": (),
        "normal": ("sd",),
        "lognormal": ("gsd",),
        "triangular": ("min", "max"),
        "uniform": ("min", "max"),
    }
)
#: Pedigree-matrix dimensions of a factor's ``quality`` (1 best ... 5 worst).
QUALITY_DIMENSIONS: Final = (
    "reliability",
    "completeness",
    "temporal",
    "geographical",
    "technological",
)
#: Ids of factors, lines, inventories: a letter or digit, then letters, digits, ``._:-``.
ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
#: Dataset names and versions.
DATASET_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
VERSION_PATTERN: Final = re.compile(r"[0-9A-Za-z.\-]{1,32}")

#: Bounds a document stays within (what a hostile document can cost).
LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "MAX_LINES": 20_000,  # lines of one inventory
        "MAX_TREE_LINES": 100_000,  # lines of an inventory and all its sub-inventories
        "MAX_SUB_INVENTORIES": 200,  # sub-inventories in the whole tree
        "MAX_DEPTH": 4,  # nesting of sub-inventories below the root
        "MAX_FACTORS": 50_000,  # factors of one dataset version
        "MAX_DATASETS": 64,  # factor dataset versions one inventory names
        "MAX_DEPRECATES": 50_000,  # ids a dataset version deprecates
        "MAX_ID": 128,
        "MAX_NAME": 200,
        "MAX_TEXT": 500,  # source fields, product fields
        "MAX_URL": 2_000,
        "MAX_NOTES": 2_000,
    }
)
