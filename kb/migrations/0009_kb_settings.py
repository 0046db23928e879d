"""knowledge base: each workspace's embedding model (local, or an OpenAI-compatible endpoint), and a
heartbeat on jobs so one whose process stopped is marked failed

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision: str = "0009"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_settings",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column(
            "endpoint", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("embed_model", sa.String(length=200), nullable=False),
        sa.Column("embed_dim", sa.Integer(), nullable=False),
        sa.Column("answer_threshold", sa.Float(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_kb_settings_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_settings")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_kb_settings_workspace_id")),
    )
    with op.batch_alter_table("kb_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_settings_workspace_id"), ["workspace_id"], unique=False)
    with op.batch_alter_table("kb_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_jobs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
    with op.batch_alter_table("kb_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_settings_workspace_id"))
    op.drop_table("kb_settings")
