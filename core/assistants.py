"""Assistants' model settings, and the LLM clients built from them (one per distinct endpoint)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.crypto import SecretBox
from core.llm import LLMClient, LLMEndpoint
from core.models import Assistant

SECRET_FIELDS = frozenset({"api_key", "fallback_api_key"})
DEFAULT_HOLDING_REPLY = "Thanks for your message! A person from our team will get back to you shortly."
APPROVAL_POLICIES = ("approve_all", "autopilot", "auto")


class ModelSettings(BaseModel):
    """An assistant's LLM endpoint. No base_url means no LLM: holding replies and staff answers."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    fallback_base_url: str | None = None
    fallback_model: str | None = None
    fallback_api_key: str | None = Field(default=None, repr=False)
    structured_output: Literal["auto", "json_schema", "json_object"] = "auto"
    temperature: float | None = Field(default=0.2, ge=0, le=2)
    max_tokens: int | None = Field(default=600, ge=1, le=32000)


class LLMProvider:
    def __init__(
        self, box: SecretBox, *, defaults: ModelSettings | None = None, timeout: float = 30.0, max_retries: int = 2
    ) -> None:
        self.box = box
        self.defaults = defaults or ModelSettings()
        self.timeout = timeout
        self.max_retries = max_retries
        self._clients: dict[str, LLMClient] = {}

    def settings_for(self, assistant: Assistant) -> ModelSettings:
        own: dict[str, Any] = self.box.open(assistant.model_settings or {})
        if own.get("base_url"):
            return ModelSettings.model_validate(own)
        merged = self.defaults.model_dump()
        merged.update({k: v for k, v in own.items() if v is not None and k not in SECRET_FIELDS})
        return ModelSettings.model_validate(merged)

    def client_for(self, assistant: Assistant) -> tuple[LLMClient, ModelSettings] | None:
        settings = self.settings_for(assistant)
        if not settings.base_url:
            return None
        key = hashlib.sha256(json.dumps(settings.model_dump(), sort_keys=True).encode()).hexdigest()
        client = self._clients.get(key)
        if client is None:
            primary = LLMEndpoint(
                settings.base_url, settings.model or "default", settings.api_key, settings.structured_output
            )
            fallback = None
            if settings.fallback_base_url:
                fallback = LLMEndpoint(
                    settings.fallback_base_url,
                    settings.fallback_model or settings.model or "default",
                    settings.fallback_api_key,
                    settings.structured_output,
                )
            client = LLMClient(primary, fallback, timeout=self.timeout, max_retries=self.max_retries)
            self._clients[key] = client
        return client, settings

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
