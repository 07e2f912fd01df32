"""Global warming potentials over 100 years: the GWP sets a calculation weighs gases with.

Data, with where each figure is printed. A set's gas names are the names a factor's ``gases`` and
a ``process`` line's ``gas`` use; CO2 is 1 by definition. AR6 distinguishes fossil from
non-fossil methane and so has no plain ``CH4``; AR5's Table 8.7 gives one methane value (28,
without climate-carbon feedbacks), used for all three methane names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

__all__ = ["GASES", "GWP_SETS", "GwpSet"]


@dataclass(frozen=True, slots=True)
class GwpSet:
    """One GWP-100 set: ``values`` by gas name (exact decimals) and the citation they come from."""

    name: str
    values: Mapping[str, Decimal]
    source: Mapping[str, str]


def _set(name: str, values: dict[str, str], source: dict[str, str]) -> GwpSet:
    return GwpSet(
        name,
        MappingProxyType({gas: Decimal(text) for gas, text in values.items()}),
        MappingProxyType(source),
    )


#: The GWP sets by the name an inventory's and a factor's ``gwp`` member use.
GWP_SETS: Final[Mapping[str, GwpSet]] = MappingProxyType(
    {
        "AR5-100": _set(
            "AR5-100",
            {"CO2": "1", "CH4": "28", "CH4-fossil": "28", "CH4-non-fossil": "28", "N2O": "265"},
            {
                "document": "IPCC, 2013: Climate Change 2013: The Physical Science Basis. "
                "Contribution of Working Group I to the Fifth Assessment Report, Chapter 8 "
                "(Myhre et al., Anthropogenic and Natural Radiative Forcing)",
                "table": "Table 8.7 (GWP100, no climate-carbon feedbacks)",
                "url": "https://www.ipcc.ch/report/ar5/wg1/",
            },
        ),
        "AR6-100": _set(
            "AR6-100",
            {"CO2": "1", "CH4-fossil": "29.8", "CH4-non-fossil": "27.0", "N2O": "273"},
            {
                "document": "IPCC, 2021: Climate Change 2021: The Physical Science Basis. "
                "Contribution of Working Group I to the Sixth Assessment Report, Chapter 7 "
                "(Forster et al., The Earth's Energy Budget, Climate Feedbacks and Climate "
                "Sensitivity)",
                "table": "Table 7.15 (GWP-100)",
                "url": "https://www.ipcc.ch/report/ar6/wg1/",
            },
        ),
    }
)

#: Every gas name any set knows, in a fixed order (breakdowns list gases in this order).
GASES: Final[tuple[str, ...]] = ("CO2", "CH4", "CH4-fossil", "CH4-non-fossil", "N2O")
