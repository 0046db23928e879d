"""The tables. One module, because every table here is part of the same small schema.

Ids are UUID strings (safe to expose, never guessable); queue tables use integer ids for order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.db import UTCDateTime
from core.messages import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements INTEGER PRIMARY KEY; Postgres gets a bigint identity.
QueueId = BigInteger().with_variant(Integer(), "sqlite")


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Row:
    """A table's id (a UUID) and creation time; every package's tables mix it in."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def workspace_fk() -> Mapped[str]:
    """The workspace a row belongs to: deleting the workspace deletes it."""
    return mapped_column(String(36), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)


class Workspace(Row, Base):
    __tablename__ = "workspaces"
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "18:00"]], ...} in the workspace's timezone; unset: always open (rules/hours.py).
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    # Where phone numbers written without +country are read (ISO code, e.g. GB); unset: the
    # instance's FRONTDESK_UNDERSTANDING_PHONE_REGION. Its column is understanding's (migration 0014).
    phone_region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # The business's own sites that may frame the web chat and call its API (["https://…"], checked by
    # admin.workspaces.origins); unset or []: only the server's FRONTDESK_CHAT_ALLOWED_ORIGINS. Admin's
    # column (migration 0020).
    chat_origins: Mapped[list[str] | None] = mapped_column(Json, nullable=True)
    # Bumped in the same transaction as any change to what a turn caches (core/cache.py).
    config_version: Mapped[int] = mapped_column(Integer, server_default="0")


class User(Row, Base):
    __tablename__ = "users"
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Membership(Row, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)
    workspace_id: Mapped[str] = workspace_fk()
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="agent")  # owner | admin | agent (admin.roles)


class ApiToken(Row, Base):
    """A bearer token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    workspace_id: Mapped[str] = workspace_fk()
    user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="api")  # api | session
    # What an API token may do (core.workspaces.TOKEN_SCOPES); a session acts with its person's role.
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Assistant(Row, Base):
    """What the seed called an agent: a persona, its instructions and its model settings."""

    __tablename__ = "assistants"
    workspace_id: Mapped[str] = workspace_fk()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    approval_policy: Mapped[str] = mapped_column(String(16), default="approve_all")
    confidence_threshold: Mapped[float] = mapped_column(Float, default=0.75)
    holding_reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    # base_url, model, api_key (encrypted), fallback_*, temperature, max_tokens, structured_output.
    model_settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class ChannelConnection(Row, Base):
    __tablename__ = "channel_connections"
    workspace_id: Mapped[str] = workspace_fk()
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    # The receiving account as the channel names it (bot id, phone number, team id).
    account: Mapped[str] = mapped_column(String(200), default="")
    assistant_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("assistants.id", ondelete="SET NULL"), nullable=True
    )
    # Channel settings; secret fields are encrypted (see core.crypto).
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where this connection's poller left off (Telegram getUpdates offset), committed after the
    # updates it covers are in the inbox: a restart neither loses nor repeats them.
    cursor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Its health: the last error a face or the sender saw on it (a reply Telegram refused, a token
    # revoked while polling), and its last credential test (`test_problem` None: it passed).
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    test_problem: Mapped[str | None] = mapped_column(Text, nullable=True)


class Contact(Row, Base):
    __tablename__ = "contacts"
    workspace_id: Mapped[str] = workspace_fk()
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when a channel says the contact cannot be reached (blocked the bot, unsubscribed);
    # cleared when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the contact asked for no more messages (SMS STOP); cleared by START. Nothing is sent
    # to an opted-out contact.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ContactIdentity(Row, Base):
    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("workspace_id", "channel", "external_user_id"),)
    workspace_id: Mapped[str] = workspace_fk()
    contact_id: Mapped[str] = mapped_column(String(36), ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_user_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Conversation(Row, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel", "account", "thread"),
        # The inbox's order: newest activity first, within one workspace (staff.listing).
        Index("ix_conversations_workspace_activity", "workspace_id", "last_message_at", "created_at", "id"),
        # The "mine" view (and the assignee filter) in the same order (core's 0013).
        Index(
            "ix_conversations_workspace_assignee",
            "workspace_id",
            "assigned_user_id",
            "last_message_at",
            "created_at",
            "id",
        ),
    )
    workspace_id: Mapped[str] = workspace_fk()
    contact_id: Mapped[str] = mapped_column(String(36), ForeignKey("contacts.id", ondelete="CASCADE"))
    assistant_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("assistants.id", ondelete="SET NULL"), nullable=True
    )
    connection_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("channel_connections.id", ondelete="SET NULL"), nullable=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(200))
    thread: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | waiting | closed
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    assigned_user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    bot_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Message(Row, Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_created", "conversation_id", "created_at"),)
    workspace_id: Mapped[str] = workspace_fk()
    conversation_id: Mapped[str] = mapped_column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    author: Mapped[str] = mapped_column(String(16))  # contact | assistant | staff | system
    author_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="message")
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reply_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The inbox row that produced it: reprocessing a row finds its message instead of adding one.
    inbox_id: Mapped[int | None] = mapped_column(QueueId, nullable=True, unique=True)
    outbox_id: Mapped[int | None] = mapped_column(QueueId, nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def queue_indexes(table: str, active: str) -> tuple[Index, Index]:
    """Partial indexes over the live rows only: a claim stays as fast with a million rows done."""
    live = text(f"state IN ('pending', '{active}')")
    return (
        Index(f"ix_{table}_live", "id", sqlite_where=live, postgresql_where=live),
        Index(f"ix_{table}_live_order", "order_key", "id", sqlite_where=live, postgresql_where=live),
    )


class Queued:
    """Columns shared by the leased queues (inbox, outbox, and the packages' job queues)."""

    id: Mapped[int] = mapped_column(QueueId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(36), index=True)
    # Rows with one key are handled strictly in order, one at a time.
    order_key: Mapped[str] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InboxItem(Queued, Base):
    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "account", "external_id", name="uq_inbox_channel_message"),
        *queue_indexes("inbox", "processing"),
    )
    channel: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(200))
    message: Mapped[dict[str, Any]] = mapped_column(Json)  # the InboundMessage, as JSON


class Draft(Row, Base):
    __tablename__ = "drafts"
    # Whether a draft waits in a conversation (the inbox's flag) without reading every pending one.
    __table_args__ = (Index("ix_drafts_conversation_state", "conversation_id", "state"),)
    workspace_id: Mapped[str] = workspace_fk()
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # One draft per inbox row, so a retried turn finds its draft instead of writing a second.
    inbox_id: Mapped[int | None] = mapped_column(QueueId, nullable=True, unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    grounded: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))  # llm | extractive | none
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision: Mapped[str] = mapped_column(String(16))  # auto_send | needs_approval | handoff | silent
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # pending | approved | edited | rejected | taken_over | superseded | sent
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    final_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxItem(Queued, Base):
    __tablename__ = "outbox"
    __table_args__ = queue_indexes("outbox", "sending")
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[dict[str, Any]] = mapped_column(Json)  # the OutboundMessage, as JSON
    external_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    delivery_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DeliveryEvent(Base):
    """Delivery receipts as channels report them (sent, delivered, read, failed)."""

    __tablename__ = "delivery_events"
    id: Mapped[int] = mapped_column(QueueId, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(QueueId, ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
