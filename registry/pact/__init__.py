"""WBCSD PACT v3: the ProductFootprint data model and the PACT REST API of the registry.

Modules, each named for what it holds:

- :mod:`registry.pact.datamodel`: the Tanji <-> PACT mapping table, constants, :class:`PactError`
- :mod:`registry.pact.export`: a Tanji footprint record as a ProductFootprint (pure)
- :mod:`registry.pact.importing`: a ProductFootprint read as a Tanji footprint (pure)

The export and import functions are re-exported here, so ``from registry.pact import
footprint_to_pact`` keeps working.
"""

from registry.pact.datamodel import (
    DEFAULT_DOMAIN,
    EXTENSION_FIELDS,
    EXTENSION_SPEC_VERSION,
    PACT_NAME_LANGUAGE,
    PACT_SPEC_VERSION,
    PACT_TO_STANDARD,
    PACT_TO_UNIT,
    PACT_UNITS,
    PCF_EXTRA_FIELDS,
    REQUIRED_PCF,
    REQUIRED_PF,
    STANDARD_TO_PACT,
    TANJI_EXTENSION_DOCS,
    TANJI_EXTENSION_SCHEMA,
    UNIT_TO_PACT,
    PactError,
)
from registry.pact.export import footprint_to_pact
from registry.pact.importing import pact_to_footprint

__all__ = [
    "DEFAULT_DOMAIN",
    "EXTENSION_FIELDS",
    "EXTENSION_SPEC_VERSION",
    "PACT_NAME_LANGUAGE",
    "PACT_SPEC_VERSION",
    "PACT_TO_STANDARD",
    "PACT_TO_UNIT",
    "PACT_UNITS",
    "PCF_EXTRA_FIELDS",
    "REQUIRED_PCF",
    "REQUIRED_PF",
    "STANDARD_TO_PACT",
    "TANJI_EXTENSION_DOCS",
    "TANJI_EXTENSION_SCHEMA",
    "UNIT_TO_PACT",
    "PactError",
    "footprint_to_pact",
    "pact_to_footprint",
]
