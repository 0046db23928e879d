"""A fake Twilio REST API on loopback, for the real twilio SDK (its async HTTP client).

Speaks what the SDK sends and expects: form-encoded POSTs with HTTP basic auth (account SID and
auth token), JSON resources back, and errors as {"code", "message", "more_info", "status"}.
Serves Messages create, Account fetch, and media downloads that redirect, as Twilio's do, to a
storage host that must not get the credentials. Can be told to fail a create.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.fakes.server import serve

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
WHATSAPP_FROM = "whatsapp:+14155238886"
SMS_FROM = "+15005550006"


@dataclass
class Failure:
    status: int
    code: int
    message: str
    retry_after: int | None = None


@dataclass
class FakeTwilio:
    messages: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[dict[str, str | None]] = field(default_factory=list)
    url: str = ""
    storage_url: str = ""  # another origin, as Twilio's media storage is
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fail(self, status: int, code: int, message: str, *, retry_after: int | None = None, times: int = 1) -> None:
        with self._lock:
            self.failures.extend([Failure(status, code, message, retry_after)] * times)

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m.get("_accepted")]

    def media_url(self, message_sid: str, media_sid: str) -> str:
        return f"{self.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message_sid}/Media/{media_sid}"

    def app(self) -> FastAPI:
        app = FastAPI()

        def authorized(request: Request) -> bool:
            expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            return request.headers.get("authorization") == f"Basic {expected}"

        def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
            body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}  # fmt: skip
            return JSONResponse(body, status, headers=headers)

        @app.get("/2010-04-01/Accounts/{sid}.json")
        async def account(sid: str, request: Request) -> Response:
            if not authorized(request) or sid != ACCOUNT_SID:
                return error(401, 20003, "Authenticate")
            return JSONResponse({"sid": sid, "friendly_name": "Bella's Salon", "status": "active", "type": "Full"})

        @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
        async def create(sid: str, request: Request) -> Response:
            if not authorized(request) or sid != ACCOUNT_SID:
                return error(401, 20003, "Authenticate")
            form = await request.form()
            params: dict[str, Any] = {k: form.getlist(k) if k == "MediaUrl" else form[k] for k in form}
            with self._lock:
                failure = self.failures.pop(0) if self.failures else None
                message_sid = f"SM{next(self._ids):032d}"
                self.messages.append({**params, "_sid": message_sid, "_accepted": failure is None})
            if failure is not None:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
                return error(failure.status, failure.code, failure.message, headers)
            now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
            return JSONResponse(
                {
                    "sid": message_sid,
                    "account_sid": sid,
                    "from": params.get("From"),
                    "to": params.get("To"),
                    "body": params.get("Body", ""),
                    "status": "queued",
                    "num_segments": "1",
                    "num_media": str(len(params.get("MediaUrl", []))),
                    "direction": "outbound-api",
                    "date_created": now,
                    "date_updated": now,
                    "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
                },
                201,
            )

        @app.get("/2010-04-01/Accounts/{sid}/Messages/{message_sid}/Media/{media_sid}")
        async def media(sid: str, message_sid: str, media_sid: str, request: Request) -> Response:
            self.media_requests.append({"path": "api", "authorization": request.headers.get("authorization")})
            if not authorized(request):
                return error(401, 20003, "Authenticate")
            if media_sid not in self.media:
                return error(404, 20404, "The requested resource was not found")
            return RedirectResponse(f"{self.storage_url}/storage/{media_sid}", status_code=307)

        return app

    def storage_app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/storage/{media_sid}")
        async def storage(media_sid: str, request: Request) -> Response:
            self.media_requests.append({"path": "storage", "authorization": request.headers.get("authorization")})
            data, content_type = self.media[media_sid]
            return Response(data, media_type=content_type)

        return app


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with serve(fake.app()) as url, serve(fake.storage_app()) as storage_url:
        fake.url, fake.storage_url = url, storage_url
        yield fake
