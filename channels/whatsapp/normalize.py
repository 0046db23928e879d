"""Twilio's inbound webhook parameters (WhatsApp or SMS/MMS) to the internal `InboundMessage`.

The channel is `whatsapp` when the sender's address is `whatsapp:+…`, else `sms`; MessageSid is the
dedup key. SMS keywords (STOP, START, HELP and their synonyms) become control kinds: the contact's
opt-out is recorded and honoured whatever Twilio's advanced opt-out did with the message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.messages import Attachment, AttachmentKind, ChannelKind, InboundMessage, MessageKind, Sender

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
HELP = frozenset({"HELP", "INFO"})
MAX_MEDIA = 10  # Twilio's own limit per message
SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


class NotAMessage(ValueError):
    """The parameters are not a Twilio inbound message (a 400, nothing stored)."""


@dataclass(frozen=True)
class TwilioIdentity:
    workspace_id: str
    connection_id: str
    help_text: str | None = None


def normalize(params: Mapping[str, str], who: TwilioIdentity) -> InboundMessage:
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid") or ""
    sender, to = params.get("From", "").strip(), params.get("To", "").strip()
    if not SID.match(sid):
        raise NotAMessage("MessageSid is missing or malformed")
    if not sender or not to:
        raise NotAMessage("From and To are required")
    whatsapp = sender.startswith("whatsapp:")
    channel = ChannelKind.whatsapp if whatsapp else ChannelKind.sms
    body = params.get("Body", "")
    kind, payload = MessageKind.message, None
    if params.get("ButtonPayload") or params.get("ButtonText"):
        kind, payload = MessageKind.button, params.get("ButtonPayload") or params.get("ButtonText")
        body = body or params.get("ButtonText", "")
    elif not whatsapp:
        keyword = body.strip().upper().rstrip(".!")
        if keyword in OPT_OUT:
            kind = MessageKind.opt_out
        elif keyword in OPT_IN:
            kind = MessageKind.opt_in
        elif keyword in HELP:
            kind, payload = MessageKind.help, who.help_text
    number = sender.removeprefix("whatsapp:")
    wa_id = params.get("WaId")
    return InboundMessage(
        workspace_id=who.workspace_id,
        channel=channel,
        account=to,
        external_id=sid,
        thread=sender,
        sender=Sender(
            id=sender,
            display_name=params.get("ProfileName") or None,
            phone=f"+{wa_id}" if wa_id and wa_id.isdigit() else (number if number.startswith("+") else None),
        ),
        kind=kind,
        text=body,
        payload=payload,
        attachments=_attachments(params, whatsapp),
        reply_to=params.get("OriginalRepliedMessageSid") or None,
        connection_id=who.connection_id,
        raw=dict(params),
    )


def _attachments(params: Mapping[str, str], whatsapp: bool) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    try:
        count = max(0, min(int(params.get("NumMedia") or 0), MAX_MEDIA))
    except ValueError:
        count = 0
    for i in range(count):
        url = params.get(f"MediaUrl{i}", "")
        content_type = (params.get(f"MediaContentType{i}") or "").split(";")[0].strip().lower()
        found.append(
            Attachment(
                kind=_kind(content_type, whatsapp),
                mime_type=content_type if "/" in content_type else None,
                # Only a real URL can be fetched; odd values are kept out rather than tried.
                ref=url if url.startswith(("https://", "http://")) else None,
            )
        )
    location = _location(params)
    if location is not None:
        found.append(location)
    return tuple(found)


def _kind(content_type: str, whatsapp: bool) -> AttachmentKind:
    if content_type.startswith("image/"):
        return AttachmentKind.image
    if content_type.startswith("video/"):
        return AttachmentKind.video
    if content_type.startswith("audio/"):
        # WhatsApp voice notes arrive as audio/ogg (Opus).
        return AttachmentKind.voice if whatsapp and content_type == "audio/ogg" else AttachmentKind.audio
    return AttachmentKind.document


def _location(params: Mapping[str, str]) -> Attachment | None:
    try:
        lat, lon = float(params["Latitude"]), float(params["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    label: Any = params.get("Label") or params.get("Address") or None
    return Attachment(kind=AttachmentKind.location, latitude=lat, longitude=lon, name=label)
