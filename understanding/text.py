"""Which customer text is worth reading for intent and sentiment.

Emoji only, punctuation, or a wall of pasted text are not one request with one mood: they are
labelled unknown and neutral, and staff read them.
"""

from __future__ import annotations

import unicodedata

MAX_CHARS = 2000  # longer is a pasted document or spam, not a front-desk message
MIN_LETTERS = 2


def letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


def unreadable(text: str | None) -> str | None:
    """Why this text is not classified, or None when it is."""
    if not text or not text.strip():
        return "no text"
    if len(text) > MAX_CHARS:
        return f"longer than {MAX_CHARS} characters"
    if letters(text) < MIN_LETTERS:
        return "no words"
    return None
