"""Try it: a sample message through the real pipeline as a dry run (`core.pipeline.Pipeline.preview`),
and what each stage found. Nothing is stored, sent or queued; the assistant's LLM is asked, as it
would be for a customer. The page, the API and the CLI all call `try_message`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from admin.assistants.schemas import (
    TryDecision,
    TryDraft,
    TryPublic,
    TryRule,
    TrySource,
)
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import Assistant
from core.pipeline import Pipeline
from core.pipeline.turn import Turn
from core.ratelimit import RateLimiter

NOTE = "A dry run: nothing was stored, sent or queued."
UNDERSTOOD = ("intent", "intent_confidence", "intent_source", "sentiment", "sentiment_score", "priority")


@dataclass
class TryLimits:
    """The web chat's own limits (FRONTDESK_MAX_MESSAGE_CHARS, FRONTDESK_CHAT_RATE_PER_MINUTE), per
    person; and the knowledge base's default answer threshold, to show beside the sources."""

    max_chars: int
    rate: RateLimiter
    answer_threshold: float


class TooMany(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"too many tries: try again in {max(1, round(seconds))} s")
        self.seconds = seconds


async def try_message(
    pipeline: Pipeline, limits: TryLimits, *, who: str, assistant: Assistant, text: str, channel: str
) -> TryPublic:
    """Raises ValueError (empty or too long a message, an unknown channel) or TooMany."""
    text = text.strip()
    if not text:
        raise ValueError("write a message to try")
    if len(text) > limits.max_chars:
        raise ValueError(f"a message is at most {limits.max_chars} characters")
    kind = ChannelKind(channel)  # ValueError for a channel there is not
    wait = limits.rate.take(who)
    if wait:
        raise TooMany(wait)
    sample = f"try-{uuid.uuid4()}"
    message = InboundMessage(
        workspace_id=assistant.workspace_id, channel=kind, account="try", external_id=sample, thread=sample,
        sender=Sender(id=sample, display_name="Try it"), text=text, assistant_id=assistant.id,
    )  # fmt: skip
    return report(await pipeline.preview(message), text=text, channel=kind.value, default=limits.answer_threshold)


def report(turn: Turn, *, text: str, channel: str, default: float) -> TryPublic:
    """Each stage's result, as the try panel shows it."""
    seen = turn.understanding
    return TryPublic(
        message=text,
        channel=channel,
        assistant_id=turn.assistant.id if turn.assistant else None,
        understanding={k: seen.get(k) for k in UNDERSTOOD} | {"context": seen.get("context") or {}},
        context_changes=list(seen.get("context_changes") or []),
        rules=[TryRule(rule=t["rule"], actions=[_action(a) for a in t["actions"]]) for t in turn.rules.trace],
        sources=[
            TrySource(id=s.id, title=s.title, url=s.url, score=round(s.score, 3), text=s.text[:300])
            for s in turn.sources
        ],
        answer_threshold=turn.answer_threshold if turn.answer_threshold is not None else default,
        draft=_draft(turn),
        decision=TryDecision(decision=turn.decision or "silent", reason=turn.decision_reason or ""),
        note=NOTE,
    )


def _draft(turn: Turn) -> TryDraft | None:
    draft = turn.draft
    if draft is None:
        return None
    return TryDraft(
        text=draft.text,
        source=draft.source,
        confidence=draft.confidence,
        grounded=draft.grounded,
        needs_staff=draft.needs_staff,
        model=draft.model,
        reason=draft.reason,
        citations=[c.title or c.source_id for c in draft.citations],
    )


def _action(result: dict[str, Any]) -> str:
    what = result.get("detail") if result.get("ok") else f"failed: {result.get('error')}"
    return f"{result.get('action')}: {what}"
