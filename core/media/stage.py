"""The media stage: voice notes become text, files are checked, kept and read, before the pipeline
goes on to understand and answer.

Bytes come from the channel (`Channel.fetch_media`; web chat uploads from storage), are checked by
content against a size cap per kind, and kept in storage under their content hash. A voice note's
transcript becomes the message text (a caption stays on the attachment); a document's text goes to
the draft as context; a photo is kept for staff. Media that cannot be used (too long, too big,
damaged, not what it claims to be, empty) is never an error that kills the turn: the message is
kept with the reason, the customer is asked in a short reply to type or resend, and the turn is
handed to staff.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import update

from core.channels import ChannelRegistry, MediaError
from core.crypto import SecretBox
from core.db import Database
from core.media.audio import AudioProblem
from core.media.documents import DocumentProblem, read_document
from core.media.sniff import AUDIO, DOCUMENT, IMAGE, contradicts, sniff
from core.media.storage import Storage
from core.media.transcribe import Transcriber
from core.messages import Attachment, AttachmentKind
from core.models import Message
from core.outbox import route_for
from core.pipeline.turn import DraftResult, Turn

log = logging.getLogger(__name__)

VOICE = frozenset({AttachmentKind.voice, AttachmentKind.audio})
HANDLED = VOICE | {AttachmentKind.image, AttachmentKind.document}
MB = 1024 * 1024
Fetch = Callable[[Attachment, int], Awaitable[bytes]]
# What a vision model makes of a photo (bytes, sniffed type) for the draft; none ships by default.
Vision = Callable[[bytes, str], Awaitable[str | None]]


@dataclass(frozen=True)
class MediaLimits:
    max_voice_seconds: float = 300.0
    max_audio_bytes: int = 20 * MB
    max_image_bytes: int = 10 * MB
    max_document_bytes: int = 20 * MB
    max_document_chars: int = 8000

    def max_bytes(self, kind: AttachmentKind) -> int:
        if kind in VOICE:
            return self.max_audio_bytes
        return self.max_image_bytes if kind is AttachmentKind.image else self.max_document_bytes


class MediaProblem(Exception):
    """This attachment cannot be used; `code` says why, in words the reply and staff share."""

    def __init__(self, code: str, detail: str, *, key: str | None = None, duration: float | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.key = key
        self.duration = duration


def customer_reply(attachment: Attachment, code: str) -> str:
    """One short reply that tells the customer what to do instead."""
    voice = attachment.kind in VOICE
    if code in ("too_long", "too_large") and voice:
        return "That voice note is too long for me, could you type it or send a shorter one?"
    if code == "too_large":
        return "That file is too big for me, could you send a smaller one or type your question?"
    if code == "no_speech":
        return "I couldn't hear anything in that voice note, could you type your message?"
    if voice:
        return "I couldn't play that voice note, could you send it again or type your message?"
    return "I couldn't open that file, could you send it again or type your message?"


def staff_reason(attachment: Attachment, problem: MediaProblem) -> str:
    label = "voice note" if attachment.kind is AttachmentKind.voice else attachment.kind.value
    return f"media: the customer's {label} could not be used ({problem.code}: {problem})"


class MediaStage:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        channels: ChannelRegistry,
        storage: Storage,
        transcriber: Transcriber | None,
        limits: MediaLimits | None = None,
        *,
        vision: Vision | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.channels = channels
        self.storage = storage
        self.transcriber = transcriber
        self.limits = limits or MediaLimits()
        self.vision = vision

    async def __call__(self, turn: Turn) -> None:
        msg = turn.message
        if turn.draft_id is not None or turn.conversation is None or turn.message_row is None or turn.dry_run:
            return  # a try has no stored message, and carries no media
        todo = [i for i, a in enumerate(msg.attachments) if a.kind in HANDLED]
        if not todo or msg.channel.value not in self.channels:
            return
        channel = self.channels.get(msg.channel.value)
        route = await route_for(self.db, self.box, turn.conversation.id)

        def fetch(attachment: Attachment, cap: int) -> Awaitable[bytes]:
            return channel.fetch_media(route, attachment, max_bytes=cap)

        found = list(msg.attachments)
        problems: list[tuple[Attachment, MediaProblem]] = []
        for i in todo:
            attachment = msg.attachments[i]
            try:
                found[i] = await self._use(attachment, fetch=fetch)
            except MediaProblem as problem:
                log.info(
                    "media refused",
                    extra={"inbox_id": turn.inbox_id, "kind": attachment.kind.value, "problem": problem.code},
                )
                found[i] = attachment.model_copy(
                    update={"problem": problem.code, "key": problem.key, "duration_seconds": problem.duration}
                    if problem.duration
                    else {"problem": problem.code, "key": problem.key}
                )
                problems.append((attachment, problem))
        text = msg.text
        transcripts = [a.transcript for a in found if a.kind in VOICE and a.transcript]
        if transcripts:
            # The transcript is what the customer said; what they typed beside it stays on the note.
            caption = msg.text.strip() or None
            text = "\n\n".join(transcripts)
            found = [a.model_copy(update={"caption": caption}) if a.transcript else a for a in found]
        turn.message = msg.model_copy(update={"text": text, "attachments": tuple(found)})
        await self._save(turn)
        if problems and not turn.conversation.bot_paused:
            first, why = problems[0]
            turn.draft = DraftResult(text="", source="none", needs_staff=True, reason=staff_reason(first, why))
            turn.handoff_reply = customer_reply(first, why.code)

    async def _use(self, attachment: Attachment, *, fetch: Fetch) -> Attachment:
        limits = self.limits
        cap = limits.max_bytes(attachment.kind)
        voice = attachment.kind in VOICE
        declared = attachment.duration_seconds
        if voice and declared is not None and declared > limits.max_voice_seconds:
            raise MediaProblem("too_long", f"{declared:.0f} s, over the {limits.max_voice_seconds:.0f} s limit")
        if attachment.size is not None and attachment.size > cap:
            raise MediaProblem("too_large", f"{attachment.size} bytes, over the {cap} byte limit")
        try:
            data = await fetch(attachment, cap)
        except MediaError as exc:
            raise MediaProblem("too_large" if exc.code == "too_large" else "unavailable", str(exc)) from exc
        if len(data) > cap:
            raise MediaProblem("too_large", f"{len(data)} bytes, over the {cap} byte limit")
        if not data:
            raise MediaProblem("empty", "the file is empty")
        detected = sniff(data)
        allowed = AUDIO if voice else IMAGE if attachment.kind is AttachmentKind.image else None
        if (allowed is not None and detected not in allowed) or (
            detected is not None and contradicts(detected, attachment.mime_type, attachment.name)
        ):
            raise MediaProblem(
                "wrong_type", f"labelled {attachment.mime_type or attachment.name or '?'}, but it is {detected or '?'}"
            )
        stored = await self.storage.put(data)
        kept = attachment.model_copy(update={"key": stored.key, "size": len(data)})
        if voice:
            return await self._hear(kept, data, detected)
        if attachment.kind is AttachmentKind.document and detected in DOCUMENT:
            try:
                text = await read_document(data, detected or "", max_chars=limits.max_document_chars)
            except DocumentProblem as exc:
                raise MediaProblem("corrupt", str(exc), key=stored.key) from exc
            return kept.model_copy(update={"extracted_text": text or None})
        if attachment.kind is AttachmentKind.image and self.vision is not None:
            try:
                seen = await self.vision(data, detected or "")
            except Exception:  # a vision model is a nicety: the photo is kept for staff either way
                log.warning("describing a photo failed", exc_info=True)
                seen = None
            return kept.model_copy(update={"extracted_text": seen or None})
        return kept  # photos are kept for staff

    async def _hear(self, attachment: Attachment, data: bytes, container: str | None) -> Attachment:
        if self.transcriber is None:
            return attachment  # transcription is off: staff listen to it
        try:
            heard = await self.transcriber.transcribe(data, container=container)
        except AudioProblem as exc:
            raise MediaProblem(exc.code, str(exc), key=attachment.key, duration=exc.duration) from exc
        if not heard.text.strip():
            raise MediaProblem("no_speech", "no speech was heard", key=attachment.key, duration=heard.duration_seconds)
        return attachment.model_copy(
            update={
                "transcript": heard.text,
                "language": heard.language,
                "confidence": heard.confidence,
                "duration_seconds": heard.duration_seconds,
            }
        )

    async def _save(self, turn: Turn) -> None:
        """The message as staff see it: transcript as text, attachments with what was found."""
        row = turn.message_row
        if row is None:
            return
        attachments = [a.model_dump(mode="json") for a in turn.message.attachments]
        async with self.db.session() as s:
            await s.execute(
                update(Message).where(Message.id == row.id).values(text=turn.message.text, attachments=attachments)
            )
        row.text, row.attachments = turn.message.text, attachments
