"""The pipeline's understand stage: intent, sentiment, context fields, priority and summary per turn.

With an LLM configured for the assistant, one JSON-schema call reads the message; when it fails (down,
or malformed twice) the offline readers answer instead, so a turn is never lost to understanding.
Offline work (embeddings, scikit-learn, VADER, dateparser) runs off the event loop.

What it found goes on `turn.understanding` (the rules read `intent` and `sentiment`; the approval
card can show the rest), the context row (rules read `context.<field>`), the context history, and
the conversation's reading (what understanding.api shows staff).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from core.assistants import LLMProvider
from core.db import Database, insert_for
from core.llm import LLMError
from core.messages import utcnow
from core.models import Conversation, Message
from core.pipeline.turn import Turn
from understanding import context, llm, sentiment
from understanding.extract import extract
from understanding.intents import Classifiers, IntentReading
from understanding.intents import unknown as unknown_intent
from understanding.models import ContextChange, ConversationReading
from understanding.schema import PRIORITIES, STATUS, SchemaSpec
from understanding.service import intents_for
from understanding.templates import DEFAULT_INTENTS
from understanding.text import unreadable

log = logging.getLogger(__name__)

SKIP_KINDS = frozenset({"reaction", "opt_out", "opt_in", "help"})
NEEDS_LLM = "A summary needs an LLM: configure one for the assistant (FRONTDESK_LLM_BASE_URL or its model settings)."


@dataclass
class Settings:
    threshold: float
    phone_region: str | None = None
    summary_every: int = 3  # refresh the summary once this many messages were added since the last
    use_llm: bool = True


class UnderstandStage:
    def __init__(
        self,
        db: Database,
        llms: LLMProvider,
        classifiers: Classifiers,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.llms = llms
        self.classifiers = classifiers
        self.settings = settings
        self.clock = clock

    async def aclose(self) -> None:
        await self.llms.aclose()

    async def warm_up(self) -> None:
        """Load the embedding model and train the shipped intents' classifier before the first customer
        writes (it takes ~0.5 s on an idle machine, several seconds on a busy one)."""
        try:
            await asyncio.to_thread(
                self._offline, "hello, can I book a haircut?", dict(DEFAULT_INTENTS), None, utcnow(), "UTC", None
            )
        except Exception:  # the first turn will try again and say what went wrong
            log.exception("understanding warm-up failed")

    async def __call__(self, turn: Turn) -> None:
        ws, conv = turn.workspace, turn.conversation
        if ws is None or conv is None or turn.message.kind.value in SKIP_KINDS:
            return
        text = turn.message.text or ""
        now = self.clock()
        intents, schema = await self._configuration(turn)
        found = self.llms.client_for(turn.assistant) if turn.assistant is not None and self.settings.use_llm else None
        intent: IntentReading | None = None
        feeling: sentiment.SentimentReading | None = None
        proposed: list[context.Proposed] = []
        actor = "offline"
        if found is not None and unreadable(text) is None:
            try:
                intent, feeling, fields, actor = await llm.read(
                    found[0], text, intents=intents, schema=schema, now=now, threshold=self.settings.threshold
                )
                proposed = [context.Proposed(k, v, "read by the LLM") for k, v in fields.items()]
            except LLMError as exc:
                log.warning("LLM understanding failed; using the offline readers: %s", exc)
        if intent is None or feeling is None:
            region = ws.phone_region or self.settings.phone_region
            offline = await asyncio.to_thread(self._offline, text, intents, schema, now, ws.timezone or "UTC", region)
            intent, feeling, proposed, actor = *offline, "offline"
        if turn.dry_run:  # a try: what would be stored, and no summary (it would be stored too)
            turn.understanding.update(self._preview(turn, intent, feeling, proposed, schema, now))
            return
        result = await self._store(turn, intent, feeling, proposed, schema, actor, now)
        if found is not None:
            result["summary"] = await self._summary(turn, found[0], now)
        else:
            result["summary"] = {"needs_llm": True, "note": NEEDS_LLM}
        turn.understanding.update(result)

    async def _configuration(self, turn: Turn) -> tuple[dict[str, list[str]], SchemaSpec | None]:
        """The workspace's intents and context schema, from the turn's config snapshot when it has one."""
        assert turn.workspace is not None
        workspace_id = turn.workspace.id

        async def load() -> tuple[dict[str, list[str]], SchemaSpec | None]:
            async with self.db.reader() as s:
                return await intents_for(s, workspace_id), await context.schema_for(s, workspace_id)

        return await (turn.config.get("understanding", load) if turn.config is not None else load())

    def _offline(
        self,
        text: str,
        intents: dict[str, list[str]],
        schema: SchemaSpec | None,
        now: datetime,
        timezone: str,
        region: str | None,
    ) -> tuple[IntentReading, sentiment.SentimentReading, list[context.Proposed]]:
        classifier = self.classifiers.get(intents)
        intent = classifier.classify(text) if classifier is not None else unknown_intent("fewer than two intents")
        feeling = sentiment.read(text)
        proposed: list[context.Proposed] = []
        if schema is not None:
            found = extract(text, schema, now=now, timezone=timezone, default_region=region)
            proposed = [context.Proposed(f.field, f.value, f.evidence) for f in found]
        return intent, feeling, proposed

    async def _store(
        self,
        turn: Turn,
        intent: IntentReading,
        feeling: sentiment.SentimentReading,
        proposed: list[context.Proposed],
        schema: SchemaSpec | None,
        actor: str,
        now: datetime,
    ) -> dict[str, Any]:
        ws, conv = turn.workspace, turn.conversation
        assert ws is not None and conv is not None
        tz = ws.timezone or "UTC"
        region = ws.phone_region or self.settings.phone_region
        async with self.db.session() as s:
            row = await context.locked_row(s, workspace_id=ws.id, conversation_id=conv.id, now=now)
            changes = await context.change(
                s, workspace_id=ws.id, conversation_id=conv.id, proposed=proposed, source="ai", actor=actor,
                schema=schema, timezone=tz, now=now, region=region, region_resolved=True, row=row,
            )  # fmt: skip
            values = dict(row.fields or {})
            if schema is not None and schema.workflow is not None and STATUS not in values:
                changes += await context.change(
                    s, workspace_id=ws.id, conversation_id=conv.id,
                    proposed=[context.Proposed(STATUS, schema.workflow.initial, "the workflow's first status")],
                    source="rule", actor="workflow", schema=schema, timezone=tz, now=now, region=region,
                    region_resolved=True, row=row,
                )  # fmt: skip
                values = dict(row.fields or {})
            reading = await _reading(s, ws.id, conv.id)
            history = [
                *(reading.sentiment_history or []),
                {"score": round(feeling.score, 3), "label": feeling.label, "at": now.isoformat()},
            ]
            reading.sentiment_history = history[-sentiment.TREND_WINDOW * 2 :]
            reading.intent, reading.intent_confidence = intent.intent, intent.confidence
            reading.sentiment, reading.sentiment_score, reading.sentiment_cause = (
                feeling.label,
                feeling.score,
                feeling.cause,
            )
            reading.updated_at = now
            priority = await self._priority(s, turn, schema, values, intent, feeling, now)
        made = [
            {"field": c.field, "old": c.old_value, "new": c.new_value, "source": c.source, "evidence": c.evidence}
            for c in changes
        ]
        return _result(intent, feeling, values, made, history, schema, priority)

    def _preview(
        self,
        turn: Turn,
        intent: IntentReading,
        feeling: sentiment.SentimentReading,
        proposed: list[context.Proposed],
        schema: SchemaSpec | None,
        now: datetime,
    ) -> dict[str, Any]:
        """What `_store` would store for a new conversation's first message, computed, never written:
        the same checks on each field, the workflow's first status, the priority rules."""
        tz = turn.workspace.timezone if turn.workspace and turn.workspace.timezone else "UTC"
        ok, _refused = context.check(schema, {}, proposed, timezone=tz, strict=False, region=self.settings.phone_region)
        made = [
            {"field": p.field, "old": None, "new": p.value, "source": "ai", "evidence": p.evidence}
            for p in ok
            if p.value is not None
        ]
        if schema is not None and schema.workflow is not None and not any(m["field"] == STATUS for m in made):
            made.append({"field": STATUS, "old": None, "new": schema.workflow.initial, "source": "rule",
                         "evidence": "the workflow's first status"})  # fmt: skip
        values = {m["field"]: m["new"] for m in made}
        history = [{"score": round(feeling.score, 3), "label": feeling.label, "at": now.isoformat()}]
        wanted = schema.priority(values=values, intent=intent.intent, sentiment=feeling.label) if schema else None
        priority = None if schema is None else wanted if wanted in PRIORITIES and wanted != "low" else "normal"
        return _result(intent, feeling, values, made, history, schema, priority)

    async def _priority(
        self,
        s: Any,
        turn: Turn,
        schema: SchemaSpec | None,
        values: dict[str, Any],
        intent: IntentReading,
        feeling: sentiment.SentimentReading,
        now: datetime,
    ) -> str | None:
        """Priority rules raise a conversation's priority; they never lower one (staff may have set it)."""
        conv = turn.conversation
        assert conv is not None
        if schema is None:
            return None
        wanted = schema.priority(values=values, intent=intent.intent, sentiment=feeling.label)
        current = conv.priority if conv.priority in PRIORITIES else "normal"
        if wanted is None or PRIORITIES.index(wanted) <= PRIORITIES.index(current):
            return current
        await s.execute(update(Conversation).where(Conversation.id == conv.id).values(priority=wanted))
        conv.priority = wanted
        s.add(
            ContextChange(
                workspace_id=conv.workspace_id, conversation_id=conv.id, field="priority", old_value=current,
                new_value=wanted, source="rule", actor="priority rules",
                evidence=f"intent {intent.intent}, sentiment {feeling.label}", created_at=now,
            )
        )  # fmt: skip
        return wanted

    async def _summary(self, turn: Turn, client: Any, now: datetime) -> dict[str, Any]:
        conv = turn.conversation
        assert conv is not None
        async with self.db.reader() as s:
            count = (
                await s.execute(select(func.count()).select_from(Message).where(Message.conversation_id == conv.id))
            ).scalar_one()
            reading = await s.get(ConversationReading, conv.id)
            stored = reading.summary if reading is not None else None
            done = reading.summarized_messages if reading is not None else 0
            if count - done < self.settings.summary_every:
                return stored or {
                    "needs_llm": False,
                    "note": "A summary comes once the conversation has a few messages.",
                }
            rows = await s.execute(
                select(Message.direction, Message.text)
                .where(Message.conversation_id == conv.id)
                .order_by(Message.created_at.desc())
                .limit(40)
            )
            transcript = [("customer" if d == "in" else "us", t or "") for d, t in reversed(rows.all())]
        try:
            summary, model = await llm.summarize(client, transcript)
        except LLMError as exc:
            log.warning("LLM summary failed: %s", exc)
            return stored or {"needs_llm": True, "note": "The LLM could not summarise this conversation just now."}
        fresh = {
            "text": summary.summary[:1000],
            "key_points": [p[:300] for p in summary.key_points[:10]],
            "action_items": [a[:300] for a in summary.action_items[:10]],
            "model": model,
            "at": now.isoformat(),
            "messages": count,
        }
        async with self.db.session() as s:
            row = await _reading(s, conv.workspace_id, conv.id)
            row.summary, row.summarized_messages = fresh, count
        return fresh


