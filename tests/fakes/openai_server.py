"""A fake OpenAI-compatible chat server (POST /v1/chat/completions), scriptable from tests.

    fake = FakeOpenAI()
    fake.fail(500).reply_json({"intent": "faq"})      # first call: HTTP 500, second: JSON content
    with serve(fake.app) as url:
        client = LLMClient(LLMEndpoint(base_url=f"{url}/v1", model="m"))
        ...
    fake.requests[0].body["response_format"]           # what the client sent

Each request consumes the next scripted `Step`; when none is left the default step is used (echo the
last user message). `FakeOpenAI.instant()` answers a fixed text at once and records nothing, for
benchmarks. `POST /v1/embeddings` answers vectors of hashed word stems (texts sharing words point the
same way; not unit length, as some servers answer), checks the bearer key when `embedding_key` is set,
and fails with the statuses queued in `embedding_failures`. `llama_cpp=True` answers 500 to any
`response_format.type == "json_schema"` request without consuming a step, as llama.cpp's server does,
and honours `json_object`. With `chat_key` set, a chat request without that bearer key gets a 401;
with `models` set, one for another model gets a 404 (as OpenAI answers both), neither consuming a step.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass(frozen=True)
class Step:
    """What to do for one request. `content=None` echoes the last user message."""

    content: str | None = None
    delay: float = 0.0  # seconds to sleep before answering (slow endpoint / client timeout)
    status: int = 200  # non-200: answer an OpenAI-style error body with this status
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    body: dict[str, Any]
    authorization: str | None


class FakeOpenAI:
    def __init__(self, *, default: Step | None = None, llama_cpp: bool = False, record: bool = True) -> None:
        self.default = default or Step()
        self.llama_cpp = llama_cpp
        self.record = record
        self.requests: list[RecordedRequest] = []
        self._script: deque[Step] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # tests script from their thread, the server runs in another
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._chat_completions)
        self.chat_key: str | None = None
        self.models: set[str] | None = None
        # Speech to text (audio.transcriptions): answers `transcript`, records the form and file size.
        self.transcript = "hello from the fake transcriber"
        self.transcriptions: list[dict[str, Any]] = []
        self.app.post("/v1/audio/transcriptions")(self._transcriptions)
        self.embedding_dim = 64
        self.embedding_key: str | None = None
        self.honour_dimensions = True  # False: a server that ignores `dimensions` (most local ones)
        self.embedding_failures: deque[int] = deque()
        self.embedding_requests: list[RecordedRequest] = []
        self.app.post("/v1/embeddings")(self._embeddings)

    @classmethod
    def instant(cls, text: str = "OK", *, delay: float = 0.0) -> FakeOpenAI:
        """A fixed answer, nothing recorded (and no delay unless asked): for benchmarks."""
        return cls(default=Step(content=text, delay=delay), record=False)

    # -- scripting (each returns self so calls chain) ----------------------------------------------

    def then(self, step: Step) -> FakeOpenAI:
        with self._lock:
            self._script.append(step)
        return self

    def reply(self, text: str, *, delay: float = 0.0) -> FakeOpenAI:
        return self.then(Step(content=text, delay=delay))

    def reply_json(self, obj: Any, *, delay: float = 0.0) -> FakeOpenAI:
        return self.then(Step(content=json.dumps(obj), delay=delay))

    def slow(self, seconds: float, text: str = "slow answer") -> FakeOpenAI:
        return self.then(Step(content=text, delay=seconds))

    def fail(self, status: int = 500) -> FakeOpenAI:
        return self.then(Step(status=status))

    def rate_limit(self, retry_after: float | None = None) -> FakeOpenAI:
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        return self.then(Step(status=429, headers=headers))

    def malformed(self) -> FakeOpenAI:
        return self.then(Step(content='{"answer": "unterminated'))

    @property
    def pending(self) -> int:
        return len(self._script)

    # -- the endpoints -------------------------------------------------------------------------------

    async def _transcriptions(self, request: Request) -> JSONResponse:
        fields = await _read_transcription(request)
        with self._lock:
            self.transcriptions.append(fields)
        if not fields.get("file_bytes"):
            return _error(400, "no audio file")
        return JSONResponse({"text": self.transcript})

    async def _embeddings(self, request: Request) -> JSONResponse:
        body = await request.json()
        auth = request.headers.get("authorization")
        with self._lock:
            self.embedding_requests.append(RecordedRequest(body=body, authorization=auth))
            failure = self.embedding_failures.popleft() if self.embedding_failures else None
        if failure is not None:
            return _error(failure, f"scripted HTTP {failure}")
        if self.embedding_key is not None and auth != f"Bearer {self.embedding_key}":
            return _error(401, "Incorrect API key provided")
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            return _error(400, "input must be a non-empty string or list of non-empty strings")
        dim = int((self.honour_dimensions and body.get("dimensions")) or self.embedding_dim)
        data = [{"object": "embedding", "index": i, "embedding": hashed_vector(t, dim)} for i, t in enumerate(texts)]
        tokens = sum(len(t.split()) for t in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def _next_step(self) -> Step:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    async def _chat_completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        if self.record:
            auth = request.headers.get("authorization")
            self.requests.append(RecordedRequest(body=body, authorization=auth))
        response_format = body.get("response_format") or {}
        if self.chat_key is not None and request.headers.get("authorization") != f"Bearer {self.chat_key}":
            return _error(401, "Incorrect API key provided")
        if self.models is not None and body.get("model") not in self.models:
            return _error(404, f"The model `{body.get('model')}` does not exist")
        if self.llama_cpp and response_format.get("type") == "json_schema":
            return _error(500, "json_schema is not supported (llama.cpp)")
        step = self._next_step()
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.status != 200:
            return _error(step.status, f"scripted HTTP {step.status}", step.headers)
        content = step.content if step.content is not None else _echo(body)
        model = body.get("model", "fake-model")
        return JSONResponse(
            {
                "id": f"chatcmpl-fake-{next(self._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": _words(body.get("messages")),
                    "completion_tokens": len(content.split()),
                    "total_tokens": _words(body.get("messages")) + len(content.split()),
                },
            },
            headers=step.headers,
        )


async def _read_transcription(request: Request) -> dict[str, Any]:
    async with request.form() as form:
        upload = form.get("file")
        fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        if upload is not None and not isinstance(upload, str):
            fields["file_name"] = upload.filename
            fields["file_bytes"] = len(await upload.read())
        fields["authorization"] = request.headers.get("authorization")
        return fields


def hashed_vector(text: str, dim: int) -> list[float]:
    """Each word (lower-cased, a plural's s dropped) adds 3 to one hashed coordinate: a crude but
    deterministic embedding under which texts sharing words are similar."""
    vector = [0.0] * dim
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        stem = word[:-1] if len(word) > 3 and word.endswith("s") else word
        vector[zlib.crc32(stem.encode()) % dim] += 3.0
    if not any(vector):
        vector[0] = 1.0
    return vector


def _echo(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return f"echo: {message['content']}"
    return "echo: (no user message)"


def _words(messages: Any) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in messages or [] if isinstance(m, dict))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    kind = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_exceeded"}
    return JSONResponse(
        {"error": {"message": message, "type": kind.get(status, "server_error"), "param": None, "code": None}},
        status_code=status,
        headers=headers or {},
    )
