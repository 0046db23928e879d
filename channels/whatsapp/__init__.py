"""WhatsApp and SMS/MMS through Twilio's Messaging API: signed webhooks in, the twilio SDK out.

Only this package imports twilio; the core sees `InboundMessage` and `OutboundMessage`.
"""

from channels.whatsapp.channel import TwilioChannel

__all__ = ["TwilioChannel"]
