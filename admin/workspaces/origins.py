"""A workspace's web chat origins: the business's own sites, which may show its chat in a frame
(the chat page's frame-ancestors) and call the chat API from a script (CORS).

An origin is what a browser sends in its Origin header: `https://host[:port]`, nothing after it.
Each entry is normalised the way browsers write it (lowercase host, punycode, no default port, no
trailing slash), so comparing it with a request's Origin is a plain string comparison.

Who keeps the lists in memory (the web chat's CORS, channels/web/origins.py) asks `generation()`,
a counter this process raises once a change to any list is committed: comparing two integers is all
its hot path costs. Other processes see a change when their copy expires.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

MAX_ORIGINS = 20
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
DEFAULT_PORTS = {"https": 443, "http": 80}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _host(raw: str) -> str:
    """The host lowercased, in punycode; an IP address as written, IPv6 in brackets."""
    if ":" in raw:
        try:
            return f"[{ipaddress.IPv6Address(raw).compressed}]"
        except ValueError:
            raise ValueError("its IPv6 address is not valid") from None
    try:
        return str(ipaddress.IPv4Address(raw))
    except ValueError:
        pass
    try:
        host = raw.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("its host name is not valid") from None
    if "*" in host:
        raise ValueError("list each site itself: a wildcard (*) is not allowed")
    if not all(_LABEL.match(label) for label in host.split(".")):
        raise ValueError("its host name is not valid")
    return host


def normalise_origin(value: str) -> str:
    """`https://Example.com:443/` → `https://example.com`; raises ValueError saying what is wrong."""
    text = value.strip()
    if "*" in text:
        raise ValueError(f"{text!r}: list each site itself; a wildcard (*) is not allowed")
    if "://" not in text:
        raise ValueError(f"{text!r}: start it with https://, e.g. https://www.example.com")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r}: its port is not a number from 1 to 65535") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"{text!r}: a website's address starts with https://")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{text!r}: leave out the user name and password")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"{text!r}: give the site only, without a path (https://www.example.com)")
    if not parts.hostname:
        raise ValueError(f"{text!r}: the site's name is missing")
    try:
        host = _host(parts.hostname)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise ValueError(f"{text!r}: use https:// (plain http:// is allowed for localhost only)")
    if port == 0:
        raise ValueError(f"{text!r}: its port is not a number from 1 to 65535")
    shown_port = "" if port in (None, DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{shown_port}"


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


ChatOrigin = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(normalise_origin)]
ChatOrigins = Annotated[list[ChatOrigin], AfterValidator(_distinct)]


_generation = 0


def generation() -> int:
    """How many changes to any workspace's chat origins this process has committed."""
    return _generation


def _committed(_session: object) -> None:
    global _generation
    _generation += 1


def changed_on_commit(s: AsyncSession) -> None:
    """Count a change to the chat origins once the session's transaction commits (not before: a
    copy read in between would see the old list and keep it)."""
    event.listen(s.sync_session, "after_commit", _committed, once=True)
