"""Reading POST /api/v1/chat: a JSON message, or a multipart form carrying a voice note or a file.

Multipart is what a browser can send cross-site from a plain HTML form, so an upload must carry the
`X-Frontdesk-Chat` header, which no form can set and which a cross-site script may send only after
a CORS preflight the business's allowed origins pass. The file is kept in storage at once; the
media stage fetches it from there by its key, as it fetches a Telegram voice note by its file_id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from channels.web.schemas import ChatCreate
from core.media.storage import Storage
from core.messages import Attachment, AttachmentKind

UPLOAD_HEADER = "X-Frontdesk-Chat"


class ChatUploadCreate(BaseModel):
    """The form fields beside the file; the message is an optional caption."""

    model_config = ConfigDict(extra="ignore")

    agent: str = Field(min_length=1, max_length=64)
    message: str = Field("", max_length=100_000)
    session_id: uuid.UUID | None = None
    message_id: str | None = Field(None, min_length=1, max_length=100)
    kind: AttachmentKind | None = Field(None, description="voice for a recording; default from the file's type.")


@dataclass(frozen=True)
class ChatRequest:
    agent: str
    message: str
    session_id: uuid.UUID | None
    message_id: str | None
    attachment: Attachment | None = None


def _kind(declared: AttachmentKind | None, mime_type: str) -> AttachmentKind:
    if declared in (AttachmentKind.voice, AttachmentKind.audio, AttachmentKind.image, AttachmentKind.document):
        return declared
    if mime_type.startswith("audio/"):
        return AttachmentKind.audio
    return AttachmentKind.image if mime_type.startswith("image/") else AttachmentKind.document


async def read_chat_request(request: Request, *, storage: Storage | None, max_json: int, max_file: int) -> ChatRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if len(body) > max_json:
            raise HTTPException(413, "request body too large")
        try:
            parsed = ChatCreate.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
            ) from None
        return ChatRequest(parsed.agent, parsed.message, parsed.session_id, parsed.message_id)
    if content_type != "multipart/form-data":
        raise HTTPException(415, "send the message as application/json, or a file as multipart/form-data")
    if request.headers.get(UPLOAD_HEADER) is None:
        raise HTTPException(403, f"uploads need the {UPLOAD_HEADER} header")
    if storage is None:
        raise HTTPException(501, "this server keeps no uploads")
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            parsed_form = ChatUploadCreate.model_validate(fields)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
            ) from None
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "attach the voice note or file as the `file` field")
        data = await upload.read(max_file + 1)
        if len(data) > max_file:
            raise HTTPException(413, f"the file is larger than {max_file // (1024 * 1024)} MB")
        mime_type = (upload.content_type or "application/octet-stream").lower()
        stored = await storage.put(data)
        attachment = Attachment(
            kind=_kind(parsed_form.kind, mime_type),
            mime_type=mime_type,
            size=len(data),
            name=(upload.filename or None) and (upload.filename or "")[:200],
            ref=stored.key,
        )
    return ChatRequest(
        parsed_form.agent, parsed_form.message.strip(), parsed_form.session_id, parsed_form.message_id, attachment
    )


# The request body as the API docs show it: FastAPI cannot infer a body read by hand.
CHAT_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ChatCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["agent", "file"],
                    "properties": {
                        "agent": {"type": "string"},
                        "message": {"type": "string", "description": "Optional caption."},
                        "session_id": {"type": "string", "format": "uuid"},
                        "message_id": {"type": "string"},
                        "kind": {"type": "string", "enum": ["voice", "audio", "image", "document"]},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


class ChatSettings(Protocol):
    """What web chat reads of the app's settings (the composition root passes bot.settings.Settings)."""

    @property
    def chat_allowed_origins(self) -> list[str]: ...
    @property
    def chat_rate_per_minute(self) -> int: ...
    @property
    def chat_wait_seconds(self) -> float: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def max_message_chars(self) -> int: ...
    @property
    def media_max_audio_bytes(self) -> int: ...
    @property
    def media_max_image_bytes(self) -> int: ...
    @property
    def media_max_document_bytes(self) -> int: ...


def max_upload_bytes(settings: ChatSettings) -> int:
    """The largest file the chat takes: the biggest of the media stage's per-kind caps."""
    return max(settings.media_max_audio_bytes, settings.media_max_image_bytes, settings.media_max_document_bytes)
