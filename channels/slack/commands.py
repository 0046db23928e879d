"""`frontdesk channel add slack` (gathered into the `channel` group by channels/commands.py), and
`frontdesk slack staff add` and `frontdesk slack manifest`. slack_sdk loads inside the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from channels.cli import add_connection
from core.channels import NewConnection
from core.cli import out, settings, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database


@click.command("slack")
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
    from channels.slack.connect import checked

    if staff_channel is None and not customer_channels:
        raise click.UsageError("give --staff-channel (approval cards) and/or --customer-channel")
    config: dict[str, Any] = {"bot_token": bot_token, "signing_secret": signing_secret}
    extra = {"staff_channel": staff_channel, "customer_channels": list(customer_channels) or None,
             "reply_marker": reply_marker, "app_token": app_token, "api_base": api_base}  # fmt: skip
    config.update({k: v for k, v in extra.items() if v})
    new = NewConnection(kind="slack", name=name, config=config)
    added = add_connection(new, workspace_ref=workspace_ref, check=checked)
    request_url = f"{added.public_url}/webhooks/slack/{added.connection['id']}"
    data = {**added.connection, "request_url": request_url, "team": added.checked.found["team"]}
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
@click.option("--email", required=True, help="The staff member's email (added as an agent if new).")
@click.option("--name", default="", help="Their name, for a new agent.")
@click.option("--json", "as_json", is_flag=True)
def slack_staff_add(connection_id: str, slack_user: str, email: str, name: str, as_json: bool) -> None:
    """Let a Slack user act as a staff member of the connection's workspace."""
    from sqlalchemy import func, select

    from channels import connections
    from channels.slack.connection import load
    from channels.slack.staff import link
    from core.crypto import SecretBox
    from core.models import Membership, User

    async def go(settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        row = await connections.get(s, workspace_id=None, connection_id=connection_id)
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
            s.add(Membership(workspace_id=row.workspace_id, user_id=user.id, role="agent"))
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


ADD: list[click.Command] = [slack_add]
COMMANDS: list[click.Command] = [slack]
