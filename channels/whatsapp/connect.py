"""Connecting a Twilio account: check the credentials before storing them."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from twilio.base.exceptions import TwilioRestException

from channels.whatsapp.client import make_client
from core.channels import NewConnection

NUMBER = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")


class ConnectError(Exception):
    """Something the person connecting the account can fix; the message says what."""


def check_number(value: str, *, whatsapp: bool | None = None) -> str:
    value = value.strip()
    if not NUMBER.match(value):
        raise ConnectError(f"{value!r} is not a number in E.164 form (+14155238886, or whatsapp:+14155238886)")
    if whatsapp is False and value.startswith("whatsapp:"):
        raise ConnectError("--sms-from is a plain number (+1…), without whatsapp:")
    return value


async def verify_account(config: dict[str, Any]) -> str:
    """Fetch the account with the given SID and token; returns its friendly name."""
    if not str(config.get("account_sid", "")).startswith("AC"):
        raise ConnectError("the account SID starts with AC (see the Twilio console)")
    client, http = make_client(config)
    try:
        account = await client.api.v2010.accounts(str(config["account_sid"])).fetch_async()
    except TwilioRestException as exc:
        if exc.status in (401, 403, 404):
            raise ConnectError(
                f"Twilio says this account SID and auth token do not match ({exc.status}): copy both again "
                "from the Twilio console (Account Info)"
            ) from None
        raise ConnectError(f"Twilio answered {exc.status}: {exc.msg}") from None
    except Exception as exc:
        raise ConnectError(f"could not reach Twilio: {type(exc).__name__}") from None
    finally:
        await http.close()
    return str(account.friendly_name or "")


async def checked(new: NewConnection) -> NewConnection:
    """A new connection's numbers and credentials checked with Twilio; its sender is the default
    account and name. Raises ValueError with what to fix."""
    missing = [k for k in ("account_sid", "auth_token", "from") if not new.config.get(k)]
    if missing:
        raise ValueError(f"a Twilio connection needs config {', '.join(missing)}")
    try:
        sender = check_number(str(new.config["from"]))
        if new.config.get("sms_from"):
            check_number(str(new.config["sms_from"]), whatsapp=False)
        await verify_account(dict(new.config))
    except ConnectError as exc:
        raise ValueError(str(exc)) from None
    return replace(new, account=new.account or sender, name=new.name or sender)
