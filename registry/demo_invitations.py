"""``tanji demo``'s open request: the storage-pack maker asks its module supplier for an
attestation, so the demo's supplier person finds it waiting at ``/console/signing/attest``.

The invitation is the enterprise console's own (:func:`registry.crud.supplier_invitations.
invite_supplier`); a re-run finds it still open and changes nothing. The supplier answers it in
the browser with its demo key (``keystore/demo/supplier-<key>.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registry.crud.supplier_invitations import invite_supplier
from registry.demo_client import DemoError
from registry.models.orgs import Organisation, OrgRole

__all__ = ["NOTE", "seed_invitation"]

#: What the customer writes with its request.
NOTE: Final = "2027 update of the module footprint, please (demo request)"


def _enterprise(session: Session, name: str) -> Organisation:
    org = session.exec(
        select(Organisation)
        .where(Organisation.name == name, Organisation.role == OrgRole.ENTERPRISE)
        .order_by(col(Organisation.created_at))
    ).first()
    if org is None:
        raise DemoError(f"the demo has no enterprise {name}")
    return org


def seed_invitation(engine: Engine, mission: Mapping[str, Any]) -> tuple[str, str]:
    """The labelled product's company asks its direct supplier (``mission["supply_chain"]``)
    to attest the supplier's component; returns (supplier name, component id)."""
    chain = mission["supply_chain"]
    direct = {component["supplier"] for component in chain["components"]}
    supplier = next(s for s in chain["suppliers"] if s["key"] in direct)
    component = str(supplier["message"]["componentId"])
    with Session(engine) as session:
        customer = _enterprise(session, str(chain["product"]["company"]))
        supplier_org = _enterprise(session, str(supplier["name"]))
        invite_supplier(
            session,
            org=customer,
            supplier_org_id=supplier_org.id,
            component_id=component,
            note=NOTE,
        )
        session.commit()
    return str(supplier["name"]), component
