"""Building the understand stage from the settings (kept here so bot/runtime.py gains one line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from core.assistants import LLMProvider, ModelSettings
from core.crypto import SecretBox
from core.db import Database
from understanding.intents import Classifiers
from understanding.stage import Settings, UnderstandStage


class AppSettings(Protocol):
    """The settings the understand stage is built from (bot.settings.Settings has them)."""

    @property
    def llm_timeout_seconds(self) -> float: ...
    @property
    def understanding_llm(self) -> bool: ...
    @property
    def understanding_intent_threshold(self) -> float: ...
    @property
    def understanding_min_similarity(self) -> float: ...
    @property
    def understanding_phone_region(self) -> str | None: ...
    @property
    def understanding_summary_every(self) -> int: ...


# Understanding has an offline answer to fall back on: a malformed or failed LLM answer is retried
# once, then the offline readers answer, rather than holding the turn through a longer retry budget.
LLM_RETRIES = 1


class Encoder(Protocol):
    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def understand_stage(
    s: AppSettings, db: Database, box: SecretBox, *, defaults: ModelSettings, encoder: Callable[[], Encoder]
) -> UnderstandStage:
    """`encoder` answers the sentence encoder (the local MiniLM model the knowledge base also uses);
    it is called on the first message classified offline, so the model does not load at start-up."""

    class _Lazy:
        def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            return encoder().encode(texts, batch_size)

    llms = LLMProvider(box, defaults=defaults, timeout=s.llm_timeout_seconds, max_retries=LLM_RETRIES)
    classifiers = Classifiers(
        _Lazy(), threshold=s.understanding_intent_threshold, min_similarity=s.understanding_min_similarity
    )
    settings = Settings(
        threshold=s.understanding_intent_threshold,
        phone_region=s.understanding_phone_region,
        summary_every=s.understanding_summary_every,
        use_llm=s.understanding_llm,
    )
    return UnderstandStage(db, llms, classifiers, settings)
