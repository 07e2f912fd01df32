"""``/api/v1/products``: an enterprise's products, numbered by GTINs it holds.

- ``GET /api/v1/products``: the caller's products, newest first, with their footprints' and
  labels' ids (enterprises: :data:`registry.permissions.Action.PRODUCTS_READ`).
- ``POST /api/v1/products`` ``{gtin, name, category}``: make one (201). The GTIN must be under a
  GS1 company prefix confirmed for the organisation (403 ``gtin_not_owned``) with a right check
  digit (422 ``invalid_gtin``); one product per GTIN (409 ``product_exists``).
- ``GET /api/v1/products/{product_id}``: one (404 for another organisation's).
- ``PATCH /api/v1/products/{product_id}`` ``{name?, category?}``: change it (the GTIN stays).

Writing needs :data:`registry.permissions.Action.PRODUCTS_MANAGE`, the rule the console's
product pages check too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from sqlmodel import Session

from registry.api.deps import PageDep, SessionDep, permit
from registry.crud import products as crud
from registry.models.orgs import Organisation
from registry.models.products import (
    Product,
    ProductCreate,
    ProductPublic,
    ProductsPublic,
    ProductUpdate,
)
from registry.permissions import Action

router = APIRouter(prefix="/api/v1/products", tags=["products"])

ReadingOrg = Annotated[Organisation, Depends(permit(Action.PRODUCTS_READ))]
ProductsOrg = Annotated[Organisation, Depends(permit(Action.PRODUCTS_MANAGE))]
ProductId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]


def public_products(session: Session, rows: list[Product]) -> list[ProductPublic]:
    """``rows`` with their footprints' and labels' ids."""
    footprints = crud.product_footprints(session, rows)
    labels = crud.product_labels(session, rows)
    return [crud.to_public(row, footprints[row.gtin], labels[row.gtin]) for row in rows]


@router.get("")
def list_products(session: SessionDep, org: ReadingOrg, page: PageDep) -> ProductsPublic:
    """Your organisation's products, newest first."""
    rows, count = crud.list_products(session, org=org, offset=page.offset, limit=page.limit)
    return ProductsPublic(data=public_products(session, rows), count=count)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "the GTIN is under no prefix confirmed for you (gtin_not_owned)"},
        409: {"description": "you already have a product with this GTIN (product_exists)"},
    },
)
def create_product(body: ProductCreate, session: SessionDep, org: ProductsOrg) -> ProductPublic:
    """Make a product; its GTIN must be under a GS1 company prefix confirmed for you."""
    row = crud.create_product(session, org=org, body=body)
    session.commit()
    session.refresh(row)
    return crud.to_public(row, [], [])


@router.get("/{product_id}")
def get_product(product_id: ProductId, session: SessionDep, org: ReadingOrg) -> ProductPublic:
    """One of your products with its footprints' and labels' ids."""
    row = crud.get_product(session, org=org, product_id=product_id)
    return public_products(session, [row])[0]


@router.patch("/{product_id}")
def update_product(
    product_id: ProductId, body: ProductUpdate, session: SessionDep, org: ProductsOrg
) -> ProductPublic:
    """Change a product's name or category (its GTIN stays: footprints and labels follow it)."""
    row = crud.update_product(session, org=org, product_id=product_id, body=body)
    session.commit()
    session.refresh(row)
    return public_products(session, [row])[0]
