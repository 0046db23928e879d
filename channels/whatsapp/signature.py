"""X-Twilio-Signature, checked with the SDK's RequestValidator on the URL Twilio actually called.

Behind a proxy or a tunnel our own request URL is not the one Twilio signed. The candidates, in
order: the configured public base URL, then X-Forwarded-Proto/-Host, then the request as received;
a request passes if any of them verifies (the validator itself tries each with and without the
default port). A forger still needs the auth token, whichever URL they claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def candidate_urls(request: Request, public_url: str | None) -> list[str]:
    path_query = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    urls: list[str] = []
    if public_url:
        base = urlsplit(public_url.rstrip("/"))
        urls.append(urlunsplit((base.scheme, base.netloc, base.path + request.url.path, request.url.query, "")))
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    if proto or host:
        urls.append(f"{proto or request.url.scheme}://{host or request.url.netloc}{path_query}")
    urls.append(str(request.url))
    return list(dict.fromkeys(urls))


def verify(request: Request, params: Mapping[str, Any] | str, auth_token: str, *, public_url: str | None) -> bool:
    """`params` is the form for form posts, the raw body (str) for JSON posts (bodySHA256)."""
    signature = request.headers.get(HEADER, "")
    if not signature or not auth_token:
        return False
    if isinstance(params, str) and "bodySHA256" not in request.query_params:
        return False  # a JSON body is signed only through its hash in the URL (the SDK would crash here)
    validator = RequestValidator(auth_token)
    return any(validator.validate(url, params, signature) for url in candidate_urls(request, public_url))
