"""Slack: the staff console (approval cards in a staff channel) and a customer channel (designated
channels and DMs). Built on slack-bolt's AsyncApp, one per connection; only this package imports
slack_bolt and slack_sdk."""

from channels.slack.channel import SlackChannel

__all__ = ["SlackChannel"]
