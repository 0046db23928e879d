"""channel connection cursor (durable polling offset), contact unreachable flag

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_connections") as batch:
        batch.add_column(sa.Column("cursor", sa.String(length=64), nullable=True))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("unreachable_at", core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("unreachable_at")
    with op.batch_alter_table("channel_connections") as batch:
        batch.drop_column("cursor")
