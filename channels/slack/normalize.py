"""Slack message events, sorted and normalised.

A message is a customer's (a designated customer channel, or a DM to the app), a staff reply (in a
thread of the staff channel), or ignored: bot messages including our own, edits and deletions
(`message_changed` would loop our own chat.update back in), joins and other subtypes, and channels
the app was not asked to serve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.slack.connection import Connection
from channels.slack.mrkdwn import unescape
from core.messages import Attachment, AttachmentKind, ChannelKind, InboundMessage, Sender

# Message subtypes that carry something a person wrote; every other subtype is ignored.
PERSON_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")  # Slack's message timestamp, e.g. 1700000000.000100


def well_formed(event: dict[str, Any]) -> bool:
    """The fields a person's message is read by, with the types Slack sends: anything else was not sent
    by Slack as documented and is ignored rather than half-read."""
    return (
        isinstance(event.get("user"), str)
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("ts"), str)
        and bool(_TS.fullmatch(event["ts"]))
        and (
            event.get("thread_ts") is None
            or (isinstance(event["thread_ts"], str) and bool(_TS.fullmatch(event["thread_ts"])))
        )
        and isinstance(event.get("text") or "", str)
        and isinstance(event.get("files") or [], list)
        and isinstance(event.get("user_profile") or {}, dict)
    )


@dataclass(frozen=True)
class Sorted:
    kind: str  # customer | staff | ignored
    why: str = ""


def sort(event: dict[str, Any], connection: Connection) -> Sorted:
    subtype = event.get("subtype")
    if event.get("bot_id") or subtype == "bot_message" or event.get("bot_profile"):
        return Sorted("ignored", "a bot's message")
    user = event.get("user")
    if not user or user == connection.bot_user_id:
        return Sorted("ignored", "our own message")
    if not isinstance(subtype, str | None) or subtype not in PERSON_SUBTYPES:
        return Sorted("ignored", f"subtype {subtype}")
    if not well_formed(event):
        return Sorted("ignored", "not a well-formed message")
    if "\x00" in str(event.get("text") or ""):
        return Sorted("ignored", "NUL in text")
    channel = str(event.get("channel") or "")
    if channel and channel == connection.staff_channel:
        return Sorted("staff", "") if event.get("thread_ts") else Sorted("ignored", "staff channel, not in a thread")
    if event.get("channel_type") == "im" or channel.startswith("D") or channel in connection.customer_channels:
        return Sorted("customer")
    return Sorted("ignored", "not a customer channel")


def thread_key(event: dict[str, Any]) -> str:
    """One conversation per thread in a channel, or per DM (a threaded DM reply keeps its thread)."""
    channel, ts, thread_ts = str(event["channel"]), str(event["ts"]), event.get("thread_ts")
    is_dm = event.get("channel_type") == "im" or channel.startswith("D")
    if is_dm and not thread_ts:
        return channel
    return f"{channel}:{thread_ts or ts}"


def reply_target(thread: str) -> tuple[str, str | None]:
    """The channel and thread_ts a reply goes to, from a conversation's thread key."""
    channel, _, thread_ts = thread.partition(":")
    return channel, thread_ts or None


def _attachment(file: dict[str, Any]) -> Attachment:
    mime = str(file.get("mimetype") or "") or None
    kind = AttachmentKind.document
    if mime and mime.startswith("image/"):
        kind = AttachmentKind.image
    elif mime and mime.startswith("audio/"):
        kind = AttachmentKind.voice if file.get("subtype") == "slack_audio" else AttachmentKind.audio
    elif mime and mime.startswith("video/"):
        kind = AttachmentKind.video
    size = file.get("size")
    return Attachment(
        kind=kind,
        mime_type=mime,
        size=int(size) if isinstance(size, int) and size >= 0 else None,
        name=file.get("name") or file.get("title"),
        ref=file.get("url_private_download") or file.get("url_private"),
    )


def normalize(event: dict[str, Any], body: dict[str, Any], connection: Connection) -> InboundMessage:
    ts = str(event["ts"])
    text = unescape(str(event.get("text") or ""))
    if connection.bot_user_id:
        text = text.replace(f"@{connection.bot_user_id}", "").strip()
    profile = event.get("user_profile") or {}
    sender = Sender(
        id=str(event["user"]),
        display_name=profile.get("display_name") or profile.get("real_name") or None,
        handle=profile.get("name") or None,
    )
    return InboundMessage(
        workspace_id=connection.workspace_id,
        channel=ChannelKind.slack,
        account=connection.team_id or str(body.get("team_id") or ""),
        external_id=f"{event['channel']}:{ts}",
        thread=thread_key(event),
        sender=sender,
        text=text,
        attachments=tuple(_attachment(f) for f in event.get("files") or () if isinstance(f, dict)),
        sent_at=datetime.fromtimestamp(float(ts), UTC),
        connection_id=connection.id,
        raw=body,
    )
