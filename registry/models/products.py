"""An enterprise's products: a GTIN under one of its confirmed GS1 prefixes, a name, a category.

A product is how the enterprise's console groups what Tanji holds about one article: the
footprints submitted with its GTIN and the labels issued for them (both found by the GTIN, which
is why a product's GTIN does not change once it is made). The GTIN is stored in the 14-digit form
GS1 Digital Link uses (:func:`registry.qr.normalize_gtin`, the one GS1 check-digit check); the
organisation must hold it through a confirmed prefix
(:func:`registry.crud.prefixes.check_gtin_owned`).
Names are keyed by language tag (:data:`registry.i18n.NAME_KEYS`), the category is a code of
:data:`registry.catalogue.FOOTPRINT_CATEGORIES`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.catalogue import FOOTPRINT_CATEGORIES
from registry.errors import InvalidInputError
from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.models.footprints import LocalizedName
from registry.qr import normalize_gtin

__all__ = [
    "Product",
    "ProductCreate",
    "ProductPublic",
    "ProductUpdate",
    "ProductsPublic",
    "check_category",
    "check_gtin",
]


class Product(SQLModel, table=True):
    """One product of an enterprise, numbered by a GTIN it holds."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("org_id", "gtin"),)
    id: str = SQLField(primary_key=True, max_length=32)
    org_id: str = SQLField(foreign_key="organisation.id", index=True, max_length=64)
    #: GTIN-14 (GS1 Digital Link form); fixed once made.
    gtin: str = SQLField(index=True, max_length=14)
    #: By language tag (registry.i18n.NAME_KEYS): zh and en always, zh-Hant optional.
    name: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    category: str = SQLField(max_length=64)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


def check_gtin(value: str) -> str:
    """``value`` as a GTIN-14 (check digit checked), else the error ``invalid_gtin``."""
    try:
        return normalize_gtin(value)
    except InvalidInputError as exc:
        raise PydanticCustomError("invalid_gtin", exc.message) from None


def check_category(value: str) -> str:
    """``value`` when it is a catalogue category code, else ``unknown_category``."""
    if value not in FOOTPRINT_CATEGORIES:
        raise PydanticCustomError(
            "unknown_category",
            "unknown product category '{value}'; known: {known}",
            {"value": value[:64], "known": ", ".join(FOOTPRINT_CATEGORIES)},
        )
    return value


class ProductCreate(StrictInput):
    """Body of ``POST /api/v1/products``."""

    gtin: str = Field(
        max_length=14,
        description="GTIN-8, -12, -13 or -14 with its check digit, under a GS1 company prefix "
        "confirmed for the organisation; stored as 14 digits",
    )
    name: LocalizedName
    category: str = Field(max_length=64, description="a catalogue code (GET /api/v1/categories)")

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str) -> str:
        return check_gtin(value)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return check_category(value)


class ProductUpdate(StrictInput):
    """Body of ``PATCH /api/v1/products/{product_id}``: the members to change (the GTIN stays)."""

    name: LocalizedName | None = None
    category: str | None = Field(default=None, max_length=64)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        return None if value is None else check_category(value)


class ProductPublic(BaseModel):
    id: str
    org_id: str
    gtin: str
    name: dict[str, str]
    category: str
    created_at: datetime
    updated_at: datetime
    footprint_ids: list[str] = Field(description="the organisation's footprints with this GTIN")
    label_ids: list[str] = Field(description="labels issued for this GTIN, newest first")


class ProductsPublic(BaseModel):
    data: list[ProductPublic]
    count: int
