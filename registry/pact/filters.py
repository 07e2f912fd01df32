"""ListFootprints criteria (PACT v3) and how a ProductFootprint matches them.

Within one criterion the values are alternatives (OR); across criteria all must hold (AND):
``?productId=x&productId=y&geography=DE`` is ``(productId x OR y) AND geography DE``. The same
criteria arrive as the ``data`` of a ``RequestCreated`` event (:meth:`Criteria.from_event`).

- ``productId``, ``companyId``, ``classification``: the footprint lists one of the values in
  ``productIds`` / ``companyIds`` / ``productClassifications``;
- ``geography``: a value names the footprint's region, country or subdivision, or the country of
  its subdivision (``CN`` matches a footprint of ``CN-CQ``: it lies within);
- ``validOn``: start <= validOn < end of the validity period; ``validAfter``: validAfter < start;
  ``validBefore``: end < validBefore. Without a validity period a footprint is valid for three
  years from its ``referencePeriodEnd`` (the spec's default);
- ``status``: ``Active`` or ``Deprecated`` (another value matches nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final

from registry.pact.errors import PactApiError

LIST_CRITERIA: Final = ("productId", "companyId", "geography", "classification")
DATE_CRITERIA: Final = ("validOn", "validAfter", "validBefore")
STATUSES: Final = ("Active", "Deprecated")
#: Query parameters names are matched case-insensitively (the spec's own example writes
#: ``productid``).
_NAMES: Final = {name.lower(): name for name in (*LIST_CRITERIA, *DATE_CRITERIA, "status")}
_DEFAULT_VALIDITY_YEARS: Final = 3


@dataclass(frozen=True)
class Criteria:
    """Parsed ListFootprints / RequestCreated criteria; empty ones match everything."""

    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: dict[str, datetime] = field(default_factory=dict)
    status: str | None = None

    @classmethod
    def from_query(cls, items: Iterable[tuple[str, str]]) -> Criteria:
        """From query parameters (repeated names add values); others are ignored."""
        lists: dict[str, list[str]] = {}
        dates: dict[str, datetime] = {}
        status: str | None = None
        for raw, value in items:
            name = _NAMES.get(raw.lower())
            if name is None:
                continue
            if name in LIST_CRITERIA:
                lists.setdefault(name, []).extend(v for v in value.split(",") if v)
            elif name in DATE_CRITERIA:
                dates[name] = _instant(value, name)
            else:
                status = _status(value)
        return cls({k: tuple(v) for k, v in lists.items() if v}, dates, status)

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> Criteria:
        """From a RequestCreated event's ``data`` (lists as JSON arrays or single strings)."""
        pairs: list[tuple[str, str]] = []
        legacy = data.get("pf") if isinstance(data.get("pf"), Mapping) else None
        if legacy is not None and isinstance(legacy.get("productIds"), list):
            pairs += [("productId", str(v)) for v in legacy["productIds"]]  # v2's fragment
        for name in (*LIST_CRITERIA, *DATE_CRITERIA, "status"):
            value = data.get(name)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise PactApiError(f"data.{name} must hold strings", code="BadRequest")
            pairs += [(name, v) for v in values]
        return cls.from_query(pairs)

    @property
    def empty(self) -> bool:
        """True when no criterion is given."""
        return not self.lists and not self.dates and self.status is None

    def matches(self, doc: Mapping[str, Any]) -> bool:
        """True when ``doc`` meets every criterion (AND), each by one of its values (OR)."""
        pcf = doc.get("pcf") or {}
        have = {
            "productId": set(doc.get("productIds") or ()),
            "companyId": set(doc.get("companyIds") or ()),
            "classification": set(doc.get("productClassifications") or ()),
            "geography": _geographies(pcf),
        }
        for name, values in self.lists.items():
            wanted = {v.upper() for v in values} if name == "geography" else set(values)
            if not wanted & have[name]:
                return False
        if self.status is not None and doc.get("status") != self.status:
            return False
        if self.dates:
            start, end = _validity(doc)
            on = self.dates.get("validOn")
            after = self.dates.get("validAfter")
            before = self.dates.get("validBefore")
            if on is not None and not start <= on < end:
                return False
            if after is not None and not after < start:
                return False
            if before is not None and not end < before:
                return False
        return True


def _status(value: str) -> str:
    # Any other value matches no footprint (an empty list, as the conformance tool expects).
    return value


def _instant(value: str, name: str) -> datetime:
    """A date or date-time string as an aware datetime (a date is its 00:00Z)."""
    text = value.strip().replace("z", "Z")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PactApiError(f"{name} must be a date or date-time, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _geographies(pcf: Mapping[str, Any]) -> set[str]:
    out = set()
    for name in ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision"):
        value = pcf.get(name)
        if isinstance(value, str) and value:
            out.add(value.upper())
    subdivision = pcf.get("geographyCountrySubdivision")
    if isinstance(subdivision, str) and "-" in subdivision:
        out.add(subdivision.split("-", 1)[0].upper())
    return out


def _validity(doc: Mapping[str, Any]) -> tuple[datetime, datetime]:
    start, end = doc.get("validityPeriodStart"), doc.get("validityPeriodEnd")
    if isinstance(start, str) and isinstance(end, str):
        return _instant(start, "validityPeriodStart"), _instant(end, "validityPeriodEnd")
    ref_end = _instant(str((doc.get("pcf") or {}).get("referencePeriodEnd")), "referencePeriodEnd")
    try:
        until = ref_end.replace(year=ref_end.year + _DEFAULT_VALIDITY_YEARS)
    except ValueError:  # 29 February
        until = ref_end.replace(year=ref_end.year + _DEFAULT_VALIDITY_YEARS, day=28)
    return ref_end, until
