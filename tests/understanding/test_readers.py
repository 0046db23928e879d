"""The offline readers on their own: intents, sentiment and garbage, as staff would see them."""

from __future__ import annotations

import pytest

from tests.understanding.conftest import DEMO
from understanding import sentiment
from understanding.intents import UNKNOWN, IntentClassifier

GARBAGE = [
    "😡😡😡🙏🙏",
    "!!! ??? ... 123 456",
    "lorem ipsum dolor sit amet " * 400,  # ~10 KB pasted
    "Der Kühlschrank 冷蔵庫 está roto quand même",
]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how much is a colour and cut?", "pricing"),
        ("are you open on Sunday afternoon", "hours"),
        ("can I get an appointment on Friday", "booking"),
        ("I want to talk to a real person", "human"),
        (DEMO, "complaint"),
    ],
)
def test_messages_get_the_intent_a_person_would_give(
    template_classifier: IntentClassifier, text: str, intent: str
) -> None:
    found = template_classifier.classify(text)
    assert found.intent == intent
    assert template_classifier.threshold <= found.confidence <= 1


def test_a_message_about_something_else_is_unknown_not_a_guess(template_classifier: IntentClassifier) -> None:
    found = template_classifier.classify("the quarterly revenue of the mining sector fell")
    assert found.intent == UNKNOWN
    assert found.reason


@pytest.mark.parametrize("text", GARBAGE, ids=["emoji", "symbols", "10kb", "mixed-languages"])
def test_garbage_is_unknown_and_neutral_without_an_exception(template_classifier: IntentClassifier, text: str) -> None:
    assert template_classifier.classify(text).intent == UNKNOWN
    assert sentiment.read(text).label == sentiment.NEUTRAL


def test_an_angry_message_is_negative_with_its_cause() -> None:
    found = sentiment.read(DEMO)
    assert found.label == sentiment.NEGATIVE and found.score < -0.3
    assert found.cause is not None and "furious" in found.cause and "cancelled" in found.cause


def test_a_happy_message_is_positive() -> None:
    found = sentiment.read("thank you so much, the cut looks lovely!")
    assert found.label == sentiment.POSITIVE and found.cause


def test_the_trend_follows_the_conversation() -> None:
    assert sentiment.trend([{"score": -0.7}]) is None
    assert sentiment.trend([{"score": -0.7}, {"score": -0.6}, {"score": 0.5}]) == "improving"
    assert sentiment.trend([{"score": 0.4}, {"score": 0.3}, {"score": -0.6}]) == "worsening"
    assert sentiment.trend([{"score": 0.1}, {"score": 0.0}, {"score": 0.1}]) == "steady"
