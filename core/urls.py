"""The one check for a URL the API takes: an LLM or embeddings endpoint, a rule's webhook, a site to
crawl, a channel's API base.

Each of those URLs is later handed to an HTTP client (httpx, aiohttp) or to the resolver, and each of
them fails differently on a control character, a space, a bad port or a host that is no host name:
as an exception deep in a request, which the caller would see as a 500. Checked here, when the URL
is given, the same mistake is a 422 that says what is wrong, and no client ever sees it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import idna
from pydantic import AfterValidator, StringConstraints

MAX_URL_CHARS = 2000
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")


def _check_host(host: str) -> None:
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise ValueError("the URL's host is not a valid host name") from None
    if len(host) > 253:
        raise ValueError("the URL's host name is too long")
    if _HOST_NAME.match(host):
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("the URL's host is not a valid host name or IP address") from None


def check_http_url(value: str) -> str:
    """Return `value` if it is an absolute http(s) URL every client here parses alike; else ValueError."""
    if len(value) > MAX_URL_CHARS:
        raise ValueError(f"a URL is at most {MAX_URL_CHARS} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("a URL cannot contain spaces or control characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError("not a URL: check the host and the port (1-65535)") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("give an http(s) URL with a host, e.g. https://api.example.com/v1")
    if port == 0:
        raise ValueError("the port must be from 1 to 65535")
    _check_host(parts.hostname)
    try:
        httpx.URL(value).host  # noqa: B018 (decoding the host is part of the check)
    except (httpx.InvalidURL, UnicodeError):
        raise ValueError("not a URL an HTTP client can use") from None
    return value


HttpURL = Annotated[
    str,
    StringConstraints(min_length=8, max_length=MAX_URL_CHARS),
    AfterValidator(check_http_url),
]
"""An absolute http(s) URL, checked by `check_http_url`; the value is kept as given."""
