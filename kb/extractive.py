"""The drafter used when no LLM is configured (the embedded default): it answers only with words
the business wrote.

The best-matching passage is used when its similarity to the question clears the threshold: a FAQ
row's own answer, or the passage itself, after a short lead-in naming where it comes from, with the
citation. Below the threshold it hands off honestly: an empty draft that needs staff, no citations.
The threshold and the confidence scale are calibrated on data (bench/kb_eval.py, docs/benchmarks.md).
"""

from __future__ import annotations

from bisect import bisect_right

from core.pipeline.turn import DraftResult, Source, Turn

MAX_PASSAGE_CHARS = 700  # a chat reply, not a page: longer passages are cut at a sentence

# Similarity of the best passage -> share of right first passages at or above it, measured by
# bench/kb_eval.py (docs/benchmarks.md); interpolated between points. The threshold setting
# (kb_answer_threshold, 0.45) comes from the same run: a margin above every out-of-scope question.
CALIBRATION: tuple[tuple[float, float], ...] = ((0.30, 0.76), (0.45, 0.80), (0.55, 0.86), (0.60, 0.95))


def confidence_for(similarity: float) -> float:
    xs = [x for x, _ in CALIBRATION]
    i = bisect_right(xs, similarity)
    if i == 0:
        return CALIBRATION[0][1] * similarity / xs[0] if xs[0] else 0.0
    if i == len(xs):
        return CALIBRATION[-1][1]
    (x0, y0), (x1, y1) = CALIBRATION[i - 1], CALIBRATION[i]
    return y0 + (y1 - y0) * (similarity - x0) / (x1 - x0)


def trim(text: str, limit: int = MAX_PASSAGE_CHARS) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in (". ", "! ", "? ", "\n"))
    return (text[: cut + 1] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0] + " …").strip()


def answer_text(source: Source) -> str:
    if source.answer:
        return f"From {source.title}:\n{source.answer.strip()}" if source.title else source.answer.strip()
    return f"From {source.title}:\n{trim(source.text)}" if source.title else trim(source.text)


class ExtractiveDrafter:
    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn) -> DraftResult:
        best = turn.sources[0] if turn.sources else None
        threshold = self.threshold if turn.answer_threshold is None else turn.answer_threshold
        if best is None or best.score < threshold:
            found = f"best match {best.score:.2f}" if best else "the knowledge base is empty"
            return DraftResult(
                text="",
                source="extractive",
                needs_staff=True,
                reason=f"no passage answers this ({found}, threshold {threshold:.2f})",
            )
        return DraftResult(
            text=answer_text(best),
            source="extractive",
            confidence=round(confidence_for(best.score), 3),
            citations=[best.citation()],
            grounded=True,
            reason=f"answered from the knowledge base (similarity {best.score:.2f})",
        )