async def _reading(s: Any, workspace_id: str, conversation_id: str) -> ConversationReading:
    """The conversation's reading, locked; made on first use (one read once it exists)."""
    row = await s.get(ConversationReading, conversation_id, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    insert = insert_for(s)
    await s.execute(
        insert(ConversationReading)
        .values(conversation_id=conversation_id, workspace_id=workspace_id, sentiment_history=[], summarized_messages=0)
        .on_conflict_do_nothing(index_elements=["conversation_id"])
    )
    row = await s.get(ConversationReading, conversation_id, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def _result(
    intent: IntentReading,
    feeling: sentiment.SentimentReading,
    values: dict[str, Any],
    changes: list[dict[str, Any]],
    history: list[dict[str, Any]],
    schema: SchemaSpec | None,
    priority: str | None,
) -> dict[str, Any]:
    """The turn's reading, as the rules and the approval card see it."""
    return {
        "intent": intent.intent,
        "intent_confidence": round(intent.confidence, 3),
        "intent_source": intent.source,
        "intent_candidates": intent.as_dict()["candidates"],
        "intent_reason": intent.reason,
        "sentiment": feeling.label,
        "sentiment_score": round(feeling.score, 3),
        "sentiment_cause": feeling.cause,
        "sentiment_source": feeling.source,
        "sentiment_trend": sentiment.trend(history),
        "context": values,
        "context_changes": changes,
        "missing": schema.missing(values) if schema is not None else [],
        "priority": priority,
    }
