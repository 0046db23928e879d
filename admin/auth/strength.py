"""How guessable a new password is, offline: zxcvbn's estimate.

zxcvbn (the maintained Python port of Dropbox's estimator) matches a password against its lists of
the most common passwords from breach corpora, names, English words and keyboard patterns, plus
the account's own words (email, name, workspace), and estimates the guesses an attacker needs.
Below `MIN_SCORE` the password is refused with zxcvbn's own reason and advice. Length alone says
little: "password1234" has twelve characters and is among the first guesses of every cracker.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

# 3 of 4: about 10^8 guesses or more ("safely unguessable", zxcvbn's scale), the usual bar for
# accounts; argon2 makes each guess against a stolen hash slow on top of that.
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching is quadratic); 72 characters of a longer password decide.
JUDGED_CHARS = 72
ADVICE = "Use a passphrase of four or more unrelated words, or a password from a password manager."


class WeakPassword(ValueError):
    """Why the password is refused, and what to do instead (one sentence or two each)."""


def _own_words(values: Iterable[str]) -> list[str]:
    words: set[str] = {"frontdesk"}
    for value in values:
        value = value.strip().lower()
        if value:
            words.update((value, re.sub(r"[^a-z0-9]+", "", value)))
            words.update(w for w in re.split(r"[^a-z0-9]+", value) if len(w) >= 3)
    return sorted(words)


def judge(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise WeakPassword if the password is too easy to guess. CPU-bound (up to ~40 ms)."""
    result = zxcvbn(password[:JUDGED_CHARS], user_inputs=_own_words(user_inputs))
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    own = any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"])
    why = feedback.get("warning") or (
        "It is made from your email, name or workspace name." if own else "It is short or predictable."
    )
    advice = " ".join([*feedback.get("suggestions", []), ADVICE])
    raise WeakPassword(f"This password is too easy to guess. {why} {advice}")


async def check_strength(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """`judge` off the event loop."""
    await asyncio.to_thread(judge, password, user_inputs=list(user_inputs))


def warm_up() -> None:
    """zxcvbn builds its ranked lists on first use (~0.1 s); do it at start-up, not in a request."""
    judge("warm up the frequency lists 8c1e")
