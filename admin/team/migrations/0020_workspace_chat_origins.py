"""workspaces: the web chat's allowed origins (the business's own sites), per workspace

Admin's revisions live in this folder (admin.team:migrations); the column is admin.workspaces'.

Revision ID: 0020
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("chat_origins", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("chat_origins")
