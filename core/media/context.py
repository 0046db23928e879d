"""What the customer's attachments add to the message the draft answers.

A voice note's transcript is already the message text; this adds what the customer typed beside it
(a caption) and the text of documents they sent, marked as theirs so the model does not take a
customer's PDF for the business's own policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.messages import Attachment, AttachmentKind

VOICE = (AttachmentKind.voice, AttachmentKind.audio)


def attachment_context(attachments: Iterable[Attachment]) -> str:
    parts: list[str] = []
    for a in attachments:
        if a.kind in VOICE and a.caption:
            parts.append(f"[Written with the voice note] {a.caption}")
        if a.extracted_text and a.kind is AttachmentKind.image:
            parts.append(f"[The customer attached a photo; it shows:] {a.extracted_text}")
        elif a.extracted_text:
            parts.append(f"[The customer attached {a.name or 'a document'}; its text:]\n{a.extracted_text}")
        elif a.kind is AttachmentKind.image and a.key:
            parts.append("[The customer attached a photo; staff can see it]")
    return "\n\n" + "\n\n".join(parts) if parts else ""
