"""The staff API's bodies and answers: the approval queue, conversations and their messages, failed
turns, context edits and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from admin.common import Page, UpdateModel
from core.models import Conversation, InboxItem
from staff.listing import ConversationRow

DraftState = Literal["pending", "approved", "edited", "rejected", "taken_over", "superseded", "sent"]
InboxState = Literal["failed", "pending", "processing", "done"]
ConversationStatus = Literal["open", "waiting", "closed"]
InboxView = Literal["waiting", "mine", "unassigned", "all"]
Priority = Literal["low", "normal", "high", "urgent"]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
MAX_REPLY_CHARS = 4000


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique)]


class ConversationPublic(BaseModel):
    id: str
    channel: str
    account: str
    contact_id: str
    contact_name: str | None
    assistant_id: str | None
    status: str
    priority: str
    tags: list[str]
    assigned_user_id: str | None
    bot_paused: bool
    last_message_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, conversation: Conversation, contact_name: str | None) -> ConversationPublic:
        return cls(
            id=conversation.id,
            channel=conversation.channel,
            account=conversation.account,
            contact_id=conversation.contact_id,
            contact_name=contact_name,
            assistant_id=conversation.assistant_id,
            status=conversation.status,
            priority=conversation.priority,
            tags=list(conversation.tags or []),
            assigned_user_id=conversation.assigned_user_id,
            bot_paused=conversation.bot_paused,
            last_message_at=conversation.last_message_at,
            created_at=conversation.created_at,
        )


class ConversationSummary(ConversationPublic):
    """A line of the inbox: the conversation with who it is assigned to, what understanding made of
    it, its last message and whether a draft waits for staff."""

    assignee_name: str | None
    intent: str | None
    sentiment: str | None
    preview: str = Field(description="The last message in one line (its words, or what it carried).")
    preview_direction: str | None = Field(description="in: the customer wrote last; out: we did.")
    draft_waiting: bool

    @classmethod
    def of_row(cls, row: ConversationRow) -> ConversationSummary:
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


class ConversationsPage(Page[ConversationSummary]):
    """A page of the inbox. With a text search the matches are counted up to a cap (1,000):
    `total_capped` true means there are more than `total`."""

    total_capped: bool = Field(
        False, description="True when a search found more than `total` matches and counting stopped there."
    )


class ViewCounts(BaseModel):
    """How many conversations each view holds, with the request's filters applied."""

    waiting: int
    mine: int
    unassigned: int
    all: int


class ConversationUpdate(UpdateModel):
    NULLABLE = frozenset({"assigned_user_id"})

    status: ConversationStatus | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    assigned_user_id: str | None = Field(None, max_length=64, description="A workspace member, or null.")
    bot_paused: bool | None = Field(None, description="True: the bot stays quiet and staff answer.")


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    direction: str
    author: str
    author_user_id: str | None
    kind: str
    text: str
    attachments: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    status: str
    created_at: datetime
    sent_at: datetime | None


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)
    save_answer: bool = Field(
        False, description="Also save the customer's last question and this reply to the knowledge base."
    )
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Sending the same key again (e.g. a retried request) sends the reply once.",
    )


class ReplyPublic(BaseModel):
    queued: bool = Field(description="False when this idempotency key was already sent.")
    outbox_id: int | None


class DraftPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    text: str
    citations: list[dict[str, Any]]
    confidence: float | None
    grounded: bool
    source: str
    model: str | None
    decision: str
    reason: str | None
    state: str
    final_text: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime


class DraftApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=4000, description="Send this instead of the draft's text (an edit).")
    save_answer: bool = Field(
        False, description="Also save the customer's question and this answer to the knowledge base (answer memory)."
    )


class DraftReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500, description="Why, for the audit log.")


class InboxItemPublic(BaseModel):
    id: int
    channel: str
    state: str
    attempts: int
    last_error: str | None
    text: str
    sender: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: InboxItem) -> InboxItemPublic:
        sender = row.message.get("sender") or {}
        return cls(
            id=row.id,
            channel=row.channel,
            state=row.state,
            attempts=row.attempts,
            last_error=row.last_error,
            text=str(row.message.get("text") or ""),
            sender=sender.get("display_name") or sender.get("id"),
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


class ContextUpdate(BaseModel):
    """Staff's edit: field values by name (null clears one); `status` moves the workflow."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any] = Field(default_factory=dict, max_length=50)


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(min_length=1, max_length=64)


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_user_id: str | None
    actor_label: str = Field(description='Who, when there is no user: an API token\'s prefix, or "cli".')
    face: str = Field(description="Where it was done: api, cli, slack or web.")
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime
