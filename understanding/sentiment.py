"""Sentiment per message (label, score in [-1, 1], cause) and its trend over a conversation.

Offline it is VADER (the `vaderSentiment` package, whose lexicon ships inside it: nothing is
downloaded). VADER scores words, not reasons, so the cause is found by its own reading of the
message's clauses: the most strongly felt clause, and when that clause only names a feeling
("I'm furious") the clause beside it, which usually says why ("my booking … was cancelled").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from understanding.text import unreadable

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
THRESHOLD = 0.05  # VADER's own cut-off on the compound score
TREND_WINDOW = 5
TREND_STEP = 0.25  # how far the latest score must move from the earlier ones to be a change
_CLAUSES = re.compile(r"[.!?;,\n]+|\s+(?:but|because|since|as|and then)\s+", re.IGNORECASE)
_WORD = re.compile(r"[\w']+")
_FILLER = frozenset(
    {"hi", "hello", "hey", "i", "i'm", "im", "am", "so", "really", "very", "just", "and", "we", "we're"}
)


@dataclass(frozen=True)
class SentimentReading:
    label: str
    score: float
    cause: str | None
    source: str  # offline | llm
    reason: str | None = None  # why it is neutral without reading

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": round(self.score, 3),
            "cause": self.cause,
            "source": self.source,
            "reason": self.reason,
        }


def label_for(score: float) -> str:
    return POSITIVE if score >= THRESHOLD else NEGATIVE if score <= -THRESHOLD else NEUTRAL


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def read(text: str | None) -> SentimentReading:
    why = unreadable(text)
    if why is not None:
        return SentimentReading(NEUTRAL, 0.0, None, "offline", why)
    assert text is not None
    vader = analyzer()
    score = float(vader.polarity_scores(text)["compound"])
    label = label_for(score)
    cause = None if label == NEUTRAL else _cause(text, score, vader)
    return SentimentReading(label, score, cause, "offline")


def _cause(text: str, overall: float, vader: SentimentIntensityAnalyzer) -> str | None:
    clauses = [c.strip() for c in _CLAUSES.split(text) if c and c.strip()]
    if not clauses:
        return None
    sign = 1 if overall > 0 else -1
    scores = [float(vader.polarity_scores(c)["compound"]) * sign for c in clauses]
    best = max(range(len(clauses)), key=lambda i: scores[i])
    if scores[best] <= 0:
        return clauses[best][:200]
    feeling = clauses[best]
    words = [w.lower() for w in _WORD.findall(feeling)]
    felt = [w for w in words if w not in _FILLER and w in vader.lexicon]
    if len([w for w in words if w not in _FILLER]) <= 2 and len(clauses) > 1:
        # The clause only names the feeling; the reason is next to it.
        neighbour = clauses[best + 1] if best + 1 < len(clauses) else clauses[best - 1]
        named = felt[0] if felt else feeling
        return f"{named}: {neighbour}"[:200]
    return feeling[:200]


def trend(history: list[dict[str, Any]]) -> str | None:
    """improving | worsening | steady over the last few messages; None with fewer than two."""
    scores = [float(h["score"]) for h in history[-TREND_WINDOW:] if "score" in h]
    if len(scores) < 2:
        return None
    earlier = sum(scores[:-1]) / (len(scores) - 1)
    change = scores[-1] - earlier
    if change >= TREND_STEP:
        return "improving"
    if change <= -TREND_STEP:
        return "worsening"
    return "steady"
