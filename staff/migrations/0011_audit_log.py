"""staff: the audit log (one row per staff action: who, through which face, before and after)

Revision ID: 0011
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision: str = "0011"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("staff",)
depends_on: str | Sequence[str] | None = None

JSONB = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("actor_user_id", sa.String(length=36), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("face", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("before", JSONB, nullable=True),
        sa.Column("after", JSONB, nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_audit_log_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_workspace_created", ["workspace_id", "created_at"], unique=False)
        batch_op.create_index("ix_audit_log_workspace_actor", ["workspace_id", "actor_user_id"], unique=False)
        batch_op.create_index(
            "ix_audit_log_workspace_object", ["workspace_id", "object_type", "object_id"], unique=False
        )
        batch_op.create_index("ix_audit_log_workspace_action", ["workspace_id", "action"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_workspace_action")
        batch_op.drop_index("ix_audit_log_workspace_object")
        batch_op.drop_index("ix_audit_log_workspace_actor")
        batch_op.drop_index("ix_audit_log_workspace_created")
    op.drop_table("audit_log")
