"""roles: owner, admin and agent ("staff" becomes "agent")

Revision ID: 0015
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE memberships SET role = 'agent' WHERE role = 'staff'")


def downgrade() -> None:
    # "staff" had an agent's powers and nothing of an admin's: an admin going back would gain nothing
    # they could use, and lose the team and configuration; they become staff all the same.
    op.execute("UPDATE memberships SET role = 'staff' WHERE role IN ('admin', 'agent')")
