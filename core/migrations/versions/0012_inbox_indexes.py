"""inbox indexes: a workspace's conversations by last activity, a conversation's pending draft

Revision ID: 0012
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.create_index(
            "ix_conversations_workspace_activity", ["workspace_id", "last_message_at", "created_at", "id"]
        )
    with op.batch_alter_table("drafts") as batch:
        batch.create_index("ix_drafts_conversation_state", ["conversation_id", "state"])


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_index("ix_drafts_conversation_state")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_workspace_activity")
