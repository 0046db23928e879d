"""understanding: intents, context schemas, context history, conversation readings

Revision ID: 0008
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision: str = "0008"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = core.db.UTCDateTime(timezone=True)


def _ws(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
    )


def _conv(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["conversation_id"],
        ["conversations.id"],
        name=op.f(f"fk_{table}_conversation_id_conversations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "intents",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("examples", JSONB, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _ws("intents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intents")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_intents_workspace_id")),
    )
    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intents_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "context_schemas",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _ws("context_schemas"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_context_schemas")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_context_schemas_workspace_id")),
    )

    op.create_table(
        "context_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _ws("context_history"),
        _conv("context_history"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_context_history")),
    )
    with op.batch_alter_table("context_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_context_history_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_context_history_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "conversation_readings",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("intent_confidence", sa.Float(), nullable=True),
        sa.Column("sentiment", sa.String(length=16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("sentiment_cause", sa.Text(), nullable=True),
        sa.Column("sentiment_history", JSONB, nullable=False),
        sa.Column("summary", JSONB, nullable=True),
        sa.Column("summarized_messages", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _ws("conversation_readings"),
        _conv("conversation_readings"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_readings")),
    )
    with op.batch_alter_table("conversation_readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_readings_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_table("conversation_readings")
    op.drop_table("context_history")
    op.drop_table("context_schemas")
    op.drop_table("intents")
