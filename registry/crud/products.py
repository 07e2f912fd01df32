"""An enterprise's products: make, change, list them, and find their footprints and labels.

A product's GTIN must be under one of the organisation's confirmed GS1 company prefixes, the
same rule footprints follow (:func:`registry.crud.prefixes.check_gtin_owned`, 403
``gtin_not_owned``); an organisation numbers a GTIN once (409 ``product_exists``). Another
organisation's product reads as absent (404). Every change is audited. Functions flush, never
commit: the route commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from registry.audit import record_audit
from registry.crud.prefixes import check_gtin_owned
from registry.errors import ConflictError, NotFoundError
from registry.ids import new_record_id
from registry.models.common import utcnow
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.models.products import Product, ProductCreate, ProductPublic, ProductUpdate

__all__ = [
    "SUBJECT",
    "create_product",
    "get_product",
    "list_products",
    "product_footprints",
    "product_labels",
    "to_public",
    "update_product",
]

#: The audit log's subject type of a product.
SUBJECT: Final = "product"


def _snapshot(row: Product) -> dict[str, Any]:
    return {
        "org_id": row.org_id,
        "gtin": row.gtin,
        "name": dict(row.name),
        "category": row.category,
    }


def _taken(gtin: str) -> ConflictError:
    return ConflictError(
        f"your organisation already has a product with GTIN {gtin}",
        code="product_exists",
        field="gtin",
        details=[{"gtin": gtin}],
    )


def create_product(session: Session, *, org: Organisation, body: ProductCreate) -> Product:
    """Make a product of ``org`` (no commit); its GTIN must be one the organisation holds."""
    check_gtin_owned(session, org_id=org.id, gtin14=body.gtin)
    existing = session.exec(
        select(Product).where(Product.org_id == org.id, Product.gtin == body.gtin)
    ).first()
    if existing is not None:
        raise _taken(body.gtin)
    row = Product(
        id=new_record_id("prd"),
        org_id=org.id,
        gtin=body.gtin,
        name=dict(body.name),
        category=body.category,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same GTIN by a concurrent request
        session.rollback()
        raise _taken(body.gtin) from None
    record_audit(
        session,
        action="product.create",
        subject_type=SUBJECT,
        subject_id=row.id,
        after=_snapshot(row),
    )
    return row


def get_product(session: Session, *, org: Organisation, product_id: str) -> Product:
    """``org``'s product ``product_id``; :class:`NotFoundError` otherwise (also for another
    organisation's)."""
    row = session.get(Product, product_id)
    if row is None or row.org_id != org.id:
        raise NotFoundError(
            f"your organisation has no product {product_id[:64]!r}", field="product_id"
        )
    return row


def update_product(
    session: Session, *, org: Organisation, product_id: str, body: ProductUpdate
) -> Product:
    """Change a product's name or category (no commit); its GTIN stays."""
    row = get_product(session, org=org, product_id=product_id)
    before = _snapshot(row)
    if body.name is not None:
        row.name = dict(body.name)
    if body.category is not None:
        row.category = body.category
    after = _snapshot(row)
    if after == before:
        return row
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="product.update",
        subject_type=SUBJECT,
        subject_id=row.id,
        before=before,
        after=after,
    )
    return row


def list_products(
    session: Session, *, org: Organisation, offset: int = 0, limit: int = 100
) -> tuple[list[Product], int]:
    """A page of ``org``'s products (newest first) and how many there are."""
    query = select(Product).where(Product.org_id == org.id)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Product.created_at).desc(), col(Product.id)).offset(offset).limit(limit)
    ).all()
    return list(rows), int(count)


def product_footprints(session: Session, products: Sequence[Product]) -> dict[str, list[Footprint]]:
    """Each product's footprints (its organisation's, with its GTIN), oldest first, by GTIN."""
    found: dict[str, list[Footprint]] = {p.gtin: [] for p in products}
    if not products:
        return found
    org_ids = {p.org_id for p in products}
    rows = session.exec(
        select(Footprint)
        .where(col(Footprint.org_id).in_(org_ids), col(Footprint.gtin).in_(list(found)))
        .order_by(col(Footprint.created_at), col(Footprint.id))
    ).all()
    for row in rows:
        if row.gtin is not None:
            found[row.gtin].append(row)
    return found


def product_labels(session: Session, products: Sequence[Product]) -> dict[str, list[Label]]:
    """Each product's labels (issued to its organisation for its GTIN), newest first, by GTIN."""
    found: dict[str, list[Label]] = {p.gtin: [] for p in products}
    if not products:
        return found
    org_ids = {p.org_id for p in products}
    rows = session.exec(
        select(Label)
        .where(col(Label.enterprise_org_id).in_(org_ids), col(Label.gtin).in_(list(found)))
        .order_by(col(Label.created_at).desc(), col(Label.id))
    ).all()
    for row in rows:
        if row.gtin is not None:
            found[row.gtin].append(row)
    return found


def to_public(
    row: Product, footprints: Sequence[Footprint], labels: Sequence[Label]
) -> ProductPublic:
    """The API view of a product with the ids of its footprints and labels."""
    return ProductPublic(
        id=row.id,
        org_id=row.org_id,
        gtin=row.gtin,
        name=dict(row.name),
        category=row.category,
        created_at=row.created_at,
        updated_at=row.updated_at,
        footprint_ids=[f.id for f in footprints],
        label_ids=[label.id for label in labels],
    )
