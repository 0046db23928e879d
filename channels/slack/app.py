"""One slack-bolt `AsyncApp` per connection (one Slack team), built from its stored settings and
reused until they change. Bolt verifies the v0 signature (401 when forged or older than 5 minutes),
answers url_verification and ssl_check, and drops our own bot's events; we add the retry dedup.

The app runs with `process_before_response`: a customer's message is committed to the inbox before
Slack gets its 200 (durability rule 1). Buttons acknowledge first and do their work after, through
`Services.spawn`; modals decide before their ack, which is where Slack shows a form error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack import cards
from channels.slack.command import run as run_command
from channels.slack.connection import Connection
from channels.slack.console import Console
from channels.slack.normalize import normalize, sort
from channels.slack.replies import staff_reply

log = logging.getLogger(__name__)
RETRY_HEADER = "x-slack-retry-num"
VERIFICATION_LOGGER = "slack_bolt.AsyncRequestVerification"
BUTTONS = (cards.APPROVE, cards.EDIT, cards.REJECT, cards.TAKE_OVER, cards.HAND_BACK, cards.SAVE_ANSWER)


def build_app(connection: Connection, console: Console) -> AsyncApp:
    services = console.services

    async def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult | None:
        """This connection's team only: a request for another team is refused."""
        if connection.team_id and team_id and team_id != connection.team_id:
            log.warning("slack request for another team", extra={"connection_id": connection.id, "team": team_id})
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or connection.team_id,
            bot_token=connection.bot_token,
            bot_user_id=connection.bot_user_id or None,
            bot_id=connection.bot_id or None,
        )

    app = AsyncApp(
        name=f"frontdesk-slack-{connection.id}",
        signing_secret=connection.signing_secret,
        client=AsyncWebClient(base_url=connection.api_base, timeout=15),
        authorize=authorize,  # type: ignore[arg-type]  # None refuses another team, as bolt expects
        process_before_response=True,
        logger=logging.getLogger("channels.slack.bolt"),
    )
    # Bolt logs the whole body of a request whose signature fails, at INFO, so anyone could write into
    # our logs. The webhook refuses those before bolt sees them (webhook.py); this keeps that line
    # out even if something hands bolt an unsigned request. Set after AsyncApp() configured it.
    logging.getLogger(VERIFICATION_LOGGER).setLevel(logging.WARNING)

    async def skip_retries(req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[Any]]) -> Any:
        """Slack redelivers an event it thinks we missed, with X-Slack-Retry-Num: once its event_id
        is handled, a retry is acknowledged and dropped."""
        event_id = req.body.get("event_id") if isinstance(req.body, dict) else None
        if event_id and req.headers.get(RETRY_HEADER) and await services.seen(str(event_id)):
            return BoltResponse(status=200, body="")
        return await next()

    app.middleware(skip_retries)

    async def on_message(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        sorted_ = sort(event, connection)
        if sorted_.kind == "customer" and services.accept is not None:
            await services.accept(normalize(event, body, connection))
        elif sorted_.kind == "staff":
            await staff_reply(console, connection, client, event)
        else:
            log.debug("slack event ignored", extra={"connection_id": connection.id, "why": sorted_.why})
        if body.get("event_id"):
            await services.remember(connection, str(body["event_id"]))

    app.event("message")(on_message)
    app.event("app_mention")(on_message)

    async def on_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        services.spawn(console.button(connection, client, body))

    for action_id in BUTTONS:
        app.action(action_id)(on_button)

    async def on_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        outcome = await console.submit(connection, client, body)
        await (ack(**outcome) if outcome else ack())

    app.view(cards.EDIT_VIEW)(on_submit)
    app.view(cards.REJECT_VIEW)(on_submit)

    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack(text=await run_command(console, connection, client, body), response_type="ephemeral")

    app.command("/frontdesk")(on_command)
    return app
