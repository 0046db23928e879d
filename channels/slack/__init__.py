"""Slack: the staff console (approval cards in a staff channel) and a customer channel (designated
channels and DMs). Built on slack-bolt's AsyncApp, one per connection; only this package imports
slack_bolt and slack_sdk, and only in its modules (the adapter is
`channels.slack.channel.SlackChannel`): importing the package for its connection kind loads no SDK.
"""

from core.channels import ConnectionKind, NewConnection
from core.messages import ChannelKind


async def _test(new: NewConnection) -> NewConnection:
    from channels.slack.connect import checked  # slack_sdk loads only when a token is tested

    return await checked(new)


# No check: the API stores a Slack connection as given. `frontdesk channel add slack` checks the bot
# token with auth.test itself and fills in the team and bot ids the console needs; the Test button
# (connections.tested) runs the same auth.test.
KINDS = (
    ConnectionKind(
        ChannelKind.slack, secret_fields=frozenset({"bot_token", "signing_secret", "app_token"}), test=_test
    ),
)
