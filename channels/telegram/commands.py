"""`frontdesk channel add telegram` and `frontdesk channel webhook telegram` (gathered into the
`channel` group by channels/commands.py). aiogram loads inside the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from channels.cli import add_connection
from core.channels import NewConnection
from core.cli import out, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database


@click.command("telegram")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--token", required=True, envvar="TELEGRAM_BOT_TOKEN", help="The bot token from @BotFather.")
@click.option(
    "--webhook-secret",
    default=None,
    help="Secret for the X-Telegram-Bot-Api-Secret-Token header (webhook mode). Without it: polling mode.",
)
@click.option("--api-base", default=None, help="A self-hosted Bot API server, e.g. http://127.0.0.1:8081.")
@click.option("--name", default="", help="A label for staff (default: the bot's @username).")
@click.option("--json", "as_json", is_flag=True)
def telegram_add(
    workspace_ref: str, token: str, webhook_secret: str | None, api_base: str | None, name: str, as_json: bool
) -> None:
    """Connect a Telegram bot: checks the token with getMe and stores it encrypted.

    Without --webhook-secret the bot is in polling mode: `frontdesk serve` fetches its messages, no
    public URL needed. For webhook mode run `frontdesk channel webhook telegram` afterwards."""
    config: dict[str, Any] = {"token": token}
    if api_base:
        config["api_base"] = api_base.rstrip("/")
    if webhook_secret:
        config["webhook_secret"] = webhook_secret
    added = add_connection(NewConnection(kind="telegram", name=name, config=config), workspace_ref=workspace_ref)
    data = {**added.connection, "bot": added.checked.found["bot"]}
    if as_json:
        out(data)
        return
    click.echo(f"Connected @{data['bot']['username']} (connection {data['id']}), {data['config']['mode']} mode.")
    if data["config"]["mode"] == "polling":
        click.echo("`frontdesk serve` (or `make run`) now fetches its messages: write to the bot on Telegram.")
    else:
        click.echo(f"Next: frontdesk channel webhook telegram --connection {data['id']} --url https://YOUR.PUBLIC.HOST")


@click.command("telegram")
@click.option("--connection", "connection_id", required=True, help="The Telegram connection id.")
@click.option("--url", "public_url", default=None, help="This server's public https base URL.")
@click.option("--delete", "delete", is_flag=True, help="Remove the webhook and go back to polling mode.")
@click.option("--max-connections", default=40, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
def telegram_webhook(
    connection_id: str, public_url: str | None, delete: bool, max_connections: int, as_json: bool
) -> None:
    """setWebhook to PUBLIC_URL/webhooks/telegram/<connection>, with a secret token (made if the
    connection has none), or deleteWebhook with --delete."""
    from channels import connections
    from channels.telegram.connect import ConnectError, delete_webhook, new_webhook_secret, set_webhook
    from core.crypto import SecretBox

    if not delete and not public_url:
        raise click.UsageError("give --url https://your.public.host, or --delete")

    async def go(settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        box = SecretBox(settings.key)
        row = await connections.get(s, workspace_id=None, connection_id=connection_id)
        if row is None or row.kind != "telegram":
            raise click.ClickException(f"no Telegram connection {connection_id} (see `frontdesk channel list`)")
        config = box.open(row.config)
        token, api_base = str(config["token"]), config.get("api_base")
        try:
            if delete:
                await delete_webhook(token, api_base)
                config["mode"], url = "polling", None
            else:
                assert public_url is not None
                config.setdefault("webhook_secret", new_webhook_secret())
                url = f"{public_url.rstrip('/')}/webhooks/telegram/{row.id}"
                await set_webhook(
                    token, api_base, url=url, secret=config["webhook_secret"], max_connections=max_connections
                )
                config["mode"] = "webhook"
        except ConnectError as exc:
            raise click.ClickException(str(exc)) from None
        await connections.update(s, box, connection=row, changes={"config": config})
        return {"connection": row.id, "mode": config["mode"], "url": url}

    data = with_db(go)
    if as_json:
        out(data)
    elif data["url"]:
        click.echo(f"Telegram now delivers to {data['url']} (secret token set).")
        if not data["url"].startswith("https://"):
            click.echo("Note: Telegram only delivers webhooks to https URLs (ports 443, 80, 88, 8443).")
    else:
        click.echo("Webhook removed: `frontdesk serve` polls this bot again.")


ADD: list[click.Command] = [telegram_add]
WEBHOOK: list[click.Command] = [telegram_webhook]
