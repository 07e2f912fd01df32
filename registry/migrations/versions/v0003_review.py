"""Certification review: review events, comments and evidence documents.

Revision 0003, after 0002: four new tables (registry.models.reviews), no data moved. Column types
are written out here (plain SQLAlchemy types), not read from the models, so the revision does not
change when the models do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=64), nullable=nullable)


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "review",
        _id("id"),
        _id("footprint_id"),
        _id("enterprise_org_id"),
        _id("certifier_org_id", nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("change_request", sa.String(length=4000), nullable=True),
        _id("label_id", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(["certifier_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["enterprise_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["footprint_id"], ["footprint.id"]),
        sa.ForeignKeyConstraint(["label_id"], ["label.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("footprint_id"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        for column in ("certifier_org_id", "created_at", "enterprise_org_id", "state"):
            batch_op.create_index(batch_op.f(f"ix_review_{column}"), [column], unique=False)

    op.create_table(
        "review_event",
        sa.Column("id", sa.Integer(), nullable=False),
        _id("review_id"),
        sa.Column("kind", sa.String(length=24), nullable=False),
        _id("org_id", nullable=True),
        _id("actor", nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=True),
        _id("footprint_id", nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        _id("label_id", nullable=True),
        _at("created_at"),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_event_review_id"), ["review_id"], unique=False)

    op.create_table(
        "review_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        _id("review_id"),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _id("org_id"),
        _id("actor", nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "sha256", name="uq_review_evidence_digest"),
    )
    with op.batch_alter_table("review_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_evidence_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "review_footprint",
        _id("footprint_id"),
        _id("review_id"),
        sa.Column("position", sa.Integer(), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(["footprint_id"], ["footprint.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("footprint_id"),
    )
    with op.batch_alter_table("review_footprint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_footprint_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    for table in ("review_footprint", "review_evidence", "review_event"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_review_id"))
        op.drop_table(table)
    with op.batch_alter_table("review", schema=None) as batch_op:
        for column in ("state", "enterprise_org_id", "created_at", "certifier_org_id"):
            batch_op.drop_index(batch_op.f(f"ix_review_{column}"))
    op.drop_table("review")
