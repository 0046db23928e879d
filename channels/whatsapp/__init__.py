"""WhatsApp and SMS/MMS through Twilio's Messaging API: signed webhooks in, the twilio SDK out.

Only this package imports twilio, and only in its modules (the adapter is
`channels.whatsapp.channel.TwilioChannel`): importing the package for its connection kinds loads
no SDK. The core sees `InboundMessage` and `OutboundMessage`.
"""

from core.channels import ConnectionKind, NewConnection
from core.messages import ChannelKind


async def _check(new: NewConnection) -> NewConnection:
    from channels.whatsapp.connect import checked  # twilio loads only when an account is connected

    return await checked(new)


_SECRETS = frozenset({"auth_token"})
KINDS = (
    ConnectionKind(ChannelKind.whatsapp, secret_fields=_SECRETS, check=_check),
    ConnectionKind(ChannelKind.sms, secret_fields=_SECRETS, check=_check),
)
