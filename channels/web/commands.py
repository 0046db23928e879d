"""`frontdesk channel add web` (gathered into the `channel` group by channels/commands.py): a web chat
connection from raw config values; web chat has no options of its own yet."""

from __future__ import annotations

from typing import Any

import click

from channels.cli import add_connection
from core.channels import NewConnection
from core.cli import out


@click.command("web", help="Add a web connection from raw --set KEY=VALUE config.")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--name", default="", help="A label for staff.")
@click.option("--account", default="", help="The receiving account (number, team id).")
@click.option("--set", "values", multiple=True, metavar="KEY=VALUE", help="A config value; repeatable.")
@click.option("--json", "as_json", is_flag=True)
def web_add(workspace_ref: str, name: str, account: str, values: tuple[str, ...], as_json: bool) -> None:
    config: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        config[key.strip()] = value
    new = NewConnection(kind="web", name=name, account=account, config=config)
    data = add_connection(new, workspace_ref=workspace_ref).connection
    out(data) if as_json else click.echo(f"Added web connection {data['id']}")


ADD: list[click.Command] = [web_add]
