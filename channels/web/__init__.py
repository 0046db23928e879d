"""Web chat: the customer-facing chat API (seed 2's `/api/v1/chat`) and a small chat page.

The adapter is `channels.web.channel.WebChannel`; this package's own import stays light.
"""

from core.channels import ConnectionKind
from core.messages import ChannelKind

KINDS = (ConnectionKind(ChannelKind.web),)
