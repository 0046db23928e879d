"""frontdesk core: the message format, storage, inbox/outbox, pipeline and model clients.

Nothing here imports a channel SDK (aiogram, twilio, slack_bolt): adapters register themselves.
"""
