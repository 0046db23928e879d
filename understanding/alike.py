"""Intents too alike to tell apart: the check the owner runs on their intents' example phrases.

Each phrase is embedded with the encoder the classifier uses (the local MiniLM model). Two intents
are reported when their centres (the mean of their phrases' vectors) are at least `CENTRE_LIMIT`
alike, or when at least `STRAY_SHARE` of their phrases are nearer to a phrase of the other than to
any other phrase of their own (leave-one-out nearest neighbour): the classifier would mix them up.
On the shipped intents nothing is reported (the closest pair, booking and reschedule, is 71% alike
with 2 strays in 14 phrases); an intent "appointment" written beside "booking" is (88%, 10 in 11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

CENTRE_LIMIT = 0.80  # cosine of two intents' centres from which they read as one
STRAY_SHARE = 0.25  # share of the pair's phrases nearest to the other intent from which they are mixed up


class Encoder(Protocol):
    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


@dataclass
class Confusion:
    """A pair of intents the classifier may mix up, with the phrases that show it."""

    first: str
    second: str
    centre_similarity: float
    strays: list[tuple[str, str, str]] = field(default_factory=list)  # (phrase, its intent, nearest phrase)
    phrases: int = 0  # how many phrases the two have between them

    @property
    def words(self) -> str:
        told = f"“{self.first}” and “{self.second}” are {self.centre_similarity:.0%} alike"
        if not self.strays:
            return f"{told}: their phrases are close, the assistant may take one for the other."
        n = len(self.strays)
        verb = "are" if n > 1 else "is"
        return f"{told}: {n} of their {self.phrases} phrases {verb} nearer to a phrase of the other than to their own."


def too_alike(intents: dict[str, list[str]], encoder: Encoder, *, limit: float = CENTRE_LIMIT) -> list[Confusion]:
    """The pairs of intents too alike, most alike first (none when fewer than two intents have phrases).
    Call it off the event loop: it embeds every phrase."""
    usable = {n: [e for e in ex if e.strip()] for n, ex in intents.items()}
    usable = {n: ex for n, ex in usable.items() if ex}
    if len(usable) < 2:
        return []
    names = list(usable)
    texts = [e for n in names for e in usable[n]]
    labels = np.array([i for i, n in enumerate(names) for _ in usable[n]])
    vectors = encoder.encode(texts).astype(np.float32)
    centres = np.stack([vectors[labels == i].mean(axis=0) for i in range(len(names))])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    similar = centres @ centres.T
    pairs: dict[tuple[int, int], Confusion] = {}
    near = vectors @ vectors.T
    np.fill_diagonal(near, -np.inf)
    for k, nearest in enumerate(near.argmax(axis=1)):
        a, b = int(labels[k]), int(labels[nearest])
        if a != b:
            key = (min(a, b), max(a, b))
            pair = pairs.setdefault(key, Confusion(names[key[0]], names[key[1]], float(similar[key])))
            pair.strays.append((texts[k], names[a], texts[int(nearest)]))
    reported = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            pair = pairs.get((i, j)) or Confusion(names[i], names[j], float(similar[i, j]))
            pair.phrases = len(usable[names[i]]) + len(usable[names[j]])
            share = len(pair.strays) / pair.phrases
            if similar[i, j] >= limit or share >= STRAY_SHARE:
                reported.append(pair)
    return sorted(reported, key=lambda c: (-c.centre_similarity, -len(c.strays)))
