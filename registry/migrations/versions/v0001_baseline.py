"""Baseline: the registry's tables as of the move to Alembic (frozen here, not read from models).

Revision 0001, the first. On an empty database it creates every table below. On a data dir of the
numbered steps before Alembic (``tanji_schema`` version 1, 2 or 3) it finishes those steps (step 2:
``label.reissue_of``; step 3: the ``PUBLISHER`` value of PostgreSQL's ``orgrole`` type) and creates
the tables the data dir lacks, as a new database has them, keeping every row. Either way it leaves
``tanji_schema`` at :data:`registry.migrations.LEGACY_RETIRED`, so an older Tanji refuses the
database instead of running its own steps on it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: The legacy version table and the version that retires it (registry.migrations; repeated here
#: because a shipped revision must not change when the code around it does).
LEGACY_TABLE = "tanji_schema"
LEGACY_RETIRED = 4

BASELINE = sa.MetaData()

sa.Table(
    "anchor_batch",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("root", sa.String(length=66), nullable=False),
    sa.Column("record_count", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("chain_id", sa.Integer(), nullable=True),
    sa.Column("contract", sa.String(length=42), nullable=True),
    sa.Column("tx_hash", sa.String(length=66), nullable=True),
    sa.Column("raw_tx", sa.String(), nullable=True),
    sa.Column("nonce", sa.Integer(), nullable=True),
    sa.Column("block_number", sa.Integer(), nullable=True),
    sa.Column("block_timestamp", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_anchor_batch_root", "root", unique=True),
    sa.Index("ix_anchor_batch_status", "status", unique=False),
)

sa.Table(
    "anchor_revocation",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("record_type", sa.String(length=64), nullable=False),
    sa.Column("record_id", sa.String(length=200), nullable=False),
    sa.Column("root", sa.String(length=66), nullable=False),
    sa.Column("leaf_hash", sa.String(length=66), nullable=False),
    sa.Column("reason", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("tx_hash", sa.String(length=66), nullable=True),
    sa.Column("raw_tx", sa.String(), nullable=True),
    sa.Column("nonce", sa.Integer(), nullable=True),
    sa.Column("block_number", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("record_type", "record_id"),
    sa.Index("ix_anchor_revocation_status", "status", unique=False),
)

sa.Table(
    "audit_entry",
    BASELINE,
    sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("org_id", sa.String(length=64), nullable=True),
    sa.Column("key_id", sa.String(length=64), nullable=True),
    sa.Column("via", sa.String(length=16), nullable=False),
    sa.Column("action", sa.String(length=64), nullable=False),
    sa.Column("subject_type", sa.String(length=64), nullable=False),
    sa.Column("subject_id", sa.String(length=200), nullable=False),
    sa.Column("before_digest", sa.String(length=66), nullable=True),
    sa.Column("after_digest", sa.String(length=66), nullable=True),
    sa.Column("prev_digest", sa.String(length=66), nullable=False),
    sa.Column("digest", sa.String(length=66), nullable=False),
    sa.Column("master_salt", sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_audit_entry_action", "action", unique=False),
    sa.Index("ix_audit_entry_org_id", "org_id", unique=False),
    sa.Index("ix_audit_entry_subject_id", "subject_id", unique=False),
)

sa.Table(
    "audit_head",
    BASELINE,
    sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("last_id", sa.Integer(), nullable=False),
    sa.Column("last_digest", sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "certificate_counter",
    BASELINE,
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("last", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("year"),
)

sa.Table(
    "organisation",
    BASELINE,
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column(
        "role",
        sa.Enum(
            "ENTERPRISE",
            "CERTIFICATION_BODY",
            "PARTNER_CERTIFIER",
            "PUBLISHER",
            "ADMIN",
            name="orgrole",
        ),
        nullable=False,
    ),
    sa.Column("address", sa.String(length=500), nullable=True),
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "pact_outbox",
    BASELINE,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("event", sa.JSON(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.String(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_pact_outbox_delivered_at", "delivered_at", unique=False),
    sa.Index("ix_pact_outbox_next_attempt_at", "next_attempt_at", unique=False),
)

sa.Table(
    "anchor_record",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("record_type", sa.String(length=64), nullable=False),
    sa.Column("record_id", sa.String(length=200), nullable=False),
    sa.Column("leaf_value", sa.JSON(), nullable=False),
    sa.Column("leaf_hash", sa.String(length=66), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("batch_id", sa.Integer(), nullable=True),
    sa.Column("leaf_index", sa.Integer(), nullable=True),
    sa.Column("proof", sa.JSON(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["batch_id"],
        ["anchor_batch.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("record_type", "record_id"),
    sa.Index("ix_anchor_record_batch_id", "batch_id", unique=False),
    sa.Index("ix_anchor_record_leaf_hash", "leaf_hash", unique=False),
    sa.Index("ix_anchor_record_status", "status", unique=False),
)

sa.Table(
    "api_key",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("key_id", sa.String(), nullable=False),
    sa.Column("key_hash", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_api_key_key_id", "key_id", unique=True),
    sa.Index("ix_api_key_org_id", "org_id", unique=False),
)

sa.Table(
    "attestation",
    BASELINE,
    sa.Column("id", sa.String(length=66), nullable=False),
    sa.Column("supplier_org_id", sa.String(), nullable=False),
    sa.Column("signer", sa.String(length=42), nullable=False),
    sa.Column("pushed_by_org_id", sa.String(), nullable=False),
    sa.Column("component_id", sa.String(length=256), nullable=False),
    sa.Column("product_id", sa.String(length=256), nullable=False),
    sa.Column("declared_unit", sa.String(length=32), nullable=False),
    sa.Column("kg_co2e_per_unit", sa.String(length=40), nullable=False),
    sa.Column("nonce", sa.String(length=66), nullable=False),
    sa.Column("expiry", sa.Integer(), nullable=False),
    sa.Column("upstream", sa.JSON(), nullable=False),
    sa.Column("depth", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("revocation_reason", sa.Integer(), nullable=True),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["pushed_by_org_id"],
        ["organisation.id"],
    ),
    sa.ForeignKeyConstraint(
        ["supplier_org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("supplier_org_id", "nonce"),
    sa.Index("ix_attestation_component_id", "component_id", unique=False),
    sa.Index("ix_attestation_pushed_by_org_id", "pushed_by_org_id", unique=False),
    sa.Index("ix_attestation_received_at", "received_at", unique=False),
    sa.Index("ix_attestation_signer", "signer", unique=False),
    sa.Index("ix_attestation_supplier_org_id", "supplier_org_id", unique=False),
)

sa.Table(
    "factor_dataset_version",
    BASELINE,
    sa.Column("id", sa.String(length=96), nullable=False),
    sa.Column("dataset", sa.String(length=63), nullable=False),
    sa.Column("version", sa.String(length=32), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("digest", sa.String(length=66), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("signer", sa.String(length=42), nullable=False),
    sa.Column("factor_count", sa.Integer(), nullable=False),
    sa.Column("deprecates", sa.JSON(), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("dataset", "seq"),
    sa.UniqueConstraint("dataset", "version"),
    sa.Index("ix_factor_dataset_version_created_at", "created_at", unique=False),
    sa.Index("ix_factor_dataset_version_dataset", "dataset", unique=False),
    sa.Index("ix_factor_dataset_version_org_id", "org_id", unique=False),
    sa.Index("ix_factor_dataset_version_signer", "signer", unique=False),
)

sa.Table(
    "footprint",
    BASELINE,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("content_hash", sa.String(), nullable=False),
    sa.Column("category", sa.String(), nullable=False),
    sa.Column("gtin", sa.String(), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("org_id", "content_hash"),
    sa.Index("ix_footprint_category", "category", unique=False),
    sa.Index("ix_footprint_created_at", "created_at", unique=False),
    sa.Index("ix_footprint_gtin", "gtin", unique=False),
    sa.Index("ix_footprint_org_id", "org_id", unique=False),
)

sa.Table(
    "id_prefix",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("org_id", sa.String(length=64), nullable=False),
    sa.Column("scheme", sa.String(length=16), nullable=False),
    sa.Column("prefix", sa.String(length=32), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("evidence", sa.String(length=500), nullable=True),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("confirmed_by_org_id", sa.String(length=64), nullable=True),
    sa.Column("confirmed_via", sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(
        ["confirmed_by_org_id"],
        ["organisation.id"],
    ),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("org_id", "scheme", "prefix"),
    sa.Index("ix_id_prefix_org_id", "org_id", unique=False),
    sa.Index("ix_id_prefix_prefix", "prefix", unique=False),
    sa.Index("ix_id_prefix_status", "status", unique=False),
)

sa.Table(
    "idempotency_entry",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("request_hash", sa.String(), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("response", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("org_id", "key"),
)

sa.Table(
    "pact_client",
    BASELINE,
    sa.Column("client_id", sa.String(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("secret_hash", sa.String(), nullable=False),
    sa.Column("events_url", sa.String(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("client_id"),
    sa.Index("ix_pact_client_org_id", "org_id", unique=False),
)

sa.Table(
    "pact_grant",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("owner_org_id", sa.String(), nullable=False),
    sa.Column("recipient_org_id", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
        ["owner_org_id"],
        ["organisation.id"],
    ),
    sa.ForeignKeyConstraint(
        ["recipient_org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("owner_org_id", "recipient_org_id"),
    sa.Index("ix_pact_grant_owner_org_id", "owner_org_id", unique=False),
    sa.Index("ix_pact_grant_recipient_org_id", "recipient_org_id", unique=False),
)

sa.Table(
    "pact_inbox",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("source", sa.String(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("event", sa.JSON(), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("org_id", "source", "event_id"),
    sa.Index("ix_pact_inbox_org_id", "org_id", unique=False),
    sa.Index("ix_pact_inbox_type", "type", unique=False),
)

sa.Table(
    "pact_peer",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("base_url", sa.String(), nullable=False),
    sa.Column("client_id", sa.String(), nullable=False),
    sa.Column("client_secret", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_pact_peer_base_url", "base_url", unique=False),
    sa.Index("ix_pact_peer_org_id", "org_id", unique=False),
)

sa.Table(
    "supplier_key",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("address", sa.String(length=42), nullable=False),
    sa.Column("label", sa.String(length=200), nullable=True),
    sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revocation_reason", sa.String(length=32), nullable=True),
    sa.Column("replaced_by", sa.String(length=42), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_supplier_key_address", "address", unique=True),
    sa.Index("ix_supplier_key_org_id", "org_id", unique=False),
)

sa.Table(
    "factor",
    BASELINE,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("version_id", sa.String(length=96), nullable=False),
    sa.Column("dataset", sa.String(length=63), nullable=False),
    sa.Column("version", sa.String(length=32), nullable=False),
    sa.Column("factor_id", sa.String(length=128), nullable=False),
    sa.Column("search_text", sa.String(), nullable=False),
    sa.Column("category", sa.String(length=16), nullable=True),
    sa.Column("geography", sa.String(length=16), nullable=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("illustrative", sa.Boolean(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(
        ["version_id"],
        ["factor_dataset_version.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("version_id", "factor_id"),
    sa.Index("ix_factor_category", "category", unique=False),
    sa.Index("ix_factor_dataset", "dataset", unique=False),
    sa.Index("ix_factor_factor_id", "factor_id", unique=False),
    sa.Index("ix_factor_geography", "geography", unique=False),
    sa.Index("ix_factor_illustrative", "illustrative", unique=False),
    sa.Index("ix_factor_version_id", "version_id", unique=False),
)

sa.Table(
    "factor_dataset_revocation",
    BASELINE,
    sa.Column("version_id", sa.String(length=96), nullable=False),
    sa.Column("key_address", sa.String(length=42), nullable=False),
    sa.Column("reason", sa.Integer(), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["version_id"],
        ["factor_dataset_version.id"],
    ),
    sa.PrimaryKeyConstraint("version_id"),
)

sa.Table(
    "footprint_factor",
    BASELINE,
    sa.Column("footprint_id", sa.String(), nullable=False),
    sa.Column("dataset", sa.String(length=63), nullable=False),
    sa.Column("version", sa.String(length=32), nullable=False),
    sa.Column("factor_id", sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(
        ["footprint_id"],
        ["footprint.id"],
    ),
    sa.PrimaryKeyConstraint("footprint_id", "dataset", "version", "factor_id"),
    sa.Index("ix_footprint_factor_dataset_factor", "dataset", "factor_id", unique=False),
)

sa.Table(
    "inventory_record",
    BASELINE,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("footprint_id", sa.String(), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("digest", sa.String(length=66), nullable=False),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["footprint_id"],
        ["footprint.id"],
    ),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_inventory_record_footprint_id", "footprint_id", unique=True),
    sa.Index("ix_inventory_record_org_id", "org_id", unique=False),
)

sa.Table(
    "label",
    BASELINE,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("footprint_id", sa.String(), nullable=False),
    sa.Column("enterprise_org_id", sa.String(), nullable=False),
    sa.Column("certifier_org_id", sa.String(), nullable=False),
    sa.Column("certificate_number", sa.String(), nullable=False),
    sa.Column("gtin", sa.String(), nullable=True),
    sa.Column("serial", sa.String(), nullable=True),
    sa.Column("valid_from", sa.Date(), nullable=False),
    sa.Column("valid_until", sa.Date(), nullable=False),
    sa.Column("grade", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("revocation_reason", sa.Integer(), nullable=True),
    sa.Column("revocation_note", sa.String(), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("supersedes", sa.String(), nullable=True),
    sa.Column("superseded_by", sa.String(), nullable=True),
    sa.Column("reissue_of", sa.String(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["certifier_org_id"],
        ["organisation.id"],
    ),
    sa.ForeignKeyConstraint(
        ["enterprise_org_id"],
        ["organisation.id"],
    ),
    sa.ForeignKeyConstraint(
        ["footprint_id"],
        ["footprint.id"],
    ),
    sa.ForeignKeyConstraint(
        ["reissue_of"],
        ["label.id"],
    ),
    sa.ForeignKeyConstraint(
        ["superseded_by"],
        ["label.id"],
    ),
    sa.ForeignKeyConstraint(
        ["supersedes"],
        ["label.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("certificate_number"),
    sa.Index("ix_label_certifier_org_id", "certifier_org_id", unique=False),
    sa.Index("ix_label_created_at", "created_at", unique=False),
    sa.Index("ix_label_enterprise_org_id", "enterprise_org_id", unique=False),
    sa.Index("ix_label_footprint_id", "footprint_id", unique=False),
    sa.Index("ix_label_gtin", "gtin", unique=False),
    sa.Index("ix_label_reissue_of", "reissue_of", unique=True),
    sa.Index("ix_label_serial", "serial", unique=False),
)

sa.Table(
    "recognition",
    BASELINE,
    sa.Column("id", sa.String(length=66), nullable=False),
    sa.Column("org_id", sa.String(), nullable=False),
    sa.Column("recognizer", sa.String(length=42), nullable=False),
    sa.Column("scheme", sa.String(length=64), nullable=False),
    sa.Column("subject_type", sa.String(length=16), nullable=False),
    sa.Column("subject", sa.String(length=66), nullable=False),
    sa.Column("category", sa.String(length=64), nullable=False),
    sa.Column("valid_from", sa.Integer(), nullable=False),
    sa.Column("valid_until", sa.Integer(), nullable=False),
    sa.Column("label_id", sa.String(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["label_id"],
        ["label.id"],
    ),
    sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisation.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_recognition_created_at", "created_at", unique=False),
    sa.Index("ix_recognition_label_id", "label_id", unique=False),
    sa.Index("ix_recognition_org_id", "org_id", unique=False),
    sa.Index("ix_recognition_recognizer", "recognizer", unique=False),
    sa.Index("ix_recognition_status", "status", unique=False),
    sa.Index("ix_recognition_subject", "subject", unique=False),
)

sa.Table(
    "recognition_withdrawal",
    BASELINE,
    sa.Column("id", sa.String(length=66), nullable=False),
    sa.Column("recognition_id", sa.String(), nullable=False),
    sa.Column("reason", sa.Integer(), nullable=False),
    sa.Column("time", sa.Integer(), nullable=False),
    sa.Column("record", sa.JSON(), nullable=False),
    sa.Column("master_salt", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["recognition_id"],
        ["recognition.id"],
    ),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_recognition_withdrawal_recognition_id", "recognition_id", unique=True),
)


def upgrade() -> None:
    """Create the baseline tables that are missing; finish a pre-Alembic data dir's steps."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if inspector.has_table("label"):
        columns = {c["name"] for c in inspector.get_columns("label")}
        if "reissue_of" not in columns:  # legacy step 2
            op.execute("ALTER TABLE label ADD COLUMN reissue_of VARCHAR REFERENCES label (id)")
            op.execute("CREATE UNIQUE INDEX ix_label_reissue_of ON label (reissue_of)")
    if bind.dialect.name == "postgresql" and inspector.has_table("organisation"):
        # Legacy step 3 (a no-op where the type has the value, as every new database's has).
        op.execute("ALTER TYPE orgrole ADD VALUE IF NOT EXISTS 'PUBLISHER'")
    BASELINE.create_all(bind, checkfirst=True)
    if not inspector.has_table(LEGACY_TABLE):
        op.execute(f"CREATE TABLE {LEGACY_TABLE} (id INTEGER PRIMARY KEY, version INTEGER)")
    op.execute(f"DELETE FROM {LEGACY_TABLE}")
    op.execute(f"INSERT INTO {LEGACY_TABLE} (id, version) VALUES (1, {LEGACY_RETIRED})")


def downgrade() -> None:
    """Not supported: restore a backup (a pre-Alembic Tanji cannot run on a newer schema)."""
    raise NotImplementedError("the baseline cannot be downgraded; restore a backup")
