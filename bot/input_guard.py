"""Input no route can store is refused app-wide with a 4xx, before any model sees it.

PostgreSQL rejects NUL in text, a lone surrogate (which a JSON `\\ud800` escape makes) cannot be
encoded for either database, and NaN/Infinity (which Python's JSON parser accepts) can neither be
stored as JSON nor echoed back in a validation error: each would otherwise surface as a 500. A body
that is not UTF-8 is no JSON at all (RFC 8259), so it is refused with a 400 before it is parsed.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import HTTPException, Request

from admin.deps import WORKSPACE_HEADER


class _Unfit(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Unfit("numbers must be finite")
    return value


def _no_constants(name: str) -> Any:
    raise _Unfit(f"{name} is not a JSON value")


def _no_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise _Unfit("NUL characters are not accepted")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Unfit("unpaired surrogate characters are not accepted") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)


async def clean_input(request: Request) -> None:
    """Refuse NUL characters, NaN and Infinity in the path, query, workspace header or JSON body."""
    try:
        for value in (
            *request.path_params.values(),
            *request.query_params.values(),
            request.headers.get(WORKSPACE_HEADER, ""),
        ):
            _no_nul(value)
        # File uploads (multipart) are read by their route, and are not JSON to check.
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/")
        body = await request.body() if request.method in ("POST", "PUT", "PATCH") and not multipart else b""
        if body:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(400, "the request body is not UTF-8") from None
            try:
                parsed = json.loads(text, parse_constant=_no_constants, parse_float=_finite)
            except json.JSONDecodeError:
                return  # FastAPI has already answered malformed JSON with a 422
            except RecursionError:
                raise HTTPException(400, "the JSON body is nested too deeply") from None
            _no_nul(parsed)
    except _Unfit as exc:
        raise HTTPException(422, str(exc)) from exc
