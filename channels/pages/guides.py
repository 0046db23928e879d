"""What the connect form of each kind asks, and where the person finds it: the steps, the fields (each
a config key of the API's ConnectionCreate, as `frontdesk channel add KIND` takes them) and the
field a refused check is shown beside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    key: str  # the config key the API takes
    label: str
    hint: str
    secret: bool = False
    required: bool = True
    advanced: bool = False  # under "Advanced", for a self-hosted or regional API


@dataclass(frozen=True)
class Guide:
    kind: str
    title: str  # "Telegram bot"
    provider: str  # who gives the credentials, and answers the Test
    steps: tuple[str, ...]
    fields: tuple[Field, ...]
    webhook: str  # what to do with the webhook URL, "{url}" where it goes
    checked_beside: str  # the field a refused credential check is shown beside
    # Words of a refusal that point at another field than checked_beside: (words, field key).
    pointers: tuple[tuple[str, str], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def config(self, form: dict[str, str]) -> dict[str, Any]:
        """The form's fields as the API's config: what was left empty is not sent."""
        config: dict[str, Any] = {}
        for f in self.fields:
            value = form.get(f.key, "").strip()
            if value:
                config[f.key] = value
        if self.kind == "whatsapp" and str(config.get("from", "")).startswith("+"):
            config["from"] = "whatsapp:" + config["from"]  # the sender as the API stores it
        return config

    def field_for(self, problem: str) -> str:
        """Which field a refused check is about, by its words."""
        for key in self.keys:
            if f"config.{key}" in problem:
                return key
        return next((key for words, key in self.pointers if words in problem), self.checked_beside)


API_BASE_HELP = "Only for a self-hosted or regional API; leave empty for the usual one."
TWILIO_STEPS = (
    "Sign in to the Twilio console (console.twilio.com). On its dashboard, under Account Info, copy the "
    "Account SID (it starts with AC) and the Auth token.",
)
TWILIO_FIELDS = (
    Field("account_sid", "Account SID", "From Account Info in the Twilio console: AC followed by 32 characters."),
    Field("auth_token", "Auth token", "Beside the Account SID (press Show to see it). Stored encrypted.", secret=True),
)
TWILIO_POINTERS = (("account SID starts", "account_sid"), ("E.164", "from"), ("sms-from", "sms_from"))

GUIDES: dict[str, Guide] = {
    "telegram": Guide(
        kind="telegram",
        title="Telegram bot",
        provider="Telegram",
        steps=(
            "In Telegram, open a chat with @BotFather and send /newbot (or /token for a bot you already have).",
            "BotFather answers with the bot's token, a line like 123456789:AAH…: copy all of it.",
            "Paste it below, choose the assistant that answers, and press Test: it asks Telegram whether the "
            "token is right. Then connect.",
        ),
        fields=(
            Field(
                "token", "Bot token", "It looks like 123456789:AAH… Stored encrypted, never shown again.", secret=True
            ),
            Field("api_base", "Bot API server", API_BASE_HELP, required=False, advanced=True),
        ),
        webhook=(
            "Nothing to paste into Telegram: this server fetches the bot's messages itself (polling). To have "
            "Telegram deliver them instead (a public https address), run `frontdesk channel webhook telegram "
            "--connection <id> --url …` once it is connected; Telegram then delivers to {url}."
        ),
        checked_beside="token",
    ),
    "whatsapp": Guide(
        kind="whatsapp",
        title="WhatsApp (through Twilio)",
        provider="Twilio",
        steps=(
            *TWILIO_STEPS,
            "Your WhatsApp sender is under Messaging → Senders → WhatsApp senders (or the sandbox number, "
            "while you try it out).",
            "Once connected, give Twilio the webhook address below, so customers' messages reach your assistant.",
        ),
        fields=(
            *TWILIO_FIELDS,
            Field(
                "from", "WhatsApp sender", "The number in international form: +14155238886 or whatsapp:+14155238886."
            ),
            Field(
                "sms_from",
                "SMS number",
                "Another number of the same account, to answer text messages too (+1…). Optional.",
                required=False,
                advanced=True,
            ),
            Field("api_base", "Twilio API base URL", API_BASE_HELP, required=False, advanced=True),
        ),
        webhook=(
            "In the sender's settings, set “A message comes in” (HTTP POST) to {url}. The exact address, "
            "with the connection's id, is on the channels page once it is connected."
        ),
        checked_beside="auth_token",
        pointers=TWILIO_POINTERS,
    ),
    "sms": Guide(
        kind="sms",
        title="SMS (through Twilio)",
        provider="Twilio",
        steps=(
            *TWILIO_STEPS,
            "Your numbers are under Phone Numbers → Manage → Active numbers: pick one that can send SMS.",
            "Once connected, give Twilio the webhook address below, so customers' texts reach your assistant.",
        ),
        fields=(
            *TWILIO_FIELDS,
            Field("from", "SMS number", "The number in international form, e.g. +14155238886."),
            Field("api_base", "Twilio API base URL", API_BASE_HELP, required=False, advanced=True),
        ),
        webhook=(
            "On the number's page, under Messaging, set “A message comes in” (HTTP POST) to {url}. The exact "
            "address, with the connection's id, is on the channels page once it is connected."
        ),
        checked_beside="auth_token",
        pointers=TWILIO_POINTERS,
    ),
    "slack": Guide(
        kind="slack",
        title="Slack app",
        provider="Slack",
        steps=(
            "Create an app at api.slack.com/apps (“From a manifest”: `frontdesk slack manifest` prints one) "
            "and install it to your Slack workspace.",
            "The bot token is under OAuth & Permissions: Bot User OAuth Token (xoxb-…).",
            "The signing secret is under Basic Information → App Credentials.",
            "For approval cards, give a channel's id (C…, at the bottom of the channel's details) and invite "
            "the app there.",
        ),
        fields=(
            Field("bot_token", "Bot token", "xoxb-… Stored encrypted, never shown again.", secret=True),
            Field(
                "signing_secret", "Signing secret", "Slack signs each request with it. Stored encrypted.", secret=True
            ),
            Field(
                "staff_channel",
                "Staff channel id",
                "Where approval cards go, e.g. C0123ABCD. Optional.",
                required=False,
            ),
            Field(
                "app_token",
                "App-level token",
                "Only for Socket Mode (no public address): xapp-…, from Basic Information → App-Level Tokens.",
                secret=True,
                required=False,
            ),
            Field("api_base", "Slack Web API base URL", API_BASE_HELP, required=False, advanced=True),
        ),
        webhook=(
            "Paste {url} as the Request URL of Event Subscriptions, of Interactivity & Shortcuts and of the "
            "/frontdesk command (not needed with an app-level token: Socket Mode). The exact address is on "
            "the channels page once it is connected."
        ),
        checked_beside="bot_token",
        pointers=(("signing", "signing_secret"), ("xapp", "app_token")),
    ),
}
