"""Text to and from Slack's mrkdwn.

Out: `&`, `<` and `>` are control characters in Slack messages (links, mentions), so a reply that
contains them is escaped, or `<!channel>` in a draft would ping a whole channel. In: Slack sends
those escaped, and links as `<url|label>`; the pipeline wants the text the person wrote.
"""

from __future__ import annotations

import re

from core.messages import split_text

MAX_TEXT = 4000  # Slack truncates longer messages; it recommends 4,000 characters per message
SECTION_TEXT = 2900  # a Block Kit section holds 3,000 characters

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_MENTION = re.compile(r"<[@#!]([A-Za-z0-9^_-]+)(?:\|([^>]*))?>")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What a person typed, from Slack's message text: links as their label (URL), mentions by name."""

    def link(m: re.Match[str]) -> str:
        url, label = m.group(1), m.group(2)
        url = url.removeprefix("mailto:") if url.startswith("mailto:") else url
        return f"{label} ({url})" if label and label != url and label != m.group(1) else url

    text = _LINK.sub(link, text)
    text = _MENTION.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parts(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Escaped parts of a reply, each within Slack's limit (split before escaping, so an entity is
    never cut in two; escaping can lengthen a part a little, so the split leaves room)."""
    return [escape(p) for p in split_text(text, limit - limit // 10)]


def clip(text: str, limit: int = SECTION_TEXT) -> str:
    """Escaped text for a Block Kit field, shortened with an ellipsis if it would not fit."""
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text)


def quote(text: str, limit: int = SECTION_TEXT) -> str:
    return "\n".join("> " + line for line in clip(text, limit).splitlines() or [""])
