"""A fake Slack Web API on loopback, for the real slack_sdk `AsyncWebClient(base_url=…)`.

Speaks what the SDK sends: POST /api/<method> with a JSON or form body (GET with query parameters
for users.info), the bot token as `Authorization: Bearer`, and answers {"ok": true, …} or
{"ok": false, "error": …}. Serves auth.test, chat.postMessage, chat.update, chat.postEphemeral,
views.open and users.info; records every call; can answer a method with 429 and Retry-After.
Socket Mode too: apps.connections.open (with the app-level token) hands out a websocket on which
tests push envelopes, and the acknowledgements the client sends back are recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

from tests.fakes.server import serve

TEAM_ID = "T111"
BOT_TOKEN = "xoxb-111-222-fakebottokenfortests"
APP_TOKEN = "xapp-1-A111-222-fakeapptokenfortests"
BOT_USER_ID = "UBOT1"
BOT_ID = "BBOT1"
STAFF_CHANNEL = "CSTAFF1"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=dict)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    envelopes: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    acks: list[dict[str, Any]] = field(default_factory=list)
    sockets: int = 0

    # --- what tests use ----------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/"

    def add_user(self, user_id: str, email: str | None, *, name: str = "", is_bot: bool = False) -> None:
        profile = {"email": email, "real_name": name or user_id} if email else {"real_name": name or user_id}
        self.users[user_id] = {"id": user_id, "team_id": TEAM_ID, "name": name or user_id, "is_bot": is_bot,
                               "deleted": False, "profile": profile}  # fmt: skip

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        with self._lock:
            self.failures.setdefault(method, []).extend([(429, "ratelimited", retry_after)] * times)

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        with self._lock:
            self.failures.setdefault(method, []).extend([(200, error, None)] * times)

    def push(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        """Deliver an envelope over Socket Mode (events_api, interactive or slash_commands)."""
        self.envelopes.put({"envelope_id": envelope_id, "type": kind, "payload": payload,
                            "accepts_response_payload": kind != "events_api"})  # fmt: skip

    def of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    # --- the server --------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/api/{method}", methods=["GET", "POST"])
        async def api(method: str, request: Request) -> Response:
            params: dict[str, Any] = dict(request.query_params)
            content_type = request.headers.get("content-type", "")
            if "json" in content_type:
                params.update(json.loads(await request.body() or b"{}"))
            elif "form" in content_type:
                params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
            token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or params.get("token", "")
            with self._lock:
                queued = self.failures.get(method) or []
                failure = queued.pop(0) if queued else None
                call = Call(method, {**params, "_token": token, "_failed": failure is not None})
                self.calls.append(call)
            if method == "apps.connections.open":
                if token != APP_TOKEN:
                    return JSONResponse({"ok": False, "error": "invalid_auth"})
                return JSONResponse({"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"})
            if token != BOT_TOKEN:
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            if failure is not None:
                status, error, retry_after = failure
                headers = {"Retry-After": str(retry_after)} if retry_after else None
                return JSONResponse({"ok": False, "error": error}, status, headers=headers)
            answer = self._answer(method, params)
            call.params["_ts"] = answer.get("ts")  # the posted message's ts, as Slack returned it
            return JSONResponse(answer)

        @app.websocket("/socket")
        async def socket(ws: WebSocket) -> None:
            await ws.accept()
            self.sockets += 1
            await ws.send_text(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))

            async def relay() -> None:
                while True:
                    try:
                        envelope = self.envelopes.get_nowait()
                    except queue.Empty:
                        await asyncio.sleep(0.02)
                        continue
                    await ws.send_text(json.dumps(envelope))

            sender = asyncio.create_task(relay())
            try:
                while True:
                    message = await ws.receive_text()
                    with self._lock:
                        self.acks.append(json.loads(message))
            except WebSocketDisconnect:
                pass
            finally:
                sender.cancel()

        return app

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://bella.slack.com/", "team": "Bella's Salon", "user": "frontdesk",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            message = {
                "type": "message",
                "text": params.get("text", ""),
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
            }
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "views.open":
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(view or {})}}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        return {"ok": False, "error": "unknown_method"}


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    with serve(fake.app()) as url:
        fake.url = url
        yield fake
