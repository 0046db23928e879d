"""workspace config_version: bumped with every change to what a turn caches (core/cache.py)

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workspaces", sa.Column("config_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both databases (SQLite >= 3.35): batch mode would copy and rename
    # `workspaces`, which SQLite refuses ("database table is locked") while revision 0021's search
    # triggers are being dropped in the same downgrade.
    op.drop_column("workspaces", "config_version")
