"""The demo's districts: each demo enterprise is registered in the district its name carries.

The demo's companies are named for where they are (示例璧山智能终端有限公司 is in Bishan), so the
city's charts have districts to show. A name that carries no district's name (示例西永…) stays
unassigned, as a real registry has organisations nobody placed yet.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registry.audit import CLI, set_actor
from registry.city.districts import districts
from registry.crud.orgs import set_district
from registry.models.orgs import Organisation, OrgRole

__all__ = ["district_in_name", "register_demo_districts"]

_SUFFIXES = ("土家族苗族自治县", "苗族土家族自治县", "土家族自治县", "新区", "区", "县")


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def district_in_name(name: str) -> str | None:
    """The id of the district whose Simplified Chinese name (without 区, 县, ...) is in
    ``name``, if one is."""
    for district in districts():
        if _stem(district.names["zh-Hans"]) in name:
            return district.id
    return None


def register_demo_districts(engine: Engine) -> int:
    """Register each enterprise with no district in the one its name carries (as the operator,
    audited); returns how many were placed."""
    placed = 0
    with Session(engine) as session:
        set_actor(session, CLI)
        rows = session.exec(
            select(Organisation).where(
                Organisation.role == OrgRole.ENTERPRISE, col(Organisation.district).is_(None)
            )
        ).all()
        for org in rows:
            found = district_in_name(org.name)
            if found is not None:
                set_district(session, org_id=org.id, district=found)
                placed += 1
        session.commit()
    return placed
