"""Checking an assistant's model endpoint before it is saved: one tiny real call through the same
LLMClient the pipeline drafts with (short timeout, no retries), and a plain sentence for what is wrong.

Any address is allowed, loopback and private ones included (a model on the business's own machine,
Ollama or llama.cpp, is a normal set-up), as for the settings themselves. What comes back is only
the classification below, never the answer's body, so a check cannot be used to read another server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from admin.assistants.schemas import ModelSettingsUpdate
from admin.common import seal_config
from core.assistants import SECRET_FIELDS, ModelSettings
from core.crypto import SecretBox
from core.llm import Failure, LLMClient, LLMEndpoint, LLMError, Role
from core.models import Assistant

CHECK_TIMEOUT = 10.0  # seconds: a model that needs longer for one word is not answering
PROBE = [{"role": "user", "content": "Reply with the single word OK."}]


@dataclass(frozen=True)
class ModelCheck:
    endpoint: Role
    ok: bool
    message: str


def to_check(box: SecretBox, assistant: Assistant, body: ModelSettingsUpdate) -> ModelSettings:
    """The settings a save of `body` would store, with their secrets: a redacted key is the stored one
    (the same resolution as saving), so the page and the API can check what they were shown."""
    sealed = seal_config(
        box, body.model_dump(exclude_unset=True), old=assistant.model_settings, secret_fields=SECRET_FIELDS
    )
    opened: dict[str, Any] = box.open(sealed)
    return ModelSettings.model_validate(opened)


async def check_model(settings: ModelSettings, *, timeout: float = CHECK_TIMEOUT) -> list[ModelCheck]:
    """One call to each endpoint set (the fallback too): whether it answers, and if not, why."""
    if not settings.base_url:
        return [ModelCheck("primary", False, "There is no endpoint to check: give its base URL.")]
    model = settings.model or "default"
    found = [await _probe("primary", settings, settings.base_url, model, settings.api_key, timeout)]
    if settings.fallback_base_url:
        fallback_model = settings.fallback_model or model
        key = settings.fallback_api_key
        found.append(await _probe("fallback", settings, settings.fallback_base_url, fallback_model, key, timeout))
    return found


async def _probe(
    role: Role, settings: ModelSettings, base_url: str, model: str, key: str | None, timeout: float
) -> ModelCheck:
    client = LLMClient(LLMEndpoint(base_url, model, key, settings.structured_output), timeout=timeout, max_retries=0)
    try:
        result = await client.complete(PROBE, temperature=settings.temperature, max_tokens=settings.max_tokens)
    except LLMError as exc:
        failure = exc.failures[0] if exc.failures else Failure(role, "malformed")
        return ModelCheck(role, False, f"{_name(role)} {base_url}: {explain(failure, model, timeout)}")
    finally:
        await client.aclose()
    return ModelCheck(role, True, f"{_name(role)} {base_url} answers, with the model {result.model}.")


def _name(role: Role) -> str:
    return "Fallback" if role == "fallback" else "Endpoint"


def explain(failure: Failure, model: str, timeout: float) -> str:
    """What an owner can do about a failed call."""
    status = failure.status
    if failure.reason == "timeout":
        return f"no answer within {timeout:.0f} seconds. Is the server up, and is this its address?"
    if failure.reason == "connection":
        return "unreachable: nothing answers at this address. Check the URL and that the server is running."
    if status in (401, 403):
        return f"the API key was refused (HTTP {status}). Check the key."
    if status == 404:
        return (
            f"not found (HTTP 404): the endpoint has no model {model!r}, or this is not an OpenAI-compatible "
            "base URL (it usually ends in /v1)."
        )
    if failure.reason == "rate_limit":
        return "the endpoint is refusing calls for now (HTTP 429: rate limit or quota). Try again later."
    if failure.reason == "server_error":
        return f"the endpoint failed (HTTP {status}). Try again, or look at the server's logs."
    if failure.reason == "bad_request":
        return f"the endpoint refused the request (HTTP {status}). Is this an OpenAI-compatible chat endpoint?"
    return "it answered, but not as an OpenAI-compatible chat endpoint does (no usable reply)."
