"""The offline intent classifier: logistic regression on the local ONNX sentence embeddings.

scikit-learn's `LogisticRegression`, wrapped in `CalibratedClassifierCV` with temperature scaling so
that "0.8" means right about 80% of the time, when every intent has examples enough for the folds.
Below the confidence threshold, or when the message is far from every example (nearest cosine below
`min_similarity`), the intent is "unknown": staff see no guess dressed up as an answer.

Classifiers are trained on first use and kept per process, keyed by a fingerprint of the examples,
so a workspace that edits its intents gets a new one and every other workspace shares theirs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from understanding.text import unreadable

UNKNOWN = "unknown"
DEFAULT_THRESHOLD = 0.45
DEFAULT_MIN_SIMILARITY = 0.30
# Unit-length embeddings have tiny coordinates: a weak penalty lets the model use them.
REGULARISATION_C = 20.0
MAX_CACHED = 32


class Encoder(Protocol):
    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


@dataclass(frozen=True)
class IntentReading:
    intent: str
    confidence: float
    source: str  # offline | llm
    candidates: list[tuple[str, float]] = field(default_factory=list)  # best three, for staff
    reason: str | None = None  # why it is unknown

    def as_dict(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "source": self.source,
            "candidates": [{"intent": n, "confidence": round(p, 3)} for n, p in self.candidates],
            "reason": self.reason,
        }


def unknown(reason: str, source: str = "offline") -> IntentReading:
    return IntentReading(UNKNOWN, 0.0, source, reason=reason)


class IntentClassifier:
    def __init__(
        self,
        model: LogisticRegression | CalibratedClassifierCV,
        examples: np.ndarray,
        *,
        encoder: Encoder,
        threshold: float = DEFAULT_THRESHOLD,
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
        calibrated: bool,
    ) -> None:
        self.model = model
        self.names: list[str] = [str(c) for c in model.classes_]
        self.examples = examples
        self.encoder = encoder
        self.threshold = threshold
        self.min_similarity = min_similarity
        self.calibrated = calibrated

    @classmethod
    def fit(
        cls,
        texts: list[str],
        labels: list[str],
        *,
        encoder: Encoder,
        vectors: np.ndarray | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
        seed: int = 0,
    ) -> IntentClassifier:
        """Train on example phrases (or their precomputed `vectors`). Needs two intents at least."""
        if len(set(labels)) < 2:
            raise ValueError("an intent classifier needs at least two intents with examples")
        x = vectors if vectors is not None else encoder.encode(texts)
        y = np.array(labels)
        fewest = min(int((y == name).sum()) for name in set(labels))
        base = LogisticRegression(C=REGULARISATION_C, max_iter=2000, random_state=seed)
        model: LogisticRegression | CalibratedClassifierCV
        if fewest >= 2:
            model = CalibratedClassifierCV(base, method="temperature", cv=min(3, fewest))
            calibrated = True
        else:  # one example of some intent: no folds to calibrate on
            model, calibrated = base, False
        model.fit(x, y)
        return cls(
            model,
            x.astype(np.float32),
            encoder=encoder,
            threshold=threshold,
            min_similarity=min_similarity,
            calibrated=calibrated,
        )

    def classify(self, text: str | None) -> IntentReading:
        why = unreadable(text)
        if why is not None:
            return unknown(why)
        assert text is not None
        return self.classify_vectors(self.encoder.encode([text]))[0]

    def classify_vectors(self, vectors: np.ndarray) -> list[IntentReading]:
        probabilities = self.model.predict_proba(vectors)
        nearest = (vectors @ self.examples.T).max(axis=1)
        out = []
        for row, similarity in zip(probabilities, nearest, strict=True):
            order = np.argsort(row)[::-1][:3]
            candidates = [(self.names[i], float(row[i])) for i in order]
            best, confidence = candidates[0]
            if similarity < self.min_similarity:
                out.append(IntentReading(UNKNOWN, confidence, "offline", candidates, "like none of the examples"))
            elif confidence < self.threshold:
                out.append(IntentReading(UNKNOWN, confidence, "offline", candidates, "not confident enough"))
            else:
                out.append(IntentReading(best, confidence, "offline", candidates))
        return out


def fingerprint(intents: dict[str, list[str]]) -> str:
    return hashlib.sha256(json.dumps(intents, sort_keys=True).encode()).hexdigest()


# One cache per process, shared by every runtime in it (tests build many): training is the slow part.
_CACHE: OrderedDict[str, IntentClassifier] = OrderedDict()
_LOCK = threading.Lock()


class Classifiers:
    """Trained classifiers by examples' fingerprint: one per distinct intent set in this process."""

    def __init__(self, encoder: Encoder, *, threshold: float, min_similarity: float) -> None:
        self.encoder = encoder
        self.threshold = threshold
        self.min_similarity = min_similarity
        self._cache = _CACHE
        self._lock = _LOCK

    def get(self, intents: dict[str, list[str]]) -> IntentClassifier | None:
        """The classifier for these intents (trained now if new; call it off the event loop)."""
        usable = {name: [e for e in examples if e.strip()] for name, examples in intents.items()}
        usable = {name: examples for name, examples in usable.items() if examples}
        if len(usable) < 2:
            return None
        key = f"{fingerprint(usable)}:{self.threshold}:{self.min_similarity}"
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
            texts = [e for examples in usable.values() for e in examples]
            labels = [name for name, examples in usable.items() for _ in examples]
            trained = IntentClassifier.fit(
                texts, labels, encoder=self.encoder, threshold=self.threshold, min_similarity=self.min_similarity
            )
            self._cache[key] = trained
            while len(self._cache) > MAX_CACHED:
                self._cache.popitem(last=False)
            return trained
