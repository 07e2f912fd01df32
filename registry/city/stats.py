"""The city's aggregate figures: footprints and labels by category, district or grade, by month.

Every figure is one SQL ``GROUP BY`` over a bounded month range (at most :data:`MAX_MONTHS`),
answered from the covering indexes ``ix_footprint_stats`` and ``ix_label_stats`` (revision 0005):
no Python loop over rows. The result, an :class:`Aggregate`, is the one source of the console's
chart, its table and its CSV, and of ``GET /api/v1/stats`` (JSON or CSV), so every number is the
same wherever it is read.

What is counted:

- ``footprints``: footprints submitted in the month (any status);
- ``labels``: labels issued in the month (every issuance: a label later revoked or superseded
  still counts in the month it was issued; a correction or a reissue is a new issuance);
- ``by``: the footprint's ``category`` (a label: its footprint's), the ``district`` the
  organisation is registered in (:mod:`registry.city.districts`; :data:`UNASSIGNED` when none),
  or a label's ``grade``.

Months are calendar months in UTC, ``YYYY-MM``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from registry.catalogue import FOOTPRINT_CATEGORIES
from registry.city.districts import UNASSIGNED, districts
from registry.errors import InvalidInputError
from registry.grading import GRADES
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation

__all__ = [
    "MAX_MONTHS",
    "Aggregate",
    "GroupBy",
    "Measure",
    "aggregate",
    "default_range",
    "month_range",
    "to_csv",
]

Measure = Literal["footprints", "labels"]
GroupBy = Literal["category", "district", "grade"]
MEASURES: Final[tuple[str, ...]] = get_args(Measure)
GROUPINGS: Final[tuple[str, ...]] = get_args(GroupBy)
#: The longest range one aggregate covers (months): every answer stays small and quick.
MAX_MONTHS: Final = 60
#: The range shown when none is asked for (months, ending with the current one).
DEFAULT_MONTHS: Final = 12
_MONTH: Final = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Aggregate:
    """Counts by month and key: the data behind one chart, its table and its CSV."""

    measure: Measure
    by: GroupBy
    months: list[str]  # every month of the range, in order
    keys: list[str]  # the keys with a count, in their catalogue's order
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (month, key) -> count
    category: str | None = None
    district: str | None = None

    def count(self, month: str, key: str) -> int:
        """The count of ``key`` in ``month`` (0 when none)."""
        return self.counts.get((month, key), 0)

    def month_total(self, month: str) -> int:
        """Every key's count in ``month``."""
        return sum(self.count(month, key) for key in self.keys)

    def key_total(self, key: str) -> int:
        """``key``'s count over the range."""
        return sum(self.count(month, key) for month in self.months)

    @property
    def total(self) -> int:
        """The count over the range."""
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        """The API's JSON view: one row per month, its counts by key and its total."""
        return {
            "measure": self.measure,
            "by": self.by,
            "from": self.months[0],
            "to": self.months[-1],
            "category": self.category,
            "district": self.district,
            "keys": self.keys,
            "data": [
                {
                    "month": month,
                    "counts": {key: self.count(month, key) for key in self.keys},
                    "total": self.month_total(month),
                }
                for month in self.months
            ],
            "total": self.total,
        }


def _read_month(value: str, what: str) -> tuple[int, int]:
    found = _MONTH.fullmatch(value)
    if found is None:
        raise InvalidInputError(
            f"a month is written YYYY-MM (e.g. 2026-03), got {value[:20]!r}",
            code="bad_month",
            field=what,
        )
    return int(found[1]), int(found[2])


def _months(start: tuple[int, int], end: tuple[int, int]) -> list[str]:
    (year, month), out = start, []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def default_range(now: datetime | None = None) -> tuple[str, str]:
    """The last :data:`DEFAULT_MONTHS` months, ending with the current one (UTC)."""
    now = now or datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - (DEFAULT_MONTHS - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}", f"{now.year:04d}-{now.month:02d}"


def month_range(start: str | None, end: str | None, now: datetime | None = None) -> list[str]:
    """The months from ``start`` to ``end`` (``YYYY-MM``, both included; default
    :func:`default_range`); 422 ``bad_month``, ``bad_range`` or ``range_too_long``."""
    first, last = default_range(now)
    begin, finish = _read_month(start or first, "from"), _read_month(end or last, "to")
    if begin > finish:
        raise InvalidInputError(
            f"the range starts ({start}) after it ends ({end})", code="bad_range", field="from"
        )
    months = _months(begin, finish)
    if len(months) > MAX_MONTHS:
        raise InvalidInputError(
            f"a range covers at most {MAX_MONTHS} months; this one covers {len(months)}",
            code="range_too_long",
            field="from",
            details=[{"max_months": MAX_MONTHS, "months": len(months)}],
        )
    return months


