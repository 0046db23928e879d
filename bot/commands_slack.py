"""`frontdesk channel add slack` and `frontdesk slack staff add|list`."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import _connection, add_connection, channel_add
from bot.settings import Settings
from core.cli import out, settings, with_database, with_db
from core.crypto import SecretBox
from core.db import Database
from core.models import ChannelConnection, Membership, User


@channel_add.command("slack")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--bot-token", required=True, envvar="SLACK_BOT_TOKEN", help="The app's bot token (xoxb-…).")
@click.option(
    "--signing-secret", required=True, envvar="SLACK_SIGNING_SECRET", help="Basic Information → Signing Secret."
)
@click.option("--staff-channel", default=None, help="Channel id (C…) where approval cards go; invite the app there.")
@click.option("--customer-channel", "customer_channels", multiple=True, help="A channel id whose messages are "
              "customers' (Slack Connect); repeatable. DMs to the app are always customers'.")  # fmt: skip
@click.option("--reply-marker", default=None, help="Prefix that sends a staff thread reply to the customer without "
              "a take-over (default: !reply).")  # fmt: skip
@click.option("--app-token", default=None, envvar="SLACK_APP_TOKEN", help="An xapp-… token (stored for Socket Mode).")
@click.option("--api-base", default=None, help="Web API base URL, e.g. https://slack-gov.com/api/ for GovSlack.")
@click.option("--name", default="", help="A label for staff (default: the Slack team's name).")
@click.option("--json", "as_json", is_flag=True)
def slack_add(
    workspace_ref: str,
    bot_token: str,
    signing_secret: str,
    staff_channel: str | None,
    customer_channels: tuple[str, ...],
    reply_marker: str | None,
    app_token: str | None,
    api_base: str | None,
    name: str,
    as_json: bool,
) -> None:
    """Connect a Slack app: checks the bot token with auth.test, stores the tokens encrypted, and
    prints the Request URL to paste into the app's settings (Events, Interactivity, /frontdesk)."""
    from channels.slack.connect import ConnectError, verify_token

    if staff_channel is None and not customer_channels:
        raise click.UsageError("give --staff-channel (approval cards) and/or --customer-channel")

    async def go(settings: Settings, db: Database) -> dict[str, Any]:
        try:
            info = await verify_token(bot_token, api_base)
        except ConnectError as exc:
            raise click.ClickException(str(exc)) from None
        config: dict[str, Any] = {"bot_token": bot_token, "signing_secret": signing_secret, "team": info.team,
                                  "bot_user_id": info.bot_user_id, "bot_id": info.bot_id}  # fmt: skip
        extra = {"staff_channel": staff_channel, "customer_channels": list(customer_channels) or None,
                 "reply_marker": reply_marker, "app_token": app_token, "api_base": api_base}  # fmt: skip
        config.update({k: v for k, v in extra.items() if v})
        async with db.session() as s:
            row = await add_connection(
                s, settings, workspace_ref=workspace_ref, kind="slack", name=name or info.team or "Slack",
                account=info.team_id, config=config,
            )  # fmt: skip
            data = _connection(row)
        data["request_url"] = f"{settings.public_url.rstrip('/')}/webhooks/slack/{data['id']}"
        data["team"] = {"id": info.team_id, "name": info.team}
        return data

    data = with_database(go)
    if as_json:
        out(data)
        return
    click.echo(f"Connected Slack team {data['team']['name']} (connection {data['id']}).")
    click.echo(f"Request URL (Event Subscriptions, Interactivity, and /frontdesk): {data['request_url']}")
    click.echo("Link staff who use another email in Slack: frontdesk slack staff add --connection "
               f"{data['id']} --slack-user U… --email you@example.com")  # fmt: skip


@click.group()
def slack() -> None:
    """Slack staff console: who may approve drafts from Slack."""


@slack.group("staff")
def slack_staff() -> None:
    """Link Slack users to frontdesk staff (unknown Slack users cannot approve)."""


@slack_staff.command("add")
@click.option("--connection", "connection_id", required=True, help="The Slack connection id.")
@click.option("--slack-user", required=True, help="The Slack member id (U…: profile → ⋮ → Copy member ID).")
@click.option("--email", required=True, help="The staff member's email (created as staff if new).")
@click.option("--name", default="", help="Their name, for a new staff member.")
@click.option("--json", "as_json", is_flag=True)
def slack_staff_add(connection_id: str, slack_user: str, email: str, name: str, as_json: bool) -> None:
    """Let a Slack user act as a staff member of the connection's workspace."""
    from channels.slack.connection import load
    from channels.slack.staff import link

    async def go(settings: Settings, _db: Database, s: AsyncSession) -> dict[str, Any]:
        row = await s.get(ChannelConnection, connection_id)
        if row is None or row.kind != "slack":
            raise click.ClickException(f"no Slack connection {connection_id} (see `frontdesk channel list`)")
        user = (await s.execute(select(User).where(func.lower(User.email) == email.lower()))).scalar_one_or_none()
        if user is None:
            user = User(email=email.strip(), name=name or email.split("@")[0])
            s.add(user)
            await s.flush()
        member = (
            await s.execute(
                select(Membership).where(Membership.workspace_id == row.workspace_id, Membership.user_id == user.id)
            )
        ).scalar_one_or_none()
        if member is None:
            s.add(Membership(workspace_id=row.workspace_id, user_id=user.id, role="staff"))
        connection = load(row, SecretBox(settings.key))
        await link(s, connection=connection, slack_user_id=slack_user, user_id=user.id)
        return {"connection": row.id, "slack_user": slack_user, "user": {"id": user.id, "email": user.email}}

    data = with_db(go)
    if as_json:
        out(data)
    else:
        click.echo(f"{data['slack_user']} now acts as {data['user']['email']} in Slack.")


@slack.command("manifest")
@click.option("--connection", "connection_id", default=None, help="Fill in this connection's Request URL.")
def slack_manifest(connection_id: str | None) -> None:
    """Print the Slack app manifest (channels/slack/manifest.yaml), with FRONTDESK_PUBLIC_URL and the
    connection's id in its URLs: paste it into api.slack.com/apps → your app → App Manifest."""
    from importlib.resources import files

    text = files("channels.slack").joinpath("manifest.yaml").read_text(encoding="utf-8")
    base = settings().public_url.rstrip("/")
    text = text.replace("https://YOUR-HOST", base)
    if connection_id:
        text = text.replace("CONNECTION-ID", connection_id)
    click.echo(text, nl=False)


COMMANDS: list[click.Command] = [slack]
