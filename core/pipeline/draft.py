"""Draft: write a reply grounded in the turn's sources with the assistant's LLM.

With no LLM configured, or when it fails after its retries, nothing is invented: the draft is
empty, and decide sends the honest holding reply and hands the conversation to staff.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field
from sqlalchemy import select

from core.assistants import LLMProvider
from core.db import Database
from core.llm import LLMError
from core.media.context import attachment_context
from core.messages import MessageKind
from core.models import Message
from core.pipeline.turn import DraftResult, Turn

log = logging.getLogger(__name__)

NO_REPLY_KINDS = frozenset({"edit", "reaction", "opt_out", "opt_in"})
DEFAULT_HELP = "Reply to this message to reach us. Reply STOP to stop receiving messages."
HISTORY = 20  # earlier messages given to the LLM
UNCITED = 0.5  # confidence kept by an LLM answer that cites none of the knowledge base's sources


class DraftReply(BaseModel):
    reply: str = Field(description="The message to send to the customer.")
    confidence: float = Field(ge=0, le=1, description="How sure you are the reply is right and complete.")
    cited_sources: list[str] = Field(default_factory=list, description="Ids of the sources the reply uses.")
    needs_staff: bool = Field(False, description="True if a person must answer (not covered by sources).")


SYSTEM = """You are the front desk of {business}. {instructions}

Rules:
- Answer only from the sources below and the conversation. Never invent prices, times, names or policies.
- If the sources do not answer the question, say a person from the team will follow up, and set needs_staff.
- Cite the ids of the sources you used in cited_sources.
- Be brief, friendly and plain. Reply in the customer's language.

Sources:
{sources}"""


def build_prompt(turn: Turn) -> list[dict[str, str]]:
    sources = "\n".join(f"[{s.id}] {s.title or ''}\n{s.text}" for s in turn.sources) or "(none)"
    system = SYSTEM.format(
        business=turn.workspace.name if turn.workspace else "the business",
        instructions=(turn.assistant.instructions if turn.assistant else "").strip(),
        sources=sources,
    )
    messages = [{"role": "system", "content": system}]
    for row in turn.history:
        if row.text:
            messages.append({"role": "user" if row.direction == "in" else "assistant", "content": row.text})
    latest = turn.message.text or turn.message.payload or ""
    messages.append({"role": "user", "content": (latest + attachment_context(turn.message.attachments)).strip()})
    return messages


OnDrafting = Callable[[Turn], Awaitable[None]]
# Drafts without an LLM (the knowledge base's extractive drafter): only the business's own words.
WithoutLLM = Callable[[Turn], DraftResult]


def _answers(draft: DraftResult | None) -> bool:
    return draft is not None and draft.grounded and bool(draft.text) and not draft.needs_staff


class DraftStage:
    def __init__(
        self,
        db: Database,
        llms: LLMProvider,
        *,
        on_drafting: OnDrafting | None = None,
        without_llm: WithoutLLM | None = None,
    ) -> None:
        self.db = db
        self.llms = llms
        self.without_llm = without_llm
        # Told when an LLM draft starts (channels show "typing…"); must not fail the turn.
        self.on_drafting = on_drafting

    async def _history(self, turn: Turn, conversation_id: str) -> list[Message]:
        """The conversation before this message, oldest first: only an LLM draft needs it."""
        current = turn.message_row.id if turn.message_row else None
        async with self.db.reader() as s:
            rows = await s.execute(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.id != current)
                .order_by(Message.created_at.desc())
                .limit(HISTORY)
            )
            return list(reversed(rows.scalars().all()))

    async def __call__(self, turn: Turn) -> None:
        if turn.draft_id is not None:
            return  # decided on an earlier attempt (resolve found its draft): decide re-reads the outcome
        if turn.draft is not None and not turn.draft.fallback:
            return  # the owner's rules already wrote this reply (rules/)
        fallback, turn.draft = turn.draft, None
        await self._draft(turn)
        if fallback is not None and not _answers(turn.draft):
            turn.draft = fallback  # the rule's words, since the assistant has no grounded answer

    async def _draft(self, turn: Turn) -> None:
        if turn.message.kind is MessageKind.help:
            # HELP must be answered (carrier rules), with the business's help text, even during a takeover.
            turn.draft = DraftResult(text=turn.message.payload or DEFAULT_HELP, source="channel", confidence=1.0)
            turn.rules.auto_send = True
            return
        conversation = turn.conversation
        if (
            conversation is None
            or conversation.bot_paused
            or turn.rules.silent
            or turn.message.kind.value in NO_REPLY_KINDS
            or turn.message.is_empty
        ):
            return
        if turn.assistant is None:
            turn.draft = DraftResult(text="", source="none", reason="no assistant")
            return
        resolved = self.llms.client_for(turn.assistant)
        if resolved is None:
            if self.without_llm is not None:
                turn.draft = self.without_llm(turn)
            else:
                turn.draft = DraftResult(text="", source="none", reason="no LLM configured")
            return
        client, settings = resolved
        turn.history = await self._history(turn, conversation.id)
        if self.on_drafting is not None and not turn.dry_run:
            try:
                await self.on_drafting(turn)
            except Exception:
                log.warning("typing indicator failed", exc_info=True, extra={"inbox_id": turn.inbox_id})
        try:
            result = await client.structured(
                build_prompt(turn), DraftReply, temperature=settings.temperature, max_tokens=settings.max_tokens
            )
        except LLMError as exc:
            log.warning("drafting failed, handing to staff", extra={"inbox_id": turn.inbox_id})
            turn.draft = DraftResult(text="", source="none", reason=f"LLM unavailable: {exc}"[:500])
            fallback = self.without_llm(turn) if self.without_llm is not None else None
            if fallback is not None and fallback.text and not fallback.needs_staff:
                turn.draft = fallback  # the business's own answer beats a holding reply
            return
        reply = result.value
        known = {s.id: s for s in turn.sources}
        cited = [known[i].citation() for i in dict.fromkeys(reply.cited_sources) if i in known]
        turn.draft = DraftResult(
            text=reply.reply.strip(),
            source="llm",
            # An answer that cites none of the sources it was given is a claim without a source.
            confidence=reply.confidence if cited or not turn.sources else round(reply.confidence * UNCITED, 3),
            citations=cited,
            grounded=bool(cited),
            needs_staff=reply.needs_staff or not reply.reply.strip(),
            model=result.model,
        )
