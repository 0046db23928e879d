"""knowledge base: collections, documents, chunks with their vectors, and jobs

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21

Its own branch off the initial schema (`frontdesk migrate` upgrades to every head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_collections",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("assistant_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("embed_model", sa.String(length=200), nullable=False),
        sa.Column("embed_dim", sa.Integer(), nullable=False),
        sa.Column("refresh", sa.String(length=16), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_kb_collections_assistant_id_assistants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_kb_collections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_collections")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_kb_collections_workspace_id")),
    )
    with op.batch_alter_table("kb_collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_collections_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "kb_documents",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=2000), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["kb_collections.id"],
            name=op.f("fk_kb_documents_collection_id_kb_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_kb_documents_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_documents")),
        sa.UniqueConstraint("collection_id", "source", name=op.f("uq_kb_documents_collection_id")),
    )
    with op.batch_alter_table("kb_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_documents_collection_id"), ["collection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_documents_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_documents_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "kb_jobs",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["kb_collections.id"],
            name=op.f("fk_kb_jobs_collection_id_kb_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_kb_jobs_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_jobs")),
    )
    with op.batch_alter_table("kb_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_jobs_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "kb_chunks",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("heading", sa.String(length=500), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column(
            "meta", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("embed_model", sa.String(length=200), nullable=False),
        sa.Column("embed_dim", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["kb_documents.id"], name=op.f("fk_kb_chunks_document_id_kb_documents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_kb_chunks_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_chunks")),
    )
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_chunks_collection_id"), ["collection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_chunks_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_chunks_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "kb_sites",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("start_url", sa.String(length=2000), nullable=False),
        sa.Column("max_pages", sa.Integer(), nullable=False),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("last_crawled_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["kb_collections.id"],
            name=op.f("fk_kb_sites_collection_id_kb_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_kb_sites_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_sites")),
        sa.UniqueConstraint("collection_id", "start_url", name=op.f("uq_kb_sites_collection_id")),
    )
    with op.batch_alter_table("kb_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_sites_collection_id"), ["collection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_sites_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kb_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_sites_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_kb_sites_collection_id"))

    op.drop_table("kb_sites")
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_chunks_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_kb_chunks_document_id"))
        batch_op.drop_index(batch_op.f("ix_kb_chunks_collection_id"))

    op.drop_table("kb_chunks")
    with op.batch_alter_table("kb_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_jobs_workspace_id"))

    op.drop_table("kb_jobs")
    with op.batch_alter_table("kb_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_documents_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_kb_documents_content_hash"))
        batch_op.drop_index(batch_op.f("ix_kb_documents_collection_id"))

    op.drop_table("kb_documents")
    with op.batch_alter_table("kb_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_collections_workspace_id"))

    op.drop_table("kb_collections")
