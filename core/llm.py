"""Client for any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Ollama, vLLM, llama.cpp server).

Uses `openai.AsyncOpenAI` directly with the SDK's own retries switched off: this module runs one bounded
retry loop (exponential backoff with jitter, Retry-After honoured) per endpoint, then tries the fallback
endpoint. Every failed attempt is counted in `LLM_ERRORS` and logged without the api key or prompt text.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from core.metrics import LLM_ERRORS

if TYPE_CHECKING:
    import openai  # imported with the first client (see _new_client): `frontdesk --help` does not pay for it

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
Role = Literal["primary", "fallback"]
Reason = Literal["timeout", "connection", "rate_limit", "server_error", "bad_request", "malformed"]
Mode = Literal["json_schema", "json_object"]

BACKOFF_BASE = 0.2  # seconds before the first retry; doubles per retry
BACKOFF_CAP = 2.0
RETRY_AFTER_CAP = 5.0  # never wait longer than this for a 429's Retry-After

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")


@dataclass(frozen=True)
class LLMEndpoint:
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    # "json_schema": response_format {"type": "json_schema", "json_schema": {...}} (OpenAI, vLLM, Ollama)
    # "json_object": response_format {"type": "json_object", "schema": ...} (llama.cpp server)
    # "auto": json_schema; on a 400/500 answer switch to json_object once and remember it
    structured_output: Literal["auto", "json_schema", "json_object"] = "auto"


@dataclass(frozen=True)
class Failure:
    """Why one endpoint's last attempt failed (the status when the endpoint answered one)."""

    role: Role
    reason: Reason
    status: int | None = None


class LLMError(Exception):
    """Every configured endpoint failed. The message says why; it never contains an api key."""

    def __init__(self, message: str, failures: tuple[Failure, ...] = ()) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass(frozen=True)
class LLMResult:
    text: str
    model: str
    endpoint: Role


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    value: T
    model: str
    endpoint: Role


