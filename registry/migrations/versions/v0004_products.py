"""Enterprise products with their GTINs, and supplier invitations (the console's enterprise area).

Revision 0004, after 0003: the ``product`` table (registry.models.products) and the
``supplier_invitation`` table (registry.models.supplier_invitations), no data moved.
Column types are written out here (plain SQLAlchemy types), not read from the models, so the
revision does not change when the models do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "product",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "gtin"),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_gtin"), ["gtin"], unique=False)

    op.create_table(
        "supplier_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("supplier_org_id", sa.String(length=64), nullable=False),
        sa.Column("component_id", sa.String(length=256), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["supplier_org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_invitation_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supplier_invitation_supplier_org_id"), ["supplier_org_id"], unique=False
        )
    _upgrade_inventory_drafts()


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("supplier_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_invitation_supplier_org_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_invitation_org_id"))
    op.drop_table("supplier_invitation")
    _downgrade_inventory_drafts()
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_gtin"))
        batch_op.drop_index(batch_op.f("ix_product_org_id"))
    op.drop_table("product")


# -- Inventory drafts (the console's inventories area, registry.models.inventory_drafts) ---------
# A separate section of the same revision: the enterprise's inventories being edited.


def _upgrade_inventory_drafts() -> None:
    op.create_table(
        "inventory_draft",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("inventory_id", sa.String(length=128), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("footprint_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inventory_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_draft_org_id"), ["org_id"], unique=False)


def _downgrade_inventory_drafts() -> None:
    with op.batch_alter_table("inventory_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_draft_org_id"))
    op.drop_table("inventory_draft")
