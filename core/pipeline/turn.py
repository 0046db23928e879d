"""One turn: an inbound message on its way through the pipeline, and what each stage found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.cache import Snapshot
from core.messages import Citation, InboundMessage
from core.models import Assistant, Contact, Conversation, Message, Workspace


@dataclass(frozen=True)
class Source:
    """A knowledge-base passage the draft may cite."""

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    score: float = 0.0
    # A FAQ passage's own answer: what an extractive draft says, without the question.
    answer: str | None = None

    def citation(self) -> Citation:
        return Citation(source_id=self.id, title=self.title, url=self.url, snippet=self.text[:240])


@dataclass
class RuleOutcome:
    """What the owner's rules demand of this turn (filled by rules/)."""

    require_approval: bool = False
    auto_send: bool = False  # send without approval, whatever the assistant's policy
    handoff: bool = False
    silent: bool = False
    fired: list[str] = field(default_factory=list)
    # Each fired rule's name and what its actions did (or, in a dry run, would do).
    trace: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DraftResult:
    text: str
    source: str  # llm | extractive | none
    confidence: float | None = None
    citations: list[Citation] = field(default_factory=list)
    grounded: bool = False
    needs_staff: bool = False
    model: str | None = None
    reason: str | None = None
    # A rule's reply meant only for when the assistant has no grounded answer of its own.
    fallback: bool = False


@dataclass
class Turn:
    inbox_id: int
    message: InboundMessage
    workspace: Workspace | None = None
    # The workspace's configuration as of this turn's start (core/cache.py), set by resolve: stages
    # take what rarely changes (the schema, the rules, the intents) from it instead of the database.
    config: Snapshot | None = None
    assistant: Assistant | None = None
    contact: Contact | None = None
    conversation: Conversation | None = None
    message_row: Message | None = None
    history: list[Message] = field(default_factory=list)
    understanding: dict[str, Any] = field(default_factory=dict)
    rules: RuleOutcome = field(default_factory=RuleOutcome)
    sources: list[Source] = field(default_factory=list)
    # The similarity an extractive answer needs, when the workspace's embedding model has its own.
    answer_threshold: float | None = None
    draft: DraftResult | None = None
    # A stage's own words for the customer when it hands off (a voice note too long to hear), sent
    # instead of the holding reply even while the conversation already waits for staff.
    handoff_reply: str | None = None
    decision: str | None = None
    draft_id: str | None = None
    reply_outbox_id: int | None = None
    # Set when a stage has settled the turn (dropped, or decided on an earlier attempt).
    finished: bool = False
    # The worker holding this turn's lease; decide marks the inbox row done in its own transaction,
    # guarded by it, so a worker whose lease lapsed cannot commit a decision.
    claimed_by: str | None = None
    inbox_done: bool = False
    # A try (Pipeline.preview): every stage computes what it would do and writes, sends and queues
    # nothing; the conversation and contact exist only in memory.
    dry_run: bool = False
    decision_reason: str | None = None
