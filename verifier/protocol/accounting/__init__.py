"""Footprint accounting: factor datasets, inventories, the exact calculation, category rules.

The verifier's half of docs/ACCOUNTING.md: it reads and checks the two documents
(``tanji-factors/1``, ``tanji-inventory/1``), computes a footprint from them in exact decimal
arithmetic (docs/PROTOCOL.md, "Footprint calculation"), checks an inventory against its
category's rules, and compares a computed footprint with an anchored record. The registry
(``registry/factors``, ``registry/accounting``) imports it from here; it imports nothing of the
registry::

    from verifier.protocol import accounting

    dataset = accounting.parse_factor_dataset(open("cn-grid-2024.1.json", "rb").read())
    inventory = accounting.parse_inventory(open("laptop.yaml", "rb").read())
    footprint = accounting.calculate(inventory, [dataset])
    print(footprint.to_dict()["kg_co2e_per_unit"])

Every refusal is an :class:`AccountingError` listing each fault (``code``, ``path``).
"""

from verifier.protocol.accounting.calculation import Footprint, LineResult, calculate
from verifier.protocol.accounting.compare import (
    Comparison,
    Finding,
    compare_disclosed_lines,
    compare_with_record,
)
from verifier.protocol.accounting.decimals import (
    CONTEXT,
    LINE_EXPONENT,
    PERCENT_EXPONENT,
    divide_rounded,
    fixed,
)
from verifier.protocol.accounting.documents import document_digest, load_document
from verifier.protocol.accounting.errors import AccountingError, Issue
from verifier.protocol.accounting.factors import (
    CO2E,
    Factor,
    FactorDataset,
    Uncertainty,
    parse_factor_dataset,
)
from verifier.protocol.accounting.formats import (
    ALLOCATION_METHODS,
    BOUNDARY_STAGES,
    DISTRIBUTIONS,
    ENGINE_VERSION,
    FACTORS_FORMAT,
    INVENTORY_FORMAT,
    LIMITS,
    LINE_KINDS,
    PRIMARY,
    QUALITY_DIMENSIONS,
    SECONDARY,
    STAGES,
    SYSTEM_BOUNDARIES,
)
from verifier.protocol.accounting.gwp import GASES, GWP_SETS, GwpSet
from verifier.protocol.accounting.inventory import (
    Component,
    DatasetRef,
    FactorRef,
    Inventory,
    Line,
    parse_inventory,
)
from verifier.protocol.accounting.inventory_record import (
    disclosed_document,
    inventory_document,
    inventory_record,
    line_field,
)
from verifier.protocol.accounting.rules import (
    CategoryRules,
    check_category_rules,
    parse_category_rules,
)
from verifier.protocol.accounting.units import (
    UNIT_TABLE,
    EmissionUnit,
    Unit,
    UnitError,
    parse_emission_unit,
    parse_unit,
)

__all__ = [
    "ALLOCATION_METHODS",
    "BOUNDARY_STAGES",
    "CO2E",
    "CONTEXT",
    "DISTRIBUTIONS",
    "ENGINE_VERSION",
    "FACTORS_FORMAT",
    "GASES",
    "GWP_SETS",
    "INVENTORY_FORMAT",
    "LIMITS",
    "LINE_EXPONENT",
    "LINE_KINDS",
    "PERCENT_EXPONENT",
    "PRIMARY",
    "QUALITY_DIMENSIONS",
    "SECONDARY",
    "STAGES",
    "SYSTEM_BOUNDARIES",
    "UNIT_TABLE",
    "AccountingError",
    "CategoryRules",
    "Comparison",
    "Component",
    "DatasetRef",
    "EmissionUnit",
    "Factor",
    "FactorDataset",
    "FactorRef",
    "Finding",
    "Footprint",
    "GwpSet",
    "Inventory",
    "Issue",
    "Line",
    "LineResult",
    "Uncertainty",
    "Unit",
    "UnitError",
    "calculate",
    "check_category_rules",
    "compare_disclosed_lines",
    "compare_with_record",
    "disclosed_document",
    "divide_rounded",
    "document_digest",
    "fixed",
    "inventory_document",
    "inventory_record",
    "line_field",
    "load_document",
    "parse_category_rules",
    "parse_emission_unit",
    "parse_factor_dataset",
    "parse_inventory",
    "parse_unit",
]
