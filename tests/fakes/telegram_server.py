"""A fake Telegram Bot API on loopback, speaking the real HTTP protocol aiogram uses.

POST /bot<token>/<method> with form fields (urlencoded or multipart, objects as JSON strings),
answering {"ok": true, "result": ...} or {"ok": false, "error_code", "description", "parameters"};
GET /file/bot<token>/<path> serves file downloads. It records every call, queues updates for
getUpdates (long polling with offset confirmation, as Telegram does), and can be told to fail.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.server import serve

BOT_ID = 7000000001
TOKEN = f"{BOT_ID}:AAFakeTokenForTestsOnly_abcdefghijklm"
USERNAME = "bella_salon_bot"


@dataclass
class Call:
    method: str
    token: str
    params: dict[str, Any]


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    bots: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {TOKEN: {"id": BOT_ID, "username": USERNAME, "first_name": "Bella's Salon"}}
    )
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_message_id: int = 500

    # --- what tests use ---------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> None:
        with self._lock:
            self.updates.append(update)

    def fail(
        self, method: str, status: int, description: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        with self._lock:
            self.failures.setdefault(method, []).extend([Failure(status, description, retry_after)] * times)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"fake Telegram got {len(self.sent(method))} {method}, wanted {count}")

    # --- the protocol -----------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> Response:
            params = await _params(request)
            with self._lock:
                self.calls.append(Call(method, token, params))
                if token not in self.bots:
                    return _error(401, "Unauthorized")
                queued = self.failures.get(method)
                failure = queued.pop(0) if queued else None
            if failure is not None:
                return _error(failure.status, failure.description, failure.retry_after)
            if method == "getUpdates" and self.webhook:
                return _error(409, "Conflict: can't use getUpdates method while webhook is active")
            handler = getattr(self, f"_{method}", None)
            if handler is None:
                return _error(404, "Not Found: method not found")
            result = handler(token, params)
            if asyncio.iscoroutine(result):
                result = await result
            return JSONResponse({"ok": True, "result": result})

        @app.get("/file/bot{token}/{path:path}")
        async def download(token: str, path: str) -> Response:
            if token not in self.bots or path not in self.files:
                return Response(status_code=404)
            return Response(self.files[path], media_type="application/octet-stream")

        return app

    def _bot(self, token: str) -> dict[str, Any]:
        return {"is_bot": True, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, **self.bots[token]}  # fmt: skip

    def _getMe(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot(token)

    def _message(self, token: str, chat_id: Any, **content: Any) -> dict[str, Any]:
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
        bot = self.bots[token]
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": {"id": bot["id"], "is_bot": True, "first_name": bot["first_name"], "username": bot["username"]},
            **content,
        }

    def _sendMessage(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(token, params["chat_id"], text=params["text"])

    def _sendPhoto(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        photo = {"file_id": str(params["photo"]), "file_unique_id": "p1", "width": 1, "height": 1}
        return self._message(token, params["chat_id"], photo=[photo])

    def _sendDocument(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(
            token, params["chat_id"], document={"file_id": str(params["document"]), "file_unique_id": "d1"}
        )

    def _sendChatAction(self, token: str, params: dict[str, Any]) -> bool:
        return True

    def _answerCallbackQuery(self, token: str, params: dict[str, Any]) -> bool:
        return True

    def _setWebhook(self, token: str, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _deleteWebhook(self, token: str, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _getFile(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        path = f"files/{file_id}"
        data = self.files.get(path, b"")
        return {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": len(data), "file_path": path}

    async def _getUpdates(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        while True:
            with self._lock:
                if offset:  # calling with an offset confirms every earlier update, as Telegram does
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates[: int(params.get("limit") or 100)])
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.02)


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.json())
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.multi_items():
        text = value if isinstance(value, str) else (await value.read()).decode(errors="replace")
        params[key] = json.loads(text) if text[:1] in "[{" else text
    # An uploaded file travels as its own part, named by "attach://<part>" in the field.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


def _error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status)


@contextmanager
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with serve(fake.app()) as url:
        fake.url = url
        yield fake
