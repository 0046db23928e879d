"""The `Channel` contract that adapters implement, the registry that holds them, and how a channel
package declares the kinds of connection it serves (`ConnectionKind`).

Core never imports an adapter: the composition root (bot/) registers them. An adapter gets the
inbox's `accept` callback passed in, so it can be tested without the pipeline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from core.messages import Attachment, InboundMessage, OutboundMessage

if TYPE_CHECKING:
    from fastapi import APIRouter

    from core.inbox import AcceptResult


AcceptFn = Callable[[InboundMessage], Awaitable["AcceptResult"]]


@dataclass(frozen=True)
class Route:
    """Where a reply goes: resolved by the outbox from the conversation, never carried inbound."""

    channel: str
    account: str
    thread: str
    connection_id: str | None
    # The connection's config with secrets decrypted; only ever held in memory.
    config: dict[str, Any] = field(default_factory=dict, repr=False)
    # What the channel needs to know of the contact: WhatsApp's 24-hour window, opt-outs.
    contact_last_inbound_at: datetime | None = None
    contact_opted_out: bool = False


@dataclass(frozen=True)
class DeliveryReceipt:
    external_ids: tuple[str, ...] = ()
    status: str = "sent"
    detail: dict[str, Any] = field(default_factory=dict)


class SendError(Exception):
    """A send failed. `retryable` errors are retried with backoff, honouring `retry_after`.

    code "unreachable" means the contact cannot receive anything (blocked the bot): the contact is
    marked unreachable and the reply is not retried. "opted_out": they asked for no more messages.
    "outside_window": WhatsApp's 24-hour customer-service window has closed."""

    UNREACHABLE = "unreachable"
    OPTED_OUT = "opted_out"
    OUTSIDE_WINDOW = "outside_window"

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.code = code


class Channel(ABC):
    kind: ClassVar[str]
    # The channel's text limit; longer replies are split by the adapter.
    max_text: ClassVar[int] = 4096
    supports_buttons: ClassVar[bool] = False

    @abstractmethod
    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        """Deliver one reply. Raise SendError on failure."""

    def router(self, accept: AcceptFn) -> APIRouter | None:
        """Routes this channel mounts (webhooks, pages). None if it has none."""
        return None

    async def start(self) -> None:  # noqa: B027  (optional hook)
        """Start background work (long polling). Called once by `frontdesk serve`."""

    async def stop(self) -> None:  # noqa: B027  (optional hook)
        """Stop background work and close clients."""

    async def typing(self, route: Route) -> None:  # noqa: B027  (optional hook)
        """Show that a reply is being written, where the channel can."""

    async def fetch_media(self, route: Route, attachment: Attachment, *, max_bytes: int) -> bytes:
        """The bytes of an inbound attachment (for the media stage). Raises MediaError."""
        raise MediaError(f"the {self.kind} channel cannot fetch media", code="unsupported")


class MediaError(Exception):
    """An attachment could not be fetched: too large, gone, or the channel refused."""

    def __init__(self, message: str, *, code: str = "unavailable") -> None:
        super().__init__(message)
        self.code = code


class ChannelRegistry:
    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel, *kinds: str) -> None:
        for kind in kinds or (channel.kind,):
            if kind in self._channels:
                raise ValueError(f"channel {kind!r} is already registered")
            self._channels[kind] = channel

    def replace(self, channel: Channel) -> None:
        """Swap the adapter for a kind (a plugin's own web chat, a test backend)."""
        self._channels[channel.kind] = channel

    def get(self, kind: str) -> Channel:
        try:
            return self._channels[kind]
        except KeyError:
            raise LookupError(f"no adapter registered for channel {kind!r}") from None

    def __contains__(self, kind: str) -> bool:
        return kind in self._channels

    def unique(self) -> list[Channel]:
        seen: dict[int, Channel] = {}
        for channel in self._channels.values():
            seen.setdefault(id(channel), channel)
        return list(seen.values())


@dataclass(frozen=True)
class NewConnection:
    """A channel connection about to be stored, as a face (the API, the CLI) describes it.

    `found` is what the channel's remote API said about the credentials (a bot's name), for the
    face to show; it is not stored."""

    kind: str
    name: str = ""
    account: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    assistant_id: str | None = None
    enabled: bool = True
    found: dict[str, Any] = field(default_factory=dict)


ConnectionCheck = Callable[[NewConnection], Awaitable[NewConnection]]


@dataclass(frozen=True)
class ConnectionKind:
    """A kind of channel connection, declared by the channel package that serves it.

    `secret_fields` are the config fields stored encrypted and never shown. `check`, if any, asks
    the channel's remote API whether a new connection's credentials work before it is stored, and
    fills in what it answers (the account, a default name); it raises ValueError with what to fix.
    `test` is what a face's Test button runs, when it differs from `check` (a kind stored unchecked).
    """

    name: str
    secret_fields: frozenset[str] = frozenset()
    check: ConnectionCheck | None = None
    test: ConnectionCheck | None = None

    @property
    def tester(self) -> ConnectionCheck | None:
        return self.test or self.check
