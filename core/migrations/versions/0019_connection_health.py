"""channel connection health: its last error and its last credential test

Revision ID: 0019
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0019"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_connections") as batch:
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_error_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("tested_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("test_problem", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_connections") as batch:
        batch.drop_column("test_problem")
        batch.drop_column("tested_at")
        batch.drop_column("last_error_at")
        batch.drop_column("last_error")
