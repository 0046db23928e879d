"""Understanding with an LLM: one JSON-schema call per message (intent, sentiment with its cause,
context fields), and one for the conversation's summary.

The answers are validated twice: by pydantic in the structured-output client (a malformed answer is
retried by the client, then raises LLMError and the caller uses the offline result), and here
against the workspace's own intents and fields (an intent it invented is "unknown", a field value
that fails its check is dropped by the context service).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.llm import LLMClient
from understanding.intents import UNKNOWN, IntentReading
from understanding.schema import SchemaSpec
from understanding.sentiment import SentimentReading, label_for

MAX_INPUT_CHARS = 4000


class LLMReading(BaseModel):
    intent: str
    intent_confidence: float = Field(ge=0, le=1)
    sentiment: Literal["positive", "neutral", "negative"]
    sentiment_score: float = Field(ge=-1, le=1)
    sentiment_cause: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


class LLMSummary(BaseModel):
    summary: str
    key_points: list[str] = Field(default_factory=list)
    action_items: list[str] = Field(default_factory=list)


def _field_lines(schema: SchemaSpec | None) -> str:
    if schema is None or not schema.fields:
        return "(none: return an empty object)"
    lines = []
    for f in schema.fields:
        extra = f" one of {list(f.options)}" if f.type == "enum" else ""
        extra += " as ISO 8601 (YYYY-MM-DDTHH:MM)" if f.type == "datetime" else ""
        lines.append(f"- {f.name} ({f.type}{extra}){': ' + f.description if f.description else ''}")
    return "\n".join(lines)


def reading_messages(
    text: str, *, intents: dict[str, list[str]], schema: SchemaSpec | None, now: datetime
) -> list[dict[str, str]]:
    intent_lines = "\n".join(f"- {name}: e.g. {'; '.join(examples[:3])}" for name, examples in intents.items())
    system = (
        "You read one customer message to a small business's front desk and answer JSON only.\n"
        f'intent: one of these names, or "{UNKNOWN}" if none fits:\n{intent_lines}\n'
        "intent_confidence: 0 to 1.\n"
        "sentiment: positive, neutral or negative; sentiment_score from -1 to 1; sentiment_cause: in a few "
        "words, what the customer feels that way about (null when neutral).\n"
        f"fields: values the message states for these fields, leaving out any it does not mention:\n"
        f"{_field_lines(schema)}\n"
        f"Now is {now.isoformat(timespec='minutes')} (use it for relative dates like 'tomorrow')."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": text[:MAX_INPUT_CHARS]}]


async def read(
    client: LLMClient,
    text: str,
    *,
    intents: dict[str, list[str]],
    schema: SchemaSpec | None,
    now: datetime,
    threshold: float,
) -> tuple[IntentReading, SentimentReading, dict[str, Any], str]:
    """Raises core.llm.LLMError when every attempt failed or answered malformed JSON."""
    result = await client.structured(
        reading_messages(text, intents=intents, schema=schema, now=now), LLMReading, temperature=0, max_tokens=400
    )
    r = result.value
    if r.intent not in intents:
        intent = IntentReading(UNKNOWN, r.intent_confidence, "llm", reason=f"the model answered {r.intent[:40]!r}")
    elif r.intent_confidence < threshold:
        intent = IntentReading(
            UNKNOWN, r.intent_confidence, "llm", [(r.intent, r.intent_confidence)], "not confident enough"
        )
    else:
        intent = IntentReading(r.intent, r.intent_confidence, "llm", [(r.intent, r.intent_confidence)])
    # The label follows the score when they disagree: one number is easier to trust than two.
    label = r.sentiment if label_for(r.sentiment_score) == r.sentiment else label_for(r.sentiment_score)
    cause = (r.sentiment_cause or None) if label != "neutral" else None
    sentiment = SentimentReading(label, r.sentiment_score, cause and cause[:200], "llm")
    known = {f.name for f in schema.fields} if schema is not None else set()
    fields = {k: v for k, v in r.fields.items() if k in known and v not in (None, "")}
    return intent, sentiment, fields, result.model


async def summarize(client: LLMClient, transcript: list[tuple[str, str]]) -> tuple[LLMSummary, str]:
    """transcript: (who, text) oldest first. Raises core.llm.LLMError."""
    lines = json.dumps([{"from": who, "text": text[:1000]} for who, text in transcript[-40:]], ensure_ascii=False)
    messages = [
        {
            "role": "system",
            "content": "Summarise this front-desk conversation for staff, in JSON: summary (two sentences at most), "
            "key_points (facts the customer gave), action_items (what staff still need to do). Invent nothing.",
        },
        {"role": "user", "content": lines},
    ]
    result = await client.structured(messages, LLMSummary, temperature=0, max_tokens=400)
    return result.value, result.model
