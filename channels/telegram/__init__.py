"""Telegram: customers write to the business's bot. Webhook or long polling in, Bot API out.

Only this package imports aiogram; the core sees `InboundMessage` and `OutboundMessage`.
"""

from channels.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]
