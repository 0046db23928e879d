"""Web chat: the customer-facing chat API (seed 2's `/api/v1/chat`) and a small chat page."""

from channels.web.channel import WebChannel

__all__ = ["WebChannel"]
