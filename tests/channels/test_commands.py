"""`frontdesk channel add|list|remove` as a script would use it: --json output, exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from tests.cli_support import run_json


def test_channel_add_list_remove_keeps_secrets_out_of_output(cli: CliRunner) -> None:
    from tests.fakes.slack_server import BOT_TOKEN, fake_slack

    run_json(cli, "workspace", "create", "Shop")
    with fake_slack() as fake:
        slack = ["--bot-token", BOT_TOKEN, "--signing-secret", "ABCDEFGHIJ-secret", "--staff-channel", "C1",
                 "--api-base", fake.api_base]  # fmt: skip
        added = run_json(cli, "channel", "add", "slack", "--workspace", "shop", *slack)
        bad = cli.invoke(main, ["channel", "add", "slack", "--workspace", "nope", *slack])
    assert isinstance(added, dict) and added["config"]["bot_token"] == "********"
    listed = run_json(cli, "channel", "list", "--workspace", "shop")
    assert [c["id"] for c in listed] == [added["id"]]
    assert "ABCDEFGHIJ" not in json.dumps(listed)
    result = cli.invoke(main, ["channel", "remove", added["id"]])
    assert result.exit_code == 0
    assert run_json(cli, "channel", "list") == []
    assert bad.exit_code != 0 and "no workspace" in bad.output


def test_channel_add_refuses_what_the_api_refuses(cli: CliRunner) -> None:
    """The CLI stores connections through the API's service: a value shaped like our ciphertext, or a
    redacted secret with nothing stored to keep, is refused here too."""
    run_json(cli, "workspace", "create", "Shop")
    forged = cli.invoke(main, ["channel", "add", "web", "--workspace", "shop", "--set", "note=enc:v1:abc"])
    assert forged.exit_code != 0 and "not accepted" in forged.output
    assert run_json(cli, "channel", "list") == []


def test_channel_help_names_every_kind_of_channel(cli: CliRunner) -> None:
    """The group's help is a literal (so `frontdesk --help` need not import the channels): it must
    still name every kind the API accepts, and `channel add` must offer each one."""
    from channels.kinds import NAMES

    help_text = cli.invoke(main, ["channel", "--help"]).output
    listing = cli.invoke(main, ["--help"]).output
    add_help = cli.invoke(main, ["channel", "add", "--help"]).output
    for kind in NAMES:
        assert kind in help_text and kind in listing
        assert kind in add_help or kind == "sms"  # an SMS number is added with `channel add whatsapp`
