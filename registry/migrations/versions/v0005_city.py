"""City administration: districts of organisations, publisher confirmations, aggregate indexes.

Revision 0005, after 0004:

- ``organisation.district`` (nullable, indexed): the Chongqing district an organisation is
  registered in (registry.city.districts), where its footprints and labels count;
- ``publisher_confirmation``: the city's decision on each emission-factor publisher
  (registry.city.models);
- ``ix_footprint_stats``, ``ix_label_stats`` and ``ix_footprint_category_of``: covering indexes
  for the monthly aggregates (registry.city.stats).

Column types are written out here (plain SQLAlchemy types), not read from the models, so the
revision does not change when the models do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_organisation_district", ["district"], unique=False)

    op.create_table(
        "publisher_confirmation",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_org_id", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["decided_by_org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )
    with op.batch_alter_table("publisher_confirmation", schema=None) as batch_op:
        batch_op.create_index("ix_publisher_confirmation_status", ["status"], unique=False)

    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.create_index(
            "ix_footprint_stats", ["created_at", "category", "org_id"], unique=False
        )
        batch_op.create_index("ix_footprint_category_of", ["id", "category"], unique=False)
    with op.batch_alter_table("label", schema=None) as batch_op:
        batch_op.create_index(
            "ix_label_stats",
            ["created_at", "grade", "enterprise_org_id", "footprint_id"],
            unique=False,
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("label", schema=None) as batch_op:
        batch_op.drop_index("ix_label_stats")
    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.drop_index("ix_footprint_category_of")
        batch_op.drop_index("ix_footprint_stats")
    with op.batch_alter_table("publisher_confirmation", schema=None) as batch_op:
        batch_op.drop_index("ix_publisher_confirmation_status")
    op.drop_table("publisher_confirmation")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_district")
        batch_op.drop_column("district")
