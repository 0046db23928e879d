"""`frontdesk channel add whatsapp`: a Twilio account's WhatsApp sender and, optionally, its SMS number
(gathered into the `channel` group by channels/commands.py). twilio loads inside the command."""

from __future__ import annotations

import json
from typing import Any

import click

from channels.cli import add_connection
from core.channels import NewConnection
from core.cli import out


@click.command("whatsapp")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--account-sid", required=True, help="The Twilio account SID (AC…).")
@click.option("--auth-token", required=True, envvar="TWILIO_AUTH_TOKEN", help="The account's auth token.")
@click.option("--from", "sender", required=True, help="The WhatsApp sender, whatsapp:+1…; or a plain +1… for SMS only.")
@click.option("--sms-from", default=None, help="An SMS/MMS number of the same account, +1….")
@click.option("--region", default=None, help="Twilio region, e.g. ie1 or au1.")
@click.option("--edge", default=None, help="Twilio edge location, e.g. dublin or sydney.")
@click.option("--api-base", default=None, help="Override the REST API base URL.")
@click.option("--help-text", default=None, help="The answer to an SMS HELP.")
@click.option("--template-sid", default=None, help="An approved WhatsApp template (HX…) for outside the 24 h window.")
@click.option("--template-variables", default=None, help='Its ContentVariables as JSON, e.g. {"1": "Bella\'s Salon"}.')
@click.option("--name", default="", help="A label for staff.")
@click.option("--json", "as_json", is_flag=True)
def whatsapp_add(
    workspace_ref: str,
    account_sid: str,
    auth_token: str,
    sender: str,
    sms_from: str | None,
    region: str | None,
    edge: str | None,
    api_base: str | None,
    help_text: str | None,
    template_sid: str | None,
    template_variables: str | None,
    name: str,
    as_json: bool,
) -> None:
    """Connect a Twilio account: checks the SID and token with Twilio, stores the token encrypted.

    Then point the number's "A message comes in" webhook at PUBLIC_URL/webhooks/twilio/<connection>."""
    from channels.whatsapp.connect import ConnectError, check_number

    try:
        sender = check_number(sender)
        sms = check_number(sms_from, whatsapp=False) if sms_from else None
        if template_variables is not None:
            parsed = json.loads(template_variables)
            if not isinstance(parsed, dict):
                raise ConnectError("--template-variables is a JSON object")
    except (ConnectError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from None
    config: dict[str, Any] = {"account_sid": account_sid, "auth_token": auth_token, "from": sender}
    extra = {"sms_from": sms, "region": region, "edge": edge, "api_base": api_base, "help_text": help_text,
             "template_content_sid": template_sid, "template_variables": template_variables}  # fmt: skip
    config.update({k: v for k, v in extra.items() if v})
    kind = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    new = NewConnection(kind=kind, name=name or sender, account=sender, config=config)
    added = add_connection(new, workspace_ref=workspace_ref)
    data = {**added.connection, "webhook_url": f"{added.public_url}/webhooks/twilio/{added.connection['id']}"}
    if as_json:
        out(data)
        return
    click.echo(f"Connected {sender} (connection {data['id']}).")
    click.echo(f'In the Twilio console, set "A message comes in" (HTTP POST) to: {data["webhook_url"]}')


ADD: list[click.Command] = [whatsapp_add]