def _bounds(months: list[str]) -> tuple[datetime, datetime]:
    year, month = _read_month(months[-1], "to")
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(*_read_month(months[0], "from"), 1, tzinfo=UTC)
    return start, datetime(year, month, 1, tzinfo=UTC)


def _month_of(session: Session, column: Any) -> Any:
    """SQL for the month (UTC) of a timestamp column, in the session's dialect: PostgreSQL's
    first instant of the month (``date_trunc``, cheaper per row than ``to_char``), SQLite's
    ``YYYY-MM`` text (it stores UTC timestamps as 'YYYY-MM-DD HH:MM:SS...')."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("month", func.timezone("UTC", column))
    return func.substr(column, 1, 7)


def _month_text(value: Any) -> str:
    """A month from :func:`_month_of` as ``YYYY-MM``."""
    return value.strftime("%Y-%m") if isinstance(value, datetime) else str(value)


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise InvalidInputError(
            f"{what} is one of {', '.join(choices)}; got {value[:40]!r}",
            code=f"bad_{what}",
            field=what,
        )


def _key_order(by: GroupBy) -> Callable[[str], tuple[int, str]]:
    if by == "grade":
        order = {grade: i for i, grade in enumerate(GRADES)}
    elif by == "category":
        order = {code: i for i, code in enumerate(FOOTPRINT_CATEGORIES)}
    else:
        order = {d.id: i for i, d in enumerate(districts())}
    return lambda key: (order.get(key, len(order)), key)


def aggregate(
    session: Session,
    *,
    measure: str,
    by: str,
    start: str | None = None,
    end: str | None = None,
    category: str | None = None,
    district: str | None = None,
    now: datetime | None = None,
) -> Aggregate:
    """Count ``measure`` by month and ``by`` over the months ``start``..``end``, optionally of
    one ``category`` and of one ``district`` (:data:`UNASSIGNED`: organisations in none).

    422 for an unknown measure or grouping (``bad_measure``, ``bad_by``), ``grade`` with
    footprints (``bad_by``: footprints have no grade), and a bad range (:func:`month_range`).
    """
    _check_choice(measure, MEASURES, "measure")
    _check_choice(by, GROUPINGS, "by")
    if by == "grade" and measure != "labels":
        raise InvalidInputError(
            "only labels have a grade: group footprints by category or district",
            code="bad_by",
            field="by",
        )
    months = month_range(start, end, now)
    lower, upper = _bounds(months)
    if measure == "labels":
        created, org_id = col(Label.created_at), col(Label.enterprise_org_id)
        query: Any = select(Label)
        needs_footprint = by == "category" or category is not None
        if needs_footprint:
            query = query.join(Footprint, col(Footprint.id) == col(Label.footprint_id))
    else:
        created, org_id = col(Footprint.created_at), col(Footprint.org_id)
        query = select(Footprint)
    if by == "district" or district is not None:
        query = query.join(Organisation, col(Organisation.id) == org_id)
    keys: dict[str, Any] = {
        "category": col(Footprint.category),
        "district": func.coalesce(col(Organisation.district), UNASSIGNED),
        "grade": col(Label.grade),
    }
    month = _month_of(session, created).label("month")
    key = keys[by].label("key")
    query = query.where(created >= lower, created < upper)
    if category is not None:
        query = query.where(col(Footprint.category) == category)
    if district == UNASSIGNED:
        query = query.where(col(Organisation.district).is_(None))
    elif district is not None:
        query = query.where(col(Organisation.district) == district)
    grouped = query.with_only_columns(month, key, func.count().label("n")).group_by(
        sa.literal_column("month"), sa.literal_column("key")
    )
    counts = {(_month_text(m), str(k)): int(n) for m, k, n in session.execute(grouped).all()}
    found = sorted({k for _, k in counts}, key=_key_order(by))  # type: ignore[arg-type]
    return Aggregate(
        measure=measure,  # type: ignore[arg-type]
        by=by,  # type: ignore[arg-type]
        months=months,
        keys=found,
        counts=counts,
        category=category,
        district=district,
    )


def to_csv(data: Aggregate) -> str:
    """The aggregate as CSV: a header of keys (category codes, district ids or grades), a row
    per month with each key's count and the total, and a last row of totals: the same numbers
    as the chart and its table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["month", *data.keys, "total"])
    for month in data.months:
        writer.writerow(
            [month, *(data.count(month, key) for key in data.keys), data.month_total(month)]
        )
    writer.writerow(["total", *(data.key_total(key) for key in data.keys), data.total])
    return out.getvalue()