class _AttemptFailed(Exception):
    def __init__(
        self,
        reason: Reason,
        detail: str,
        *,
        retryable: bool = True,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.reason: Reason = reason
        self.detail = detail
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` / `retry-after` (delta seconds only), capped; None if absent."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
        if seconds >= 0:
            return min(seconds, RETRY_AFTER_CAP)
    return None


def _classify(exc: openai.OpenAIError) -> _AttemptFailed:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return _AttemptFailed("timeout", "request timed out")
    if isinstance(exc, openai.APIConnectionError):
        return _AttemptFailed("connection", "connection failed")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return _AttemptFailed(
                "rate_limit", "HTTP 429", status=status, retry_after=_retry_after(exc.response.headers)
            )
        if status >= 500:
            return _AttemptFailed("server_error", f"HTTP {status}", status=status)
        return _AttemptFailed("bad_request", f"HTTP {status}", retryable=False, status=status)
    return _AttemptFailed("malformed", f"unusable response ({type(exc).__name__})")


def _parse_json(text: str) -> Any:
    """The content as JSON; failing that, the first ``` / ```json fenced block in it."""
    try:
        return json.loads(text)
    except ValueError:
        match = _FENCE.search(text)
        if match is None:
            raise
        return json.loads(match.group(1))


@functools.lru_cache(maxsize=64)
def response_format_for(schema: type[BaseModel], mode: Mode) -> dict[str, Any]:
    # Cached: building a JSON schema from a pydantic model costs more than the rest of the request.
    json_schema = schema.model_json_schema()
    if mode == "json_object":
        return {"type": "json_object", "schema": json_schema}
    name = _SCHEMA_NAME.sub("_", schema.__name__)[:64] or "response"
    # strict=False: pydantic schemas (optional fields, defaults) are rarely valid under OpenAI's strict
    # subset; we validate the answer ourselves and retry on a mismatch.
    return {"type": "json_schema", "json_schema": {"name": name, "schema": json_schema, "strict": False}}


class LLMClient:
    def __init__(
        self, primary: LLMEndpoint, fallback: LLMEndpoint | None = None, *, timeout: float = 30.0, max_retries: int = 2
    ) -> None:
        self._endpoints: dict[Role, LLMEndpoint] = {"primary": primary}
        if fallback is not None:
            self._endpoints["fallback"] = fallback
        self._timeout = timeout
        self._max_retries = max(0, max_retries)
        self._clients: dict[Role, openai.AsyncOpenAI] = {}
        self._client_lock = asyncio.Lock()
        self._modes: dict[Role, Mode] = {}  # structured-output mode learned in "auto"

    async def complete(
        self, messages: list[dict[str, str]], *, temperature: float | None = None, max_tokens: int | None = None
    ) -> LLMResult:
        value, model, role = await self._run(messages, None, temperature, max_tokens)
        assert isinstance(value, str)
        return LLMResult(text=value, model=model, endpoint=role)

    async def structured(
        self,
        messages: list[dict[str, str]],
        schema: type[T],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> StructuredResult[T]:
        value, model, role = await self._run(messages, schema, temperature, max_tokens)
        assert isinstance(value, schema)
        return StructuredResult(value=value, model=model, endpoint=role)

    async def aclose(self) -> None:
        async with self._client_lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()

    # -- internals ---------------------------------------------------------------------------------

    async def _run(
        self,
        messages: list[dict[str, str]],
        schema: type[BaseModel] | None,
        temperature: float | None,
        max_tokens: int | None,
    ) -> tuple[Any, str, Role]:
        failures: list[str] = []
        found: list[Failure] = []
        for role, endpoint in self._endpoints.items():
            try:
                value, model = await self._with_retries(role, endpoint, messages, schema, temperature, max_tokens)
                return value, model, role
            except _AttemptFailed as exc:
                failures.append(f"{role} ({endpoint.model}): {exc.reason}, {exc.detail}")
                found.append(Failure(role, exc.reason, exc.status))
        raise LLMError("all LLM endpoints failed: " + "; ".join(failures), tuple(found))

    async def _with_retries(
        self,
        role: Role,
        endpoint: LLMEndpoint,
        messages: list[dict[str, str]],
        schema: type[BaseModel] | None,
        temperature: float | None,
        max_tokens: int | None,
    ) -> tuple[Any, str]:
        attempts = self._max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(role, endpoint, messages, schema, temperature, max_tokens, attempt)
            except _AttemptFailed as exc:
                self._record(role, exc, attempt)
                if not exc.retryable or attempt == attempts:
                    raise
                backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
                delay = exc.retry_after if exc.retry_after is not None else backoff
                await asyncio.sleep(delay * random.uniform(1.0, 1.25))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        role: Role,
        endpoint: LLMEndpoint,
        messages: list[dict[str, str]],
        schema: type[BaseModel] | None,
        temperature: float | None,
        max_tokens: int | None,
        attempt: int,
    ) -> tuple[Any, str]:
        if schema is None:
            text, model = await self._call(role, endpoint, messages, None, temperature, max_tokens)
            return text, model
        learned = self._modes.get(role)
        mode: Mode = learned or ("json_object" if endpoint.structured_output == "json_object" else "json_schema")
        try:
            text, model = await self._call(
                role, endpoint, messages, response_format_for(schema, mode), temperature, max_tokens
            )
        except _AttemptFailed as exc:
            if not (endpoint.structured_output == "auto" and learned is None and exc.status in (400, 500)):
                raise
            # llama.cpp-style servers reject json_schema; try json_object + schema once, right away.
            self._record(role, exc, attempt)
            try:
                text, model = await self._call(
                    role, endpoint, messages, response_format_for(schema, "json_object"), temperature, max_tokens
                )
            except _AttemptFailed as retry_exc:
                if retry_exc.reason == "malformed":  # json_object was accepted, the answer was bad
                    self._modes[role] = "json_object"
                raise
            self._modes[role] = "json_object"
            logger.info("LLM %s endpoint rejects json_schema; using json_object from now on", role)
        try:
            return schema.model_validate(_parse_json(text)), model
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            raise _AttemptFailed("malformed", f"answer does not match {schema.__name__}") from exc

    async def _call(
        self,
        role: Role,
        endpoint: LLMEndpoint,
        messages: list[dict[str, str]],
        response_format: dict[str, Any] | None,
        temperature: float | None,
        max_tokens: int | None,
    ) -> tuple[str, str]:
        kwargs: dict[str, Any] = {"model": endpoint.model, "messages": messages}
        if temperature is not None:
            kwargs["temperature"] = temperature
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if response_format is not None:
            kwargs["response_format"] = response_format
        client = await self._client(role, endpoint)
        from openai import OpenAIError  # imported already, with the client

        try:
            completion = await client.chat.completions.create(**kwargs)
        except OpenAIError as exc:
            raise _classify(exc) from None  # `from None`: SDK errors may carry request headers
        choices = getattr(completion, "choices", None)
        if not choices:
            raise _AttemptFailed("malformed", "no choices in the response")
        text = choices[0].message.content
        if not isinstance(text, str) or not text.strip():
            raise _AttemptFailed("malformed", "empty completion")
        return text, str(getattr(completion, "model", None) or endpoint.model)

    async def _client(self, role: Role, endpoint: LLMEndpoint) -> openai.AsyncOpenAI:
        client = self._clients.get(role)
        if client is not None:
            return client
        async with self._client_lock:
            client = self._clients.get(role)
            if client is None:
                client = await asyncio.to_thread(_new_client, endpoint, self._timeout)
                self._clients[role] = client
            return client

    def _record(self, role: Role, exc: _AttemptFailed, attempt: int) -> None:
        LLM_ERRORS.labels(endpoint=role, reason=exc.reason).inc()
        logger.warning(
            "LLM %s endpoint attempt %d/%d failed: %s (%s)",
            role,
            attempt,
            self._max_retries + 1,
            exc.reason,
            exc.detail,
        )


def _new_client(endpoint: LLMEndpoint, timeout: float) -> openai.AsyncOpenAI:
    """Building the client imports the SDK and loads TLS certificates from disk: run it in a thread,
    off the event loop."""
    import openai

    return openai.AsyncOpenAI(
        base_url=endpoint.base_url, api_key=endpoint.api_key or "not-needed", timeout=timeout, max_retries=0
    )
