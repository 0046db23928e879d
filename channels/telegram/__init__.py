"""Telegram: customers write to the business's bot. Webhook or long polling in, Bot API out.

Only this package imports aiogram, and only in its modules (the adapter is
`channels.telegram.channel.TelegramChannel`): importing the package for its connection kind loads
no SDK. The core sees `InboundMessage` and `OutboundMessage`.
"""

from core.channels import ConnectionKind, NewConnection
from core.messages import ChannelKind


async def _check(new: NewConnection) -> NewConnection:
    from channels.telegram.connect import checked  # aiogram loads only when a bot is connected

    return await checked(new)


KINDS = (ConnectionKind(ChannelKind.telegram, secret_fields=frozenset({"token", "webhook_secret"}), check=_check),)
